/* Turning fetched images into the rows of an OCI image layout (image-spec image-layout.md). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle/cache.h"
#include "bundle/layout.h"
#include "lib/digest.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define OCI_INDEX_MEDIA_TYPE "application/vnd.oci.image.index.v1+json"
#define OCI_LAYOUT_TEXT "{\"imageLayoutVersion\":\"1.0.0\"}"

static int add_memory_row(struct bundle_manifest *m, const char *path, const char *data, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	struct bundle_entry *e;

	sha256_hex(data, len, hex);
	e = bundle_manifest_add_entry(m, path, len, hex, BUNDLE_KIND_OCI_LAYOUT, NULL);
	bundle_entry_set_data(e, data, len);
	return 0;
}

static int add_blob_row(struct bundle_manifest *m, const char *store_dir, const struct image_result *img,
			const char *digest, uint64_t *size, struct lerr *err)
{
	char *source = bundle_cache_blob_path(store_dir, digest);
	char *path = NULL;
	struct bundle_entry *e;
	struct stat st;
	size_t i;
	int r = -1;

	if (source == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: blob '%s' is not a sha256 digest", img->ref, digest);
	if (stat(source, &st) != 0 || !S_ISREG(st.st_mode)) {
		lerr_sys(err, "%s: blob %s is not in the cache ('%s')", img->ref, digest, source);
		goto out;
	}
	*size = (uint64_t)st.st_size;
	path = xasprintf("oci/blobs/sha256/%s", digest + strlen("sha256:"));
	for (i = 0; i < m->entry_count; i++)
		if (strcmp(m->entries[i].path, path) == 0) {
			r = 0; /* shared with an earlier image: stored once */
			goto out;
		}
	e = bundle_manifest_add_entry(m, path, (uint64_t)st.st_size, digest + strlen("sha256:"), BUNDLE_KIND_OCI_BLOB,
				      img->ref);
	bundle_entry_set_file(e, source);
	r = 0;
out:
	free(path);
	free(source);
	return r;
}

static void add_image_row(struct bundle_manifest *m, const struct image_result *img, uint64_t size)
{
	struct bundle_image *bi;
	size_t i;

	m->images = grow_array(m->images, m->image_count, sizeof(*m->images));
	bi = &m->images[m->image_count++];
	memset(bi, 0, sizeof(*bi));
	bi->ref = xstrdup(img->ref);
	bi->digest = xstrdup(img->digest);
	bi->media_type = xstrdup(img->media_type);
	bi->source_index_digest = img->source_index_digest ? xstrdup(img->source_index_digest) : NULL;
	bi->platforms = xcalloc(img->platform_count + 1, sizeof(char *));
	for (i = 0; i < img->platform_count; i++)
		bi->platforms[bi->platform_count++] = xstrdup(img->platforms[i]);
	bi->size = size;
}

/* The upstream index, when it is not the top level, is named so serve and push keep its digest pullable. */
static json_t *descriptor(const struct image_result *img)
{
	json_t *d = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", img->media_type, "digest", img->digest, "size",
			      (json_int_t)img->size, "annotations", BUNDLE_OCI_REF_ANNOTATION, img->ref);

	if (img->source_index_digest != NULL)
		json_object_set_new(json_object_get(d, "annotations"), BUNDLE_OCI_UPSTREAM_ANNOTATION,
				    json_string(img->source_index_digest));
	return d;
}

/* index.json: one descriptor per image, in the spec's order. */
static int add_index(struct bundle_manifest *m, const struct image_result *results, size_t count, struct lerr *err)
{
	json_t *root = json_object();
	json_t *manifests = json_array();
	char *text;
	size_t i;

	for (i = 0; i < count; i++)
		json_array_append_new(manifests, descriptor(&results[i]));
	json_object_set_new(root, "schemaVersion", json_integer(2));
	json_object_set_new(root, "mediaType", json_string(OCI_INDEX_MEDIA_TYPE));
	json_object_set_new(root, "manifests", manifests);
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "oci/index.json: cannot serialise (invalid UTF-8 in a ref?)");
	add_memory_row(m, "oci/index.json", text, strlen(text));
	free(text);
	return 0;
}

int bundle_layout_add_images(struct bundle_manifest *m, const char *store_dir, const struct image_result *results,
			     size_t count, struct lerr *err)
{
	size_t i, j;

	for (i = 0; i < count; i++) {
		uint64_t total = 0;

		for (j = 0; j < i; j++)
			if (strcmp(results[i].ref, results[j].ref) == 0)
				return lerr_set(err, LADING_ERR_USAGE,
						"image '%s' is listed twice (under two spellings?)", results[i].ref);
		for (j = 0; j < results[i].blob_count; j++) {
			uint64_t size = 0;

			if (add_blob_row(m, store_dir, &results[i], results[i].blobs[j], &size, err) != 0)
				return -1;
			total += size;
		}
		add_image_row(m, &results[i], total);
	}
	if (count == 0)
		return 0;
	add_memory_row(m, "oci/oci-layout", OCI_LAYOUT_TEXT, strlen(OCI_LAYOUT_TEXT));
	return add_index(m, results, count, err);
}
