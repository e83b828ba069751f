/* Attestation entries and the filtered index built from entries of nested indexes (issue 14). */
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

/* buildx's shape: two platforms, then the attestation of the first. */
static const char buildx_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":10,"
    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":20,"
    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D3 "\",\"size\":30,"
    "\"annotations\":{\"vnd.docker.reference.digest\":\"" D1 "\","
    "\"vnd.docker.reference.type\":\"attestation-manifest\"},"
    "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}],"
    "\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01\"}}";

static void attestation_entries_name_their_manifest(void **state)
{
	struct oci_manifest m;
	struct lerr err;

	(void)state;
	assert_int_equal(oci_manifest_parse(buildx_json, strlen(buildx_json), NULL, &m, &err), 0);
	assert_false(oci_descriptor_is_attestation(&m.manifests[0]));
	assert_false(oci_descriptor_is_attestation(&m.manifests[1]));
	assert_true(oci_descriptor_is_attestation(&m.manifests[2]));
	assert_string_equal(m.manifests[2].ref_digest, D1);
	/* the entry's own JSON is kept for a rebuilt index */
	assert_non_null(strstr(m.manifests[2].json, "\"vnd.docker.reference.type\":\"attestation-manifest\""));
	oci_manifest_free(&m);
}

static void rebuild_keeps_entries_as_they_were_and_names_the_source(void **state)
{
	static const char nested_json[] =
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"digest\":\"" D4 "\",\"size\":40,\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"},"
	    "\"annotations\":{\"x\":\"y\"}}]}";
	struct oci_manifest top, nested;
	const struct oci_descriptor *keep[3];
	char *out = NULL;
	size_t len = 0;
	struct lerr err;
	json_t *root;
	json_error_t jerr;

	(void)state;
	assert_int_equal(oci_manifest_parse(buildx_json, strlen(buildx_json), NULL, &top, &err), 0);
	assert_int_equal(oci_manifest_parse(nested_json, strlen(nested_json), MEDIA_OCI_INDEX, &nested, &err), 0);
	keep[0] = &nested.manifests[0]; /* from a nested index */
	keep[1] = &top.manifests[0];
	keep[2] = &top.manifests[2];
	assert_int_equal(oci_index_rebuild(buildx_json, strlen(buildx_json), keep, 3, D2, &out, &len, &err), 0);
	assert_int_equal(len, strlen(out));
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "manifests")), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(root, "manifests"), 0), "digest")), D4);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(root, "manifests"), 0), "annotations"), "x")),
	    "y");
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_array_get(json_object_get(root, "manifests"), 2), "annotations"),
				"vnd.docker.reference.digest")),
			    D1);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(root, "annotations"), "io.lading.source-index")), D2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "annotations"),
							      "org.opencontainers.image.created")),
			    "2024-01-01");
	assert_string_equal(json_string_value(json_object_get(root, "mediaType")), MEDIA_OCI_INDEX);
	json_decref(root);
	free(out);
	oci_manifest_free(&top);
	oci_manifest_free(&nested);
}

static void rebuild_refuses_what_is_not_an_index(void **state)
{
	static const char not_index[] = "{\"schemaVersion\":2}";
	struct lerr err;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(oci_index_rebuild(not_index, strlen(not_index), NULL, 0, D1, &out, &len, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(attestation_entries_name_their_manifest),
	    cmocka_unit_test(rebuild_keeps_entries_as_they_were_and_names_the_source),
	    cmocka_unit_test(rebuild_refuses_what_is_not_an_index),
	};
	return cmocka_run_group_tests_name("index_rebuild", tests, NULL, NULL);
}
