#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/manifest.h"
#include "bundle/format/path.h"
#include "lib/xmalloc.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void fill(struct bundle_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = BUNDLE_FORMAT_VERSION;
	m->name = xstrdup("site-1");
	m->created = 1700000000;
	m->tool = xstrdup("lading 0.1.0");
	m->spec = xstrdup("name: site-1\nimages: [a]\n");
	m->images = xcalloc(1, sizeof(*m->images));
	m->image_count = 1;
	m->images[0].ref = xstrdup("127.0.0.1:5000/a:1");
	m->images[0].digest = xstrdup("sha256:" HEX_A);
	m->images[0].media_type = xstrdup("application/vnd.oci.image.index.v1+json");
	m->images[0].platforms = xcalloc(2, sizeof(char *));
	m->images[0].platforms[0] = xstrdup("linux/amd64");
	m->images[0].platforms[1] = xstrdup("linux/arm64");
	m->images[0].platform_count = 2;
	m->images[0].size = 4096;
	/* Added out of order: sort must fix it. */
	bundle_manifest_add_entry(m, "oci/oci-layout", 30, HEX_B, BUNDLE_KIND_OCI_LAYOUT, NULL);
	bundle_manifest_add_entry(m, "oci/blobs/sha256/" HEX_A, 4096, HEX_A, BUNDLE_KIND_OCI_BLOB,
				  "127.0.0.1:5000/a:1");
}

static void manifest_round_trip_keeps_every_field(void **state)
{
	struct bundle_manifest m, back;
	struct lerr err;
	char *json = NULL, *json2 = NULL;
	size_t len = 0, len2 = 0;

	(void)state;
	fill(&m);
	assert_int_equal(bundle_manifest_sort(&m, &err), 0);
	assert_int_equal(bundle_manifest_to_json(&m, &json, &len, &err), 0);
	assert_non_null(strstr(json, "\"created\": \"2023-11-14T22:13:20Z\""));
	assert_int_equal(bundle_manifest_parse(json, len, &back, &err), 0);
	assert_string_equal(back.name, "site-1");
	assert_int_equal(back.created, 1700000000);
	assert_string_equal(back.spec, m.spec);
	assert_int_equal(back.image_count, 1);
	assert_int_equal(back.images[0].platform_count, 2);
	assert_string_equal(back.images[0].platforms[1], "linux/arm64");
	assert_int_equal(back.entry_count, 2);
	assert_string_equal(back.entries[0].path, "oci/blobs/sha256/" HEX_A);
	assert_string_equal(back.entries[0].ref, "127.0.0.1:5000/a:1");
	assert_null(back.entries[1].ref);
	assert_int_equal(back.entries[1].size, 30);
	assert_non_null(bundle_manifest_find(&back, "oci/oci-layout"));
	assert_null(bundle_manifest_find(&back, "oci/nope"));
	/* Deterministic: the same manifest serialises to the same bytes. */
	assert_int_equal(bundle_manifest_to_json(&back, &json2, &len2, &err), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(json, json2, len);
	free(json);
	free(json2);
	bundle_manifest_free(&m);
	bundle_manifest_free(&back);
}

static void parse_expect_error(const char *json, const char *needle)
{
	struct bundle_manifest m;
	struct lerr err;

	lerr_clear(&err);
	assert_int_equal(bundle_manifest_parse(json, strlen(json), &m, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("error '%s' does not mention '%s'", err.msg, needle);
}

#define HEAD "{\"format\":1,\"name\":\"n\",\"created\":\"2026-11-23T09:00:00Z\",\"tool\":\"t\",\"images\":[],"

static void manifest_rejects_unsafe_and_malformed_rows(void **state)
{
	(void)state;
	parse_expect_error("{\"format\":4}", "unsupported format");
	parse_expect_error("not json", "lading.json:1:");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"../x\",\"size\":1,\"sha256\":\"" HEX_A
				"\",\"kind\":\"oci-blob\"}]}",
			   "unsafe or reserved path '../x'");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"/etc/passwd\",\"size\":1,\"sha256\":\"" HEX_A
				"\",\"kind\":\"oci-blob\"}]}",
			   "unsafe");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"lading.json\",\"size\":1,\"sha256\":\"" HEX_A
				"\",\"kind\":\"x\"}]}",
			   "reserved");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"a\",\"size\":-1,\"sha256\":\"" HEX_A "\",\"kind\":\"x\"}]}",
			   "'size' must be a non-negative integer");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"ABC\",\"kind\":\"x\"}]}",
			   "not a sha256");
	parse_expect_error(HEAD "\"entries\":[{\"path\":\"a\",\"size\":1,\"sha256\":\"" HEX_A
				"\",\"kind\":\"x\"},{\"path\":\"a\",\"size\":1,\"sha256\":\"" HEX_A
				"\",\"kind\":\"x\"}]}",
			   "listed twice");
	parse_expect_error("{\"format\":1,\"name\":\"n\",\"created\":\"yesterday\",\"tool\":\"t\",\"images\":[],"
			   "\"entries\":[]}",
			   "not a UTC time");
}

