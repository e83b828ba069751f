#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "images/naming.h"
#include "lib/err.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void map_ok(const char *ref, const char *prefix, int keep_host, const char *repo, const char *tag,
		   const char *digest)
{
	struct naming_opts opts = {prefix, keep_host};
	struct naming_target target;
	struct lerr err;

	assert_int_equal(naming_map(ref, &opts, &target, &err), 0);
	assert_string_equal(target.repository, repo);
	if (tag == NULL)
		assert_null(target.tag);
	else
		assert_string_equal(target.tag, tag);
	assert_string_equal(target.digest, digest);
	naming_target_free(&target);
}

static void map_drops_host_keeps_path_by_default(void **state)
{
	(void)state;
	map_ok("docker.io/library/nginx:1.27", NULL, 0, "library/nginx", "1.27", "");
	map_ok("registry.example.org:5000/team/app:v2", NULL, 0, "team/app", "v2", "");
	map_ok("quay.io/a/b/c:1", "", 0, "a/b/c", "1", "");
}

static void map_applies_docker_defaults(void **state)
{
	(void)state;
	map_ok("nginx", NULL, 0, "library/nginx", "latest", "");
	map_ok("bitnami/redis:7", NULL, 0, "bitnami/redis", "7", "");
	map_ok("index.docker.io/library/busybox:1", NULL, 1, "docker.io/library/busybox", "1", "");
	map_ok("localhost/app:1", NULL, 1, "localhost/app", "1", "");
}

static void map_keeps_digests(void **state)
{
	(void)state;
	map_ok("nginx@" DIGEST, NULL, 0, "library/nginx", NULL, DIGEST);
	map_ok("docker.io/library/nginx:1.27@" DIGEST, NULL, 0, "library/nginx", "1.27", DIGEST);
}

static void map_prefix_puts_everything_under_a_project(void **state)
{
	(void)state;
	map_ok("docker.io/library/nginx:1.27", "mirror/", 0, "mirror/library/nginx", "1.27", "");
	map_ok("docker.io/library/nginx:1.27", "mirror", 0, "mirror/library/nginx", "1.27", "");
	map_ok("docker.io/library/nginx:1.27", "a/b/", 1, "a/b/docker.io/library/nginx", "1.27", "");
}

static void map_keep_host_keeps_the_host_as_first_element(void **state)
{
	(void)state;
	map_ok("docker.io/library/nginx:1.27", NULL, 1, "docker.io/library/nginx", "1.27", "");
	map_ok("Registry.Example.org:5000/team/app:v2", NULL, 1, "registry.example.org-5000/team/app", "v2", "");
	map_ok("127.0.0.1:5000/demo:1", NULL, 1, "127.0.0.1-5000/demo", "1", "");
}

static void map_refuses_bad_input(void **state)
{
	struct naming_opts plain = {NULL, 0}, bad_prefix = {"Mirror/", 0}, dots = {"../x", 0};
	struct naming_target target;
	struct lerr err;

	(void)state;
	assert_int_equal(naming_map("docker.io/Library/nginx:1", &plain, &target, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "docker.io/Library/nginx:1"));
	assert_int_equal(naming_map("nginx:bad tag", &plain, &target, &err), -1);
	assert_int_equal(naming_map("nginx@sha256:abc", &plain, &target, &err), -1);
	assert_int_equal(naming_map("", &plain, &target, &err), -1);
	assert_int_equal(naming_map("a/../b:1", &plain, &target, &err), -1);
	assert_int_equal(naming_map("nginx:1", &bad_prefix, &target, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_int_equal(naming_map("nginx:1", &dots, &target, &err), -1);
}

static void repo_and_tag_grammar(void **state)
{
	(void)state;
	assert_true(naming_repo_valid("a/b-c/d__e/f.g"));
	assert_true(naming_repo_valid("a--b"));
	assert_false(naming_repo_valid(""));
	assert_false(naming_repo_valid("a//b"));
	assert_false(naming_repo_valid("/a"));
	assert_false(naming_repo_valid("a/"));
	assert_false(naming_repo_valid(".."));
	assert_false(naming_repo_valid("a/../b"));
	assert_false(naming_repo_valid("a___b"));
	assert_false(naming_repo_valid("a._b"));
	assert_false(naming_repo_valid("a%2fb"));
	assert_true(naming_tag_valid("1.27-alpine_x"));
	assert_false(naming_tag_valid(".x"));
	assert_false(naming_tag_valid("-x"));
	assert_false(naming_tag_valid("a/b"));
	assert_false(naming_tag_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(map_drops_host_keeps_path_by_default),
	    cmocka_unit_test(map_applies_docker_defaults),
	    cmocka_unit_test(map_keeps_digests),
	    cmocka_unit_test(map_prefix_puts_everything_under_a_project),
	    cmocka_unit_test(map_keep_host_keeps_the_host_as_first_element),
	    cmocka_unit_test(map_refuses_bad_input),
	    cmocka_unit_test(repo_and_tag_grammar),
	};

	return cmocka_run_group_tests_name("naming", tests, NULL, NULL);
}
