#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/fetch.h"
#include "images/store.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

/*
 * images_fetch without any registry: the lock rules, and a pinned image whose
 * blobs are all in the store is served from it (the registry host here is a
 * closed port, so any request would fail).
 */
struct fixture {
	char dir[64];
	char manifest_digest[DIGEST_STR_MAX];
};

static void put(const char *store, const char *data, char digest[DIGEST_STR_MAX])
{
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;

	sha256_hex(data, strlen(data), hex);
	snprintf(digest, DIGEST_STR_MAX, "sha256:%s", hex);
	assert_int_equal(store_put(store, digest, data, strlen(data), &err), 0);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char config[DIGEST_STR_MAX], layer[DIGEST_STR_MAX];
	const char *config_json = "{\"architecture\":\"arm64\",\"os\":\"linux\"}";
	const char *layer_data = "not really a tar";
	char *manifest;
	struct lerr err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-fetch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_init(f->dir, &err), 0);
	put(f->dir, config_json, config);
	put(f->dir, layer_data, layer);
	manifest = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			     "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
			     "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
			     "\"digest\":\"%s\",\"size\":%zu}]}",
			     config, strlen(config_json), layer, strlen(layer_data));
	put(f->dir, manifest, f->manifest_digest);
	free(manifest);
	setenv("HOME", f->dir, 1);
	unsetenv("LADING_REGISTRY_AUTH_FILE");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fs_remove_tree(f->dir, NULL);
	free(f);
	return 0;
}

static void locked_refuses_unpinned_refs(void **state)
{
	struct fixture *f = *state;
	struct image_fetch_opts opts = {.store_dir = f->dir, .locked = 1};
	struct image_request req = {.ref = "127.0.0.1:1/team/app:1"};
	struct image_result *results = NULL;
	struct lerr err;

	assert_int_equal(images_fetch(&opts, &req, 1, &results, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_string_equal(err.msg, "127.0.0.1:1/team/app:1: not pinned in the lock file (refusing to resolve with "
				     "--locked)");
	assert_null(results);
}

static void lock_and_ref_digests_must_agree(void **state)
{
	struct fixture *f = *state;
	struct image_fetch_opts opts = {.store_dir = f->dir};
	char ref[200];
	struct image_request req = {.ref = ref, .locked_digest = f->manifest_digest};
	struct image_result *results = NULL;
	struct lerr err;

	snprintf(ref, sizeof(ref), "127.0.0.1:1/team/app@sha256:%064d", 0);
	assert_int_equal(images_fetch(&opts, &req, 1, &results, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_non_null(strstr(err.msg, "the lock pins"));
}

static void pinned_image_in_the_store_needs_no_registry(void **state)
{
	struct fixture *f = *state;
	static const char *const platforms[] = {"linux/arm64"};
	struct image_fetch_opts opts = {.store_dir = f->dir, .locked = 1, .jobs = 2};
	struct image_request req = {.ref = "127.0.0.1:1/team/app:1",
				    .locked_digest = f->manifest_digest,
				    .platforms = platforms,
				    .platform_count = 1};
	struct image_result *results = NULL;
	struct lerr err;

	lerr_clear(&err);
	if (images_fetch(&opts, &req, 1, &results, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(results[0].ref, "127.0.0.1:1/team/app:1");
	assert_string_equal(results[0].digest, f->manifest_digest);
	assert_string_equal(results[0].resolved_digest, f->manifest_digest);
	assert_string_equal(results[0].media_type, "application/vnd.oci.image.manifest.v1+json");
	assert_int_equal(results[0].platform_count, 1);
	assert_string_equal(results[0].platforms[0], "linux/arm64");
	assert_int_equal(results[0].blob_count, 3);
	assert_null(results[0].source_index_digest);
	image_results_free(results, 1);
}

static void wrong_platform_of_a_plain_manifest_is_named(void **state)
{
	struct fixture *f = *state;
	static const char *const platforms[] = {"linux/amd64"};
	struct image_fetch_opts opts = {.store_dir = f->dir};
	struct image_request req = {.ref = "127.0.0.1:1/team/app:1",
				    .locked_digest = f->manifest_digest,
				    .platforms = platforms,
				    .platform_count = 1};
	struct image_result *results = NULL;
	struct lerr err;

	assert_int_equal(images_fetch(&opts, &req, 1, &results, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_string_equal(err.msg,
			    "127.0.0.1:1/team/app:1: no platform linux/amd64 in the image (it has linux/arm64)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(locked_refuses_unpinned_refs),
	    cmocka_unit_test(lock_and_ref_digests_must_agree),
	    cmocka_unit_test(pinned_image_in_the_store_needs_no_registry),
	    cmocka_unit_test(wrong_platform_of_a_plain_manifest_is_named),
	};
	return cmocka_run_group_tests_name("images_fetch", tests, setup, teardown);
}