#define HEAD3 "{\"format\":3,\"name\":\"n\",\"created\":\"2026-11-23T09:00:00Z\",\"tool\":\"t\",\"images\":[],"
#define BASE "\"base\":{\"name\":\"old\",\"lading_json\":\"sha256:" HEX_B "\"},"
#define IN_BASE_ROW "{\"path\":\"files/a\",\"size\":1,\"sha256\":\"" HEX_A "\",\"kind\":\"file\",\"in_base\":true}"

/* A delta (format 3) names its base; its in_base rows round-trip; nothing else may claim either. */
static void delta_base_and_rows(void **state)
{
	const char *good = HEAD3 BASE "\"entries\":[" IN_BASE_ROW "]}";
	struct bundle_manifest m;
	struct lerr err;
	char *json = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(bundle_manifest_parse(good, strlen(good), &m, &err), 0);
	assert_string_equal(m.base_name, "old");
	assert_string_equal(m.base_digest, "sha256:" HEX_B);
	assert_true(m.entries[0].in_base);
	assert_int_equal(bundle_manifest_to_json(&m, &json, &len, &err), 0);
	assert_non_null(strstr(json, "\"in_base\": true"));
	assert_non_null(strstr(json, "\"lading_json\": \"sha256:" HEX_B "\""));
	free(json);
	bundle_manifest_free(&m);
	parse_expect_error(HEAD3 "\"entries\":[]}", "'base' must be an object");
	parse_expect_error("{\"format\":2,\"name\":\"n\",\"created\":\"2026-11-23T09:00:00Z\",\"tool\":\"t\","
			   "\"images\":[]," BASE "\"entries\":[]}",
			   "in format 3 (a delta) only");
	parse_expect_error("{\"format\":2,\"name\":\"n\",\"created\":\"2026-11-23T09:00:00Z\",\"tool\":\"t\","
			   "\"images\":[],\"entries\":[" IN_BASE_ROW "]}",
			   "marked in_base, but no base is named");
	parse_expect_error(HEAD3 "\"base\":{\"name\":\"old\",\"lading_json\":\"md5:x\"},\"entries\":[]}",
			   "is not sha256:<hex>");
}

static void path_safety_checks(void **state)
{
	char out[64];

	(void)state;
	assert_true(bundle_path_is_safe("oci/blobs/sha256/abc"));
	assert_true(bundle_path_is_safe("lading.json"));
	assert_true(bundle_path_is_safe("files/..hidden"));
	assert_false(bundle_path_is_safe(""));
	assert_false(bundle_path_is_safe("/etc/passwd"));
	assert_false(bundle_path_is_safe("../x"));
	assert_false(bundle_path_is_safe("a/../../x"));
	assert_false(bundle_path_is_safe("a/.."));
	assert_false(bundle_path_is_safe("./a"));
	assert_false(bundle_path_is_safe("a//b"));
	assert_false(bundle_path_is_safe("a/"));
	assert_false(bundle_path_is_safe("a\\..\\b"));
	assert_false(bundle_path_is_safe("a\nb"));
	assert_int_equal(bundle_path_normalise("./oci/blobs/", out, sizeof(out)), 0);
	assert_string_equal(out, "oci/blobs");
	assert_int_equal(bundle_path_normalise("./../x", out, sizeof(out)), 0);
	assert_false(bundle_path_is_safe(out));
	assert_int_equal(bundle_path_normalise("0123456789012345678901234567890123456789012345678901234567890123456789",
					       out, sizeof(out)),
			 -1);
}

static void time_round_trip(void **state)
{
	char text[32];
	int64_t back = 0;

	(void)state;
	bundle_format_time(0, text);
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	bundle_format_time(1795338000, text);
	assert_int_equal(bundle_parse_time(text, &back), 0);
	assert_int_equal(back, 1795338000);
	assert_int_equal(bundle_parse_time("2026-11-23 09:00:00", &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_round_trip_keeps_every_field),
	    cmocka_unit_test(manifest_rejects_unsafe_and_malformed_rows),
	    cmocka_unit_test(delta_base_and_rows),
	    cmocka_unit_test(path_safety_checks),
	    cmocka_unit_test(time_round_trip),
	};
	return cmocka_run_group_tests_name("bundle_manifest", tests, NULL, NULL);
}
