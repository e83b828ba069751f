/* The plan of `bundle push`: from a verifying pass (pass 1) or from a bundle's view (see push_plan.h). */
#include "bundle/push_plan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/view.h"
#include "bundle/layout.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define BLOB_PREFIX "oci/blobs/sha256/"
#define LAYOUT_INDEX "oci/index.json"

/* Reads the whole current entry (at most MANIFEST_MAX_BYTES) into b. */
static int read_small(struct bundle_reader *r, const struct bundle_entry *row, struct buf *b, struct lerr *err)
{
	char chunk[64 << 10];
	ssize_t got;

	buf_init(b, MANIFEST_MAX_BYTES);
	while ((got = bundle_reader_read(r, chunk, sizeof(chunk), err)) > 0)
		if (buf_add(b, chunk, (size_t)got, err) != 0)
			return lerr_prefix(err, "%s", row->path);
	return got < 0 ? -1 : 0;
}

/* Keeps a blob that is an image manifest or index; other JSON (configs) is dropped. */
static void keep_if_manifest(struct push_plan *plan, const char *hex, struct buf *b)
{
	struct plan_manifest *m;
	struct oci_manifest parsed;
	struct lerr ignored;

	if (b->len == 0 || b->data[0] != '{')
		return;
	if (oci_manifest_parse(b->data, b->len, NULL, &parsed, &ignored) != 0)
		return;
	if (!parsed.is_index && parsed.config.digest[0] == '\0') {
		oci_manifest_free(&parsed);
		return;
	}
	plan->manifests = grow_array(plan->manifests, plan->manifest_count, sizeof(*plan->manifests));
	m = &plan->manifests[plan->manifest_count++];
	snprintf(m->digest, sizeof(m->digest), "sha256:%s", hex);
	m->len = b->len;
	m->body = buf_detach(b, NULL);
	m->parsed = parsed;
}

static int add_image(struct push_plan *plan, json_t *desc, size_t index, struct lerr *err)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *ref = json_string_value(json_object_get(ann, BUNDLE_OCI_REF_ANNOTATION));
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	struct plan_image *img;

	if (ref == NULL || digest == NULL || !digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: manifests[%zu] needs a sha256 digest and %s", LAYOUT_INDEX,
				index, BUNDLE_OCI_REF_ANNOTATION);
	plan->images = grow_array(plan->images, plan->image_count, sizeof(*plan->images));
	img = &plan->images[plan->image_count++];
	memset(img, 0, sizeof(*img));
	img->source = xstrdup(ref);
	snprintf(img->digest, sizeof(img->digest), "%s", digest);
	ref = json_string_value(json_object_get(ann, BUNDLE_OCI_UPSTREAM_ANNOTATION));
	if (ref != NULL && !digest_is_sha256(ref))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: manifests[%zu]: %s '%s' is not a sha256 digest",
				LAYOUT_INDEX, index, BUNDLE_OCI_UPSTREAM_ANNOTATION, ref);
	snprintf(img->upstream, sizeof(img->upstream), "%s", ref != NULL ? ref : "");
	return 0;
}

static int read_layout_index(struct push_plan *plan, struct buf *b, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(b->data ? b->data : "", b->len, 0, &jerr);
	json_t *list = json_object_get(root, "manifests");
	size_t i;
	int r = -1;

	if (root == NULL || !json_is_array(list)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not an OCI image index (%s)", LAYOUT_INDEX,
			 root == NULL ? jerr.text : "no manifests list");
		goto out;
	}
	for (i = 0; i < json_array_size(list); i++)
		if (add_image(plan, json_array_get(list, i), i, err) != 0)
			goto out;
	r = 0;
out:
	json_decref(root);
	return r;
}

static void count_other(struct push_plan *plan, const char *path)
{
	if (strncmp(path, "files/", 6) == 0)
		plan->file_entries++;
	else if (strncmp(path, "providers/", 10) == 0)
		plan->provider_entries++;
	else if (strncmp(path, "apt/", 4) == 0)
		plan->apt_entries++;
}

/* Two sources must not land on one name: the second would silently replace the first's tag. */
static int check_unique(const struct push_plan *plan, size_t idx, struct lerr *err)
{
	const struct plan_image *img = &plan->images[idx];
	size_t i;

	for (i = 0; i < idx; i++)
		if (strcmp(plan->images[i].display, img->display) == 0 &&
		    strcmp(plan->images[i].digest, img->digest) != 0)
			return lerr_set(
			    err, LADING_ERR_USAGE,
			    "%s and %s would both be pushed as %s: use --keep-host (or --prefix) to keep them apart",
			    plan->images[i].source, img->source, img->display);
	return 0;
}

