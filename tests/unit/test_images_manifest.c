#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/manifest.h"
#include "lib/err.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"

static const char index_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":10,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":20,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"},\"annotations\":{\"k\":\"v\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\",\"size\":30,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";

static void docker_manifest_parses_config_and_layers(void **state)
{
	static const char json[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" D1
	    "\",\"size\":7},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
	    "\"digest\":\"" D2 "\",\"size\":1234567890123}]}";
	struct oci_manifest m;
	struct lerr err;

	(void)state;
	assert_int_equal(oci_manifest_parse(json, strlen(json), MEDIA_DOCKER_MANIFEST "; charset=utf-8", &m, &err), 0);
	assert_false(m.is_index);
	assert_string_equal(m.media_type, MEDIA_DOCKER_MANIFEST);
	assert_string_equal(m.config.digest, D1);
	assert_int_equal(m.config.size, 7);
	assert_int_equal(m.layer_count, 1);
	assert_string_equal(m.layers[0].digest, D2);
	assert_true(m.layers[0].size == 1234567890123ULL);
	oci_manifest_free(&m);
}

static void index_parses_platforms(void **state)
{
	struct oci_manifest m;
	struct lerr err;

	(void)state;
	assert_int_equal(oci_manifest_parse(index_json, strlen(index_json), NULL, &m, &err), 0);
	assert_true(m.is_index);
	assert_int_equal(m.manifest_count, 3);
	assert_string_equal(m.manifests[1].platform.architecture, "arm64");
	assert_string_equal(m.manifests[1].platform.variant, "v8");
	oci_manifest_free(&m);
}

static void bad_manifests_are_refused(void **state)
{
	static const char *const bad[] = {
	    "not json",
	    "{\"schemaVersion\":1,\"name\":\"x\"}",
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":"
	    "\"md5:00\",\"size\":1},\"layers\":[]}",
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":"
	    "\"" D1 "\",\"size\":-1},\"layers\":[]}",
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":"
	    "\"" D1 "\",\"size\":1}}",
	    "{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}",
	};
	struct oci_manifest m;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (oci_manifest_parse(bad[i], strlen(bad[i]), NULL, &m, &err) != -1)
			fail_msg("accepted bad manifest %zu", i);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
	}
	/* Content-Type and body mediaType must agree. */
	assert_int_equal(oci_manifest_parse(index_json, strlen(index_json), MEDIA_DOCKER_MANIFEST, &m, &err), -1);
	assert_non_null(strstr(err.msg, "differs"));
}

static void platforms_select_with_arm64_variant_rules(void **state)
{
	struct oci_manifest m;
	struct oci_platform want[3];
	size_t chosen[3];
	struct lerr err;
	size_t i;

	(void)state;
	assert_int_equal(oci_manifest_parse(index_json, strlen(index_json), NULL, &m, &err), 0);
	assert_int_equal(oci_platform_parse("linux/arm64", &want[0], &err), 0);
	assert_int_equal(oci_platform_parse("linux/amd64", &want[1], &err), 0);
	assert_int_equal(oci_platform_parse("linux/arm", &want[2], &err), 0);
	assert_int_equal(oci_index_select(&m, want, 3, chosen, &err), 0);
	assert_int_equal(chosen[0], 1);
	assert_int_equal(chosen[1], 0);
	assert_int_equal(chosen[2], 2);
	assert_true(oci_index_selection_is_all(&m, chosen, 3));
	assert_false(oci_index_selection_is_all(&m, chosen, 2));
	for (i = 0; i < 3; i++)
		oci_platform_free(&want[i]);

	assert_int_equal(oci_platform_parse("linux/arm/v6", &want[0], &err), 0);
	assert_int_equal(oci_index_select(&m, want, 1, chosen, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_string_equal(err.msg, "no platform linux/arm/v6 in the image index (it has linux/amd64, linux/arm64/v8, "
				     "linux/arm/v7)");
	oci_platform_free(&want[0]);
	assert_int_equal(oci_platform_parse("linux", &want[0], &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_int_equal(oci_platform_parse("linux/amd64/", &want[0], &err), -1);
	oci_manifest_free(&m);
}

static void filtered_index_keeps_descriptors_and_names_its_source(void **state)
{
	size_t chosen[2] = {2, 1};
	struct oci_manifest m;
	struct lerr err;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(oci_index_filter(index_json, strlen(index_json), chosen, 2, D4, &out, &len, &err), 0);
	assert_int_equal(strlen(out), len);
	assert_int_equal(oci_manifest_parse(out, len, NULL, &m, &err), 0);
	assert_int_equal(m.manifest_count, 2);
	assert_string_equal(m.manifests[0].digest, D3);
	assert_string_equal(m.manifests[1].digest, D2);
	assert_non_null(strstr(out, "\"annotations\":{\"k\":\"v\"}"));
	assert_non_null(strstr(out, "\"io.lading.source-index\":\"" D4 "\""));
	assert_null(strstr(out, "org.opencontainers.image.ref.name"));
	oci_manifest_free(&m);
	free(out);
}

static void config_platform_is_read(void **state)
{
	static const char json[] = "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\",\"rootfs\":{}}";
	struct oci_platform p;
	struct lerr err;
	char *text;

	(void)state;
	assert_int_equal(oci_config_platform(json, strlen(json), &p, &err), 0);
	text = oci_platform_string(&p);
	assert_string_equal(text, "linux/arm64/v8");
	free(text);
	oci_platform_free(&p);
	assert_int_equal(oci_config_platform("{}", 2, &p, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(docker_manifest_parses_config_and_layers),
	    cmocka_unit_test(index_parses_platforms),
	    cmocka_unit_test(bad_manifests_are_refused),
	    cmocka_unit_test(platforms_select_with_arm64_variant_rules),
	    cmocka_unit_test(filtered_index_keeps_descriptors_and_names_its_source),
	    cmocka_unit_test(config_platform_is_read),
	};
	return cmocka_run_group_tests_name("images_manifest", tests, NULL, NULL);
}
