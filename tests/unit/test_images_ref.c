#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/ref.h"
#include "lib/err.h"

static void check_normal(const char *text, const char *want)
{
	struct image_ref ref;
	struct lerr err;
	char *got;

	assert_int_equal(image_ref_parse(text, &ref, &err), 0);
	got = image_ref_string(&ref);
	assert_string_equal(got, want);
	free(got);
	image_ref_free(&ref);
}

static void short_names_resolve_like_docker(void **state)
{
	(void)state;
	check_normal("nginx", "docker.io/library/nginx:latest");
	check_normal("nginx:1.27", "docker.io/library/nginx:1.27");
	check_normal("bitnami/redis", "docker.io/bitnami/redis:latest");
	check_normal("index.docker.io/library/nginx:1", "docker.io/library/nginx:1");
	check_normal("localhost/a/b", "localhost/a/b:latest");
}

static void hosts_ports_tags_and_digests_split(void **state)
{
	static const char dig[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct image_ref ref;
	struct lerr err;
	char text[200];

	(void)state;
	assert_int_equal(image_ref_parse("127.0.0.1:5000/team/app:v1.2-rc_3", &ref, &err), 0);
	assert_string_equal(ref.domain, "127.0.0.1:5000");
	assert_string_equal(ref.repository, "team/app");
	assert_string_equal(ref.tag, "v1.2-rc_3");
	assert_null(ref.digest);
	assert_string_equal(image_ref_api_host(&ref), "127.0.0.1:5000");
	image_ref_free(&ref);

	snprintf(text, sizeof(text), "nvcr.io/nvidia/cuda@%s", dig);
	assert_int_equal(image_ref_parse(text, &ref, &err), 0);
	assert_string_equal(ref.domain, "nvcr.io");
	assert_null(ref.tag);
	assert_string_equal(ref.digest, dig);
	image_ref_free(&ref);

	snprintf(text, sizeof(text), "nginx:1.27@%s", dig);
	assert_int_equal(image_ref_parse(text, &ref, &err), 0);
	assert_string_equal(ref.tag, "1.27");
	assert_string_equal(ref.digest, dig);
	assert_string_equal(image_ref_api_host(&ref), "registry-1.docker.io");
	image_ref_free(&ref);
}

static void bad_references_are_usage_errors(void **state)
{
	static const char *const bad[] = {
	    "",	  "Nginx",	     "nginx:", "nginx@sha256:abc", "a//b", "host:5000/a:bad tag",
	    "-a", "nginx@sha512:00", "a/b:.x", "ho_st:5000/a",
	};
	struct image_ref ref;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lerr_clear(&err);
		if (image_ref_parse(bad[i], &ref, &err) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(err.code, LADING_ERR_USAGE);
		assert_non_null(strstr(err.msg, "not an image reference"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(short_names_resolve_like_docker),
	    cmocka_unit_test(hosts_ports_tags_and_digests_split),
	    cmocka_unit_test(bad_references_are_usage_errors),
	};
	return cmocka_run_group_tests_name("images_ref", tests, NULL, NULL);
}