static int plan_finish(struct push_plan *plan, const char *path, int index_seen, const struct bundle_manifest *bm,
		       const struct bundle_push_opts *opts, struct lerr *err);

/* The verifying pass: every entry is read and checked by the reader. */
static int verify_pass(const char *path, const struct bundle_push_opts *opts, struct push_plan *plan, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_entry *row;
	const char *name, *json, *sig;
	size_t json_len, sig_len;
	struct buf b = BUF_INIT(0);
	struct progress progress;
	uint64_t seen = 0;
	int rc = -1, index_seen = 0;

	if (bundle_reader_open(&r, path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	sha256_hex(json, json_len, plan->json_sha256);
	if (opts->head != NULL &&
	    opts->head(opts->head_ctx, json, json_len, sig, sig_len, bundle_reader_manifest(r), err) != 0)
		goto out;
	progress_start(&progress, opts->lg, "verifying", 0);
	while ((rc = bundle_reader_next(r, &row, &name, err)) == 1) {
		progress_add(&progress, bundle_reader_bytes(r) - seen);
		seen = bundle_reader_bytes(r);
		if (row == NULL)
			continue;
		count_other(plan, row->path);
		if (strcmp(row->path, LAYOUT_INDEX) == 0) {
			index_seen = 1;
			if (read_small(r, row, &b, err) != 0 || read_layout_index(plan, &b, err) != 0)
				goto out;
		} else if (strncmp(row->path, BLOB_PREFIX, strlen(BLOB_PREFIX)) == 0 &&
			   row->size <= MANIFEST_MAX_BYTES) {
			if (read_small(r, row, &b, err) != 0)
				goto out;
			keep_if_manifest(plan, row->path + strlen(BLOB_PREFIX), &b);
		}
		buf_free(&b);
	}
	progress_end(&progress);
	if (rc == 0)
		rc = plan_finish(plan, path, index_seen, bundle_reader_manifest(r), opts, err);
out:
	buf_free(&b);
	bundle_reader_close(r);
	return rc == 0 ? 0 : -1;
}

static const struct plan_manifest *find_manifest(const struct push_plan *plan, const char *digest, size_t *at)
{
	size_t i;

	for (i = 0; i < plan->manifest_count; i++)
		if (strcmp(plan->manifests[i].digest, digest) == 0) {
			*at = i;
			return &plan->manifests[i];
		}
	return NULL;
}

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_blob *)a)->digest, ((const struct plan_blob *)b)->digest);
}

struct plan_blob *push_plan_blob(const struct push_plan *plan, const char *digest)
{
	struct plan_blob key;

	if (plan->blob_count == 0)
		return NULL;
	snprintf(key.digest, sizeof(key.digest), "%s", digest);
	return bsearch(&key, plan->blobs, plan->blob_count, sizeof(*plan->blobs), blob_cmp);
}

/* Records that image idx needs blob d (once per target repository). */
static int need_blob(struct push_plan *plan, const struct bundle_manifest *bm, size_t idx,
		     const struct oci_descriptor *d, struct lerr *err)
{
	char path[sizeof(BLOB_PREFIX) + SHA256_HEX_LEN];
	const struct bundle_entry *row;
	struct plan_blob *b = NULL;
	size_t i;

	snprintf(path, sizeof(path), "%s%s", BLOB_PREFIX, d->digest + 7);
	row = bundle_manifest_find(bm, path);
	if (row == NULL || row->size != d->size)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the bundle lacks blob %s (%llu bytes) that it needs",
				plan->images[idx].source, d->digest, (unsigned long long)d->size);
	for (i = 0; i < plan->blob_count && b == NULL; i++)
		if (strcmp(plan->blobs[i].digest, d->digest) == 0)
			b = &plan->blobs[i];
	if (b == NULL) {
		plan->blobs = grow_array(plan->blobs, plan->blob_count, sizeof(*plan->blobs));
		b = &plan->blobs[plan->blob_count++];
		memset(b, 0, sizeof(*b));
		snprintf(b->digest, sizeof(b->digest), "%s", d->digest);
		b->size = d->size;
		plan->blob_bytes += d->size;
		if (d->size > plan->largest_blob)
			plan->largest_blob = d->size;
	}
	for (i = 0; i < b->image_count; i++)
		if (strcmp(plan->images[b->images[i]].target.repository, plan->images[idx].target.repository) == 0)
			return 0;
	b->images = grow_array(b->images, b->image_count, sizeof(*b->images));
	b->images[b->image_count++] = idx;
	return 0;
}

