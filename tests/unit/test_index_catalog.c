/*
 * serve/catalog.c with an upstream index (issue 14): an image whose top level
 * is one platform's manifest names, in index.json, the upstream index it came
 * from; that index is served by its digest with the children the layout
 * carries, while the children it lacks stay unknown and do not fail the load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "serve/catalog.h"

#define ABSENT "sha256:9999999999999999999999999999999999999999999999999999999999999999"

struct tree {
	char root[64];
	char *oci;
};

/* Stores data under its digest in T/oci/blobs/sha256 and returns "sha256:<hex>" (caller frees). */
static char *store(const struct tree *t, const char *data)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	struct lerr err;

	sha256_hex(data, strlen(data), hex);
	path = xasprintf("%s/blobs/sha256/%s", t->oci, hex);
	assert_int_equal(fs_write_file(path, data, strlen(data), 0644, &err), 0);
	free(path);
	return xasprintf("sha256:%s", hex);
}

struct image {
	char *layer, *config, *manifest, *upstream;
	size_t manifest_len;
};

/* One arm64 manifest, carried; its upstream index also names ABSENT (amd64, not carried). */
static void make_layout(struct tree *t, struct image *img, const char *upstream_annotation)
{
	char *text, *index_json, *path;
	struct lerr err;

	snprintf(t->root, sizeof(t->root), "/tmp/lading-unit-index.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	t->oci = xasprintf("%s/oci", t->root);
	path = xasprintf("%s/blobs/sha256", t->oci);
	assert_int_equal(fs_mkdir_p(path, &err), 0);
	free(path);
	img->layer = store(t, "layer bytes");
	img->config = store(t, "{\"architecture\":\"arm64\",\"os\":\"linux\"}");
	text = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
			 "\"size\":37},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
			 "\"digest\":\"%s\",\"size\":11}]}",
			 img->config, img->layer);
	img->manifest = store(t, text);
	img->manifest_len = strlen(text);
	free(text);
	text =
	    xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
		      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":99,"
		      "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
		      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
		      "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
		      ABSENT, img->manifest, img->manifest_len);
	img->upstream = store(t, text);
	free(text);
	index_json =
	    xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest."
		      "v1+json\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image."
		      "ref.name\":\"docker.io/team/app:1\",\"io.lading.upstream-index\":\"%s\"}}]}",
		      img->manifest, img->manifest_len, upstream_annotation ? upstream_annotation : img->upstream);
	path = xasprintf("%s/index.json", t->oci);
	assert_int_equal(fs_write_file(path, index_json, strlen(index_json), 0644, &err), 0);
	free(path);
	free(index_json);
}

static void tree_free(struct tree *t, struct image *img)
{
	fs_remove_tree(t->root, NULL);
	free(t->oci);
	free(img->layer);
	free(img->config);
	free(img->manifest);
	free(img->upstream);
}

static void upstream_index_is_served_with_the_carried_children(void **state)
{
	struct naming_opts naming = {0};
	struct serve_catalog *cat = NULL;
	struct tree t;
	struct image img;
	struct lerr err;

	(void)state;
	make_layout(&t, &img, NULL);
	if (serve_catalog_load(t.oci, &naming, 1, NULL, &cat, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(serve_catalog_tag(cat, "team/app", "1"), img.manifest);
	assert_string_equal(serve_catalog_manifest_type(cat, "team/app", img.upstream),
			    "application/vnd.oci.image.index.v1+json");
	assert_non_null(serve_catalog_manifest_type(cat, "team/app", img.manifest));
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", img.layer));
	assert_null(serve_catalog_manifest_type(cat, "team/app", ABSENT));
	assert_false(serve_catalog_blob_in_repo(cat, "team/app", ABSENT));
	serve_catalog_free(cat);
	tree_free(&t, &img);
}

static void a_missing_upstream_index_fails_the_load(void **state)
{
	struct naming_opts naming = {0};
	struct serve_catalog *cat = NULL;
	struct tree t;
	struct image img;
	struct lerr err;

	(void)state;
	make_layout(&t, &img, ABSENT);
	assert_int_equal(serve_catalog_load(t.oci, &naming, 1, NULL, &cat, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, ABSENT));
	assert_null(strchr(err.msg, '\n'));
	tree_free(&t, &img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(upstream_index_is_served_with_the_carried_children),
	    cmocka_unit_test(a_missing_upstream_index_fails_the_load),
	};
	return cmocka_run_group_tests_name("index_catalog", tests, NULL, NULL);
}