static int need_manifest_blobs(struct push_plan *plan, const struct bundle_manifest *bm, size_t idx,
			       const struct oci_manifest *m, struct lerr *err)
{
	size_t i;

	if (need_blob(plan, bm, idx, &m->config, err) != 0)
		return -1;
	for (i = 0; i < m->layer_count; i++)
		if (need_blob(plan, bm, idx, &m->layers[i], err) != 0)
			return -1;
	return 0;
}

/*
 * From a view, manifests are read when the plan names them (a verified read of
 * that entry alone); after a verifying pass they are all in plan already.
 * *m stays NULL when the bundle has no such entry or it is not a manifest.
 */
static int load_manifest(struct push_plan *plan, const char *digest, size_t *at, const struct plan_manifest **m,
			 struct lerr *err)
{
	char path[sizeof(BLOB_PREFIX) + SHA256_HEX_LEN];
	const struct bundle_entry *e;
	struct buf b = BUF_INIT(0);

	*m = NULL;
	if (plan->view == NULL || !digest_is_sha256(digest))
		return 0;
	snprintf(path, sizeof(path), "%s%s", BLOB_PREFIX, digest + 7);
	if ((e = bundle_view_find(plan->view, path)) == NULL || e->size > MANIFEST_MAX_BYTES)
		return 0;
	if (bundle_view_read_all(plan->view, path, MANIFEST_MAX_BYTES, &b, err) != 0) {
		buf_free(&b);
		return -1;
	}
	keep_if_manifest(plan, digest + 7, &b);
	buf_free(&b);
	*m = find_manifest(plan, digest, at);
	return 0;
}

#define PLAN_DEPTH_MAX 4

struct plan_list {
	size_t *at; /* into plan.manifests */
	size_t count;
};

/*
 * Appends the manifest digest after what it names (the registry checks what an
 * index names), each once. Under an upstream index (partial) a child the
 * bundle lacks is a platform it does not carry, and is skipped.
 */
static int plan_tree(struct push_plan *plan, const struct bundle_manifest *bm, size_t idx, const char *digest,
		     int partial, int depth, struct plan_list *list, struct lerr *err)
{
	const struct plan_manifest *m;
	size_t at, i;

	if (depth > PLAN_DEPTH_MAX)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: image indexes nested deeper than %d (%s)",
				plan->images[idx].source, PLAN_DEPTH_MAX, digest);
	if ((m = find_manifest(plan, digest, &at)) == NULL && load_manifest(plan, digest, &at, &m, err) != 0)
		return -1;
	if (m == NULL) {
		if (partial && depth > 0)
			return 0;
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the bundle lacks %s %s%s", plan->images[idx].source,
				depth > 0 ? "manifest"
				: partial ? "its upstream index"
					  : "its manifest",
				digest, depth > 0 ? " of its index" : "");
	}
	for (i = 0; i < list->count; i++)
		if (list->at[i] == at)
			return 0;
	if (m->parsed.is_index) {
		/* By index, not m: loading a child from a view may move plan->manifests. */
		for (i = 0; i < plan->manifests[at].parsed.manifest_count; i++)
			if (plan_tree(plan, bm, idx, plan->manifests[at].parsed.manifests[i].digest, partial, depth + 1,
				      list, err) != 0)
				return -1;
	} else if (need_manifest_blobs(plan, bm, idx, &m->parsed, err) != 0) {
		return -1;
	}
	list->at = grow_array(list->at, list->count, sizeof(*list->at));
	list->at[list->count++] = at;
	return 0;
}

/* Maps image idx to its target and collects its manifests (its upstream index's too) and blobs. */
static int plan_image(struct push_plan *plan, const struct bundle_manifest *bm, const struct bundle_push_opts *opts,
		      size_t idx, struct lerr *err)
{
	struct plan_image *img = &plan->images[idx];
	struct plan_list list = {NULL, 0};
	size_t top_end, i;
	int r = -1;

	if (naming_map(img->source, &opts->naming, &img->target, err) != 0)
		return -1;
	img->display = img->target.tag != NULL
			   ? xasprintf("%s/%s:%s", opts->registry, img->target.repository, img->target.tag)
			   : xasprintf("%s/%s@%s", opts->registry, img->target.repository, img->digest);
	if (plan_tree(plan, bm, idx, img->digest, 0, 0, &list, err) != 0)
		goto out;
	top_end = list.count;
	if (img->upstream[0] != '\0' && plan_tree(plan, bm, idx, img->upstream, 1, 0, &list, err) != 0)
		goto out;
	img->top = list.at[top_end - 1];
	img->child_count = top_end - 1;
	img->children = xcalloc(top_end, sizeof(*img->children));
	for (i = 0; i + 1 < top_end; i++)
		img->children[i] = list.at[i];
	img->extra_count = list.count - top_end;
	img->extras = xcalloc(img->extra_count + 1, sizeof(*img->extras));
	for (i = top_end; i < list.count; i++)
		img->extras[i - top_end] = list.at[i];
	r = 0;
out:
	free(list.at);
	return r;
}

static int plan_images(struct push_plan *plan, const struct bundle_manifest *bm, const struct bundle_push_opts *opts,
		       struct lerr *err)
{
	size_t i;

	if (plan->image_count > 0 && opts->registry == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "the bundle holds %zu image%s: give --registry HOST[:PORT]",
				plan->image_count, plan->image_count == 1 ? "" : "s");
	for (i = 0; i < plan->image_count; i++)
		if (plan_image(plan, bm, opts, i, err) != 0 || check_unique(plan, i, err) != 0)
			return -1;
	if (plan->blob_count > 0)
		qsort(plan->blobs, plan->blob_count, sizeof(*plan->blobs), blob_cmp);
	return 0;
}

/* What every plan ends with: something to push, and the images mapped and planned. */
static int plan_finish(struct push_plan *plan, const char *path, int index_seen, const struct bundle_manifest *bm,
		       const struct bundle_push_opts *opts, struct lerr *err)
{
	if (!index_seen && plan->file_entries + plan->provider_entries + plan->apt_entries == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the bundle holds no %s and nothing else to push", path,
				LAYOUT_INDEX);
	return plan_images(plan, bm, opts, err);
}

/* From the view: lading.json's list of entries, oci/index.json and the manifests it names, each read verified. */
static int view_plan(const struct bundle_view *view, const struct bundle_push_opts *opts, struct push_plan *plan,
		     struct lerr *err)
{
	const struct bundle_manifest *bm = bundle_view_manifest(view);
	struct buf b = BUF_INIT(0);
	int index_seen = bundle_view_find(view, LAYOUT_INDEX) != NULL;
	int r = -1;
	size_t i;

	for (i = 0; i < bm->entry_count; i++)
		count_other(plan, bm->entries[i].path);
	if (index_seen && (bundle_view_read_all(view, LAYOUT_INDEX, MANIFEST_MAX_BYTES, &b, err) != 0 ||
			   read_layout_index(plan, &b, err) != 0))
		goto out;
	plan->view = view;
	r = plan_finish(plan, bundle_view_path(view), index_seen, bm, opts, err);
	plan->view = NULL;
out:
	buf_free(&b);
	return r;
}

int push_plan_build_view(const struct bundle_view *view, const struct bundle_push_opts *opts, struct push_plan *plan,
			 struct lerr *err)
{
	memset(plan, 0, sizeof(*plan));
	if (view_plan(view, opts, plan, err) != 0) {
		push_plan_free(plan);
		return -1;
	}
	return 0;
}

int push_plan_build(const char *path, const struct bundle_push_opts *opts, struct push_plan *plan, struct lerr *err)
{
	memset(plan, 0, sizeof(*plan));
	if (verify_pass(path, opts, plan, err) != 0) {
		push_plan_free(plan);
		return -1;
	}
	return 0;
}

void push_plan_free(struct push_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->manifest_count; i++) {
		free(plan->manifests[i].body);
		oci_manifest_free(&plan->manifests[i].parsed);
	}
	for (i = 0; i < plan->image_count; i++) {
		free(plan->images[i].source);
		free(plan->images[i].display);
		free(plan->images[i].children);
		free(plan->images[i].extras);
		naming_target_free(&plan->images[i].target);
	}
	for (i = 0; i < plan->blob_count; i++)
		free(plan->blobs[i].images);
	free(plan->manifests);
	free(plan->images);
	free(plan->blobs);
	memset(plan, 0, sizeof(*plan));
}
