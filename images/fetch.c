#include "images/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/fetch_pool.h"
#include "images/manifest.h"
#include "images/ref.h"
#include "images/registry.h"
#include "images/store.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define CONFIG_MAX_BYTES (8 * 1024 * 1024)

/* Everything one images_fetch call holds until the pool has run. */
struct fetch_ctx {
	const struct image_fetch_opts *opts;
	struct registry_client **clients; /* one per request, origins of the blob jobs */
	size_t client_count;
	struct blob_jobs jobs;
};

static void result_add_blob(struct image_result *res, const char *digest, uint64_t size)
{
	size_t i;

	for (i = 0; i < res->blob_count; i++)
		if (strcmp(res->blobs[i], digest) == 0)
			return;
	res->blobs = grow_array(res->blobs, res->blob_count, sizeof(*res->blobs));
	res->blobs[res->blob_count++] = xstrdup(digest);
	res->total_size += size;
}

static void result_add_platform(struct image_result *res, const struct oci_platform *p)
{
	res->platforms = grow_array(res->platforms, res->platform_count, sizeof(*res->platforms));
	res->platforms[res->platform_count++] = oci_platform_string(p);
}

/* Gets a manifest by digest from the store when it is there, else from the registry; stores it. */
static int get_manifest(struct fetch_ctx *ctx, struct registry_client *c, const char *reference, struct buf *body,
			char **content_type, char digest[DIGEST_STR_MAX], struct lerr *err)
{
	const char *store = ctx->opts->store_dir;

	if (digest_is_sha256(reference) && store_has(store, reference)) {
		buf_init(body, MANIFEST_MAX_BYTES);
		if (store_read(store, reference, body, err) != 0)
			return -1;
		snprintf(digest, DIGEST_STR_MAX, "%s", reference);
		*content_type = NULL;
		return 0;
	}
	if (registry_manifest_get(c, reference, body, content_type, digest, err) != 0)
		return -1;
	return 0;
}

/* Queues config and layers of an image manifest; records them in the result. */
static void queue_manifest_blobs(struct fetch_ctx *ctx, struct registry_client *c, const struct oci_manifest *m,
				 struct image_result *res)
{
	size_t i;

	result_add_blob(res, m->config.digest, m->config.size);
	if (!store_has(ctx->opts->store_dir, m->config.digest))
		blob_jobs_add(&ctx->jobs, m->config.digest, m->config.size, c);
	for (i = 0; i < m->layer_count; i++) {
		result_add_blob(res, m->layers[i].digest, m->layers[i].size);
		if (!store_has(ctx->opts->store_dir, m->layers[i].digest))
			blob_jobs_add(&ctx->jobs, m->layers[i].digest, m->layers[i].size, c);
	}
}

/* Fetches and stores one child manifest of an index and queues its blobs. */
static int fetch_child(struct fetch_ctx *ctx, struct registry_client *c, const struct oci_descriptor *d,
		       struct image_result *res, struct lerr *err)
{
	struct buf body = BUF_INIT(0);
	struct oci_manifest m;
	char *content_type = NULL;
	char digest[DIGEST_STR_MAX];
	int r = -1;

	if (get_manifest(ctx, c, d->digest, &body, &content_type, digest, err) != 0)
		goto out;
	if (oci_manifest_parse(body.data, body.len, content_type, &m, err) != 0) {
		lerr_prefix(err, "%s@%s", registry_client_name(c), d->digest);
		goto out;
	}
	if (m.is_index) {
		lerr_set(err, LADING_ERR_FORMAT, "%s@%s: nested image indexes are not supported",
			 registry_client_name(c), d->digest);
	} else if (store_put(ctx->opts->store_dir, d->digest, body.data, body.len, err) == 0) {
		result_add_blob(res, d->digest, body.len);
		queue_manifest_blobs(ctx, c, &m, res);
		r = 0;
	}
	oci_manifest_free(&m);
out:
	free(content_type);
	buf_free(&body);
	return r;
}

static void set_top(struct image_result *res, const char *media_type, const char *digest, uint64_t size)
{
	free(res->media_type);
	res->media_type = xstrdup(media_type);
	snprintf(res->digest, sizeof(res->digest), "%s", digest);
	res->size = size;
}

#define INDEX_DEPTH_MAX 4

/* What an index names, nested indexes walked: platform manifests and attestation manifests. */
struct index_tree {
	struct oci_manifest *nested; /* nested indexes, parsed; the descriptors below point into them */
	char (*nested_digests)[DIGEST_STR_MAX];
	uint64_t *nested_sizes;
	size_t nested_count;
	const struct oci_descriptor **leaves; /* platform manifests, in index order */
	size_t leaf_count;
	const struct oci_descriptor **attestations;
	size_t attestation_count;
};

static void index_tree_free(struct index_tree *t)
{
	size_t i;

	for (i = 0; i < t->nested_count; i++)
		oci_manifest_free(&t->nested[i]);
	free(t->nested);
	free(t->nested_digests);
	free(t->nested_sizes);
	free(t->leaves);
	free(t->attestations);
}

static void tree_add(const struct oci_descriptor ***list, size_t *count, const struct oci_descriptor *d)
{
	*list = grow_array(*list, *count, sizeof(**list));
	(*list)[(*count)++] = d;
}

/* Walks an index, fetching and storing nested indexes as they are (their bytes are kept). */
static int index_walk(struct fetch_ctx *ctx, struct registry_client *c, const struct oci_manifest *index, int depth,
		      struct index_tree *t, struct lerr *err)
{
	size_t i;

	for (i = 0; i < index->manifest_count; i++) {
		const struct oci_descriptor *d = &index->manifests[i];
		struct buf body = BUF_INIT(0);
		struct oci_manifest m;
		char *content_type = NULL;
		char digest[DIGEST_STR_MAX];
		int r;

		if (oci_descriptor_is_attestation(d)) {
			tree_add(&t->attestations, &t->attestation_count, d);
			continue;
		}
		if (!oci_media_is_index(d->media_type)) {
			tree_add(&t->leaves, &t->leaf_count, d);
			continue;
		}
		if (depth >= INDEX_DEPTH_MAX)
			return lerr_set(err, LADING_ERR_FORMAT, "%s@%s: image indexes nested deeper than %d",
					registry_client_name(c), d->digest, INDEX_DEPTH_MAX);
		r = get_manifest(ctx, c, d->digest, &body, &content_type, digest, err);
		if (r == 0 && (r = oci_manifest_parse(body.data, body.len, content_type, &m, err)) == 0 &&
		    !m.is_index) {
			oci_manifest_free(&m);
			r = lerr_set(err, LADING_ERR_FORMAT, "%s@%s: listed as an index but is a manifest",
				     registry_client_name(c), d->digest);
		}
		if (r == 0 && (r = store_put(ctx->opts->store_dir, d->digest, body.data, body.len, err)) != 0)
			oci_manifest_free(&m);
		free(content_type);
		if (r == 0) {
			t->nested = grow_array(t->nested, t->nested_count, sizeof(*t->nested));
			t->nested_digests = grow_array(t->nested_digests, t->nested_count, sizeof(*t->nested_digests));
			t->nested_sizes = grow_array(t->nested_sizes, t->nested_count, sizeof(*t->nested_sizes));
			snprintf(t->nested_digests[t->nested_count], DIGEST_STR_MAX, "%s", d->digest);
			t->nested_sizes[t->nested_count] = body.len;
			t->nested[t->nested_count++] = m; /* moves the struct; its descriptor array stays put */
			r = index_walk(ctx, c, &t->nested[t->nested_count - 1], depth + 1, t, err);
		}
		buf_free(&body);
		if (r != 0)
			return -1;
	}
	return 0;
}

/* The platform manifests to carry: every one for "all", else one per wanted platform (each once). */
static int choose_leaves(const struct image_request *req, const struct index_tree *t,
			 const struct oci_descriptor ***out, size_t *out_count, int *everything, struct lerr *err)
{
	static const char *const default_platform[] = {"linux/amd64"};
	const char *const *names = req->platform_count > 0 ? req->platforms : default_platform;
	size_t count = req->platform_count > 0 ? req->platform_count : 1;
	struct oci_manifest flat = {0};
	struct oci_platform *want = xcalloc(count, sizeof(*want));
	size_t *chosen = xcalloc(count, sizeof(*chosen));
	size_t i, j;
	int r = -1, all = 0;

	flat.is_index = 1;
	flat.manifest_count = t->leaf_count;
	flat.manifests = xcalloc(t->leaf_count + 1, sizeof(*flat.manifests));
	for (i = 0; i < t->leaf_count; i++)
		flat.manifests[i] = *t->leaves[i]; /* shallow: read only, never freed through flat */
	for (i = 0; i < count; i++)
		all |= strcmp(names[i], "all") == 0;
	*out_count = 0;
	if (all) {
		*everything = 1;
		for (i = 0; i < t->leaf_count; i++)
			tree_add(out, out_count, t->leaves[i]);
		r = 0;
		goto out;
	}
	for (i = 0; i < count; i++)
		if (oci_platform_parse(names[i], &want[i], err) != 0)
			goto out;
	if (oci_index_select(&flat, want, count, chosen, err) != 0)
		goto out;
	*everything = oci_index_selection_is_all(&flat, chosen, count);
	for (i = 0; i < count; i++) {
		for (j = 0; j < i && chosen[j] != chosen[i]; j++)
			;
		if (j == i)
			tree_add(out, out_count, t->leaves[chosen[i]]);
	}
	r = 0;
out:
	for (i = 0; i < count; i++)
		oci_platform_free(&want[i]);
	free(want);
	free(chosen);
	free(flat.manifests);
	return r;
}

/* Attestation manifests go with the platform manifests they describe (all of them with everything). */
static void add_attestations(const struct index_tree *t, int everything, const struct oci_descriptor ***carry,
			     size_t *count)
{
	size_t i, j, leaves = *count;

	for (i = 0; i < t->attestation_count; i++)
		for (j = 0; j < leaves; j++)
			if (everything || strcmp(t->attestations[i]->ref_digest, (*carry)[j]->digest) == 0) {
				tree_add(carry, count, t->attestations[i]);
				break;
			}
}

/*
 * An index. The upstream index is always stored as it came, with every nested
 * index, so a pull by its digest works. With every platform it is the top
 * level; with one platform that manifest is; with several, a filtered index of
 * the carried entries (naming its source) is.
 */
static int resolve_index(struct fetch_ctx *ctx, struct registry_client *c, const struct image_request *req,
			 const struct oci_manifest *index, const struct buf *body, const char *index_digest,
			 struct image_result *res, struct lerr *err)
{
	struct index_tree t = {0};
	const struct oci_descriptor **carry = NULL;
	size_t i, carry_count = 0, chosen_count;
	char *filtered = NULL;
	size_t filtered_len;
	int r = -1, everything = 0;

	if (index_walk(ctx, c, index, 1, &t, err) != 0 ||
	    choose_leaves(req, &t, &carry, &carry_count, &everything, err) != 0)
		goto out;
	chosen_count = carry_count;
	for (i = 0; i < chosen_count; i++)
		result_add_platform(res, &carry[i]->platform);
	add_attestations(&t, everything, &carry, &carry_count);
	for (i = 0; i < carry_count; i++)
		if (fetch_child(ctx, c, carry[i], res, err) != 0)
			goto out;
	if (store_put(ctx->opts->store_dir, index_digest, body->data, body->len, err) != 0)
		goto out;
	result_add_blob(res, index_digest, body->len);
	for (i = 0; i < t.nested_count; i++)
		result_add_blob(res, t.nested_digests[i], t.nested_sizes[i]);
	if (everything) {
		set_top(res, index->media_type, index_digest, body->len);
	} else if (chosen_count == 1) {
		set_top(res, carry[0]->media_type, carry[0]->digest, carry[0]->size);
		res->source_index_digest = xstrdup(index_digest);
	} else {
		char hex[SHA256_HEX_LEN + 1], digest[DIGEST_STR_MAX];

		if (oci_index_rebuild(body->data, body->len, carry, carry_count, index_digest, &filtered, &filtered_len,
				      err) != 0)
			goto out;
		sha256_hex(filtered, filtered_len, hex);
		snprintf(digest, sizeof(digest), "sha256:%s", hex);
		if (store_put(ctx->opts->store_dir, digest, filtered, filtered_len, err) != 0)
			goto out;
		set_top(res, index->media_type, digest, filtered_len);
		result_add_blob(res, digest, filtered_len);
		res->source_index_digest = xstrdup(index_digest);
	}
	r = 0;
out:
	free(carry);
	index_tree_free(&t);
	free(filtered);
	return r;
}

/* A plain manifest: fetch its config now to learn (and check) its platform. */
static int resolve_manifest(struct fetch_ctx *ctx, struct registry_client *c, const struct image_request *req,
			    const struct oci_manifest *m, const struct buf *body, const char *digest,
			    struct image_result *res, struct lerr *err)
{
	struct buf config = BUF_INIT(CONFIG_MAX_BYTES);
	struct oci_platform have = {0}, want;
	size_t i;
	int r = -1, matched = req->platform_count == 0;

	if (store_put(ctx->opts->store_dir, digest, body->data, body->len, err) != 0)
		goto out;
	set_top(res, m->media_type, digest, body->len);
	result_add_blob(res, digest, body->len);
	if (registry_blob_fetch(c, ctx->opts->store_dir, m->config.digest, m->config.size, NULL, NULL, err) != 0 ||
	    store_read(ctx->opts->store_dir, m->config.digest, &config, err) != 0 ||
	    oci_config_platform(config.data, config.len, &have, err) != 0)
		goto out;
	for (i = 0; i < req->platform_count && !matched; i++) {
		if (oci_platform_parse(req->platforms[i], &want, err) != 0)
			goto out;
		matched = oci_platform_match(&want, &have);
		oci_platform_free(&want);
	}
	if (!matched) {
		char *text = oci_platform_string(&have);

		lerr_set(err, LADING_ERR_NOTFOUND, "no platform %s in the image (it has %s)", req->platforms[0], text);
		free(text);
		goto out;
	}
	result_add_platform(res, &have);
	queue_manifest_blobs(ctx, c, m, res);
	r = 0;
out:
	oci_platform_free(&have);
	buf_free(&config);
	return r;
}

/* The reference to ask for: the lock's digest, the ref's digest, or its tag. */
static int choose_reference(const struct image_fetch_opts *opts, const struct image_request *req,
			    const struct image_ref *ref, const char **out, struct lerr *err)
{
	if (req->locked_digest != NULL) {
		if (!digest_is_sha256(req->locked_digest))
			return lerr_set(err, LADING_ERR_USAGE, "locked digest '%s' is not a sha256 digest",
					req->locked_digest);
		if (ref->digest != NULL && strcmp(ref->digest, req->locked_digest) != 0)
			return lerr_set(err, LADING_ERR_USAGE, "the lock pins %s but the reference names %s",
					req->locked_digest, ref->digest);
		*out = req->locked_digest;
		return 0;
	}
	if (opts->locked)
		return lerr_set(err, LADING_ERR_USAGE,
				"not pinned in the lock file (refusing to resolve with --locked)");
	*out = ref->digest != NULL ? ref->digest : ref->tag;
	return 0;
}

static int resolve_one(struct fetch_ctx *ctx, const struct image_request *req, struct image_result *res,
		       struct lerr *err)
{
	struct registry_client_opts copts = {ctx->opts->registries, ctx->opts->auth_file, ctx->opts->max_recv_speed,
					     ctx->opts->lg};
	struct registry_client *c = NULL;
	struct image_ref ref;
	struct oci_manifest m = {0};
	struct buf body = BUF_INIT(0);
	char *content_type = NULL;
	char digest[DIGEST_STR_MAX];
	const char *reference = NULL;
	int r = -1;

	if (image_ref_parse(req->ref, &ref, err) != 0)
		return -1;
	res->ref = image_ref_string(&ref);
	if (choose_reference(ctx->opts, req, &ref, &reference, err) != 0)
		goto out;
	if (registry_client_new(ref.domain, ref.repository, &copts, &c, err) != 0)
		goto out;
	ctx->clients[ctx->client_count++] = c;
	log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: resolving %s", res->ref, reference);
	if (get_manifest(ctx, c, reference, &body, &content_type, digest, err) != 0)
		goto out;
	res->resolved_digest = xstrdup(digest);
	if (oci_manifest_parse(body.data, body.len, content_type, &m, err) != 0)
		goto out;
	if (m.is_index)
		r = resolve_index(ctx, c, req, &m, &body, digest, res, err);
	else
		r = resolve_manifest(ctx, c, req, &m, &body, digest, res, err);
out:
	if (r != 0)
		lerr_name(err, "%s", res->ref); /* unless the registry already named itself */
	oci_manifest_free(&m);
	free(content_type);
	buf_free(&body);
	image_ref_free(&ref);
	return r;
}

int images_fetch(const struct image_fetch_opts *opts, const struct image_request *reqs, size_t count,
		 struct image_result **results, struct lerr *err)
{
	struct fetch_ctx ctx = {opts, NULL, 0, {NULL, 0}};
	struct image_result *res = xcalloc(count + 1, sizeof(*res));
	size_t i;
	int r = -1;

	ctx.clients = xcalloc(count + 1, sizeof(*ctx.clients));
	if (store_init(opts->store_dir, err) != 0)
		goto out;
	for (i = 0; i < count; i++)
		if (resolve_one(&ctx, &reqs[i], &res[i], err) != 0)
			goto out;
	if (blob_jobs_fetch(&ctx.jobs, opts->store_dir, opts->jobs > 0 ? opts->jobs : 4, opts->lg, err) != 0)
		goto out;
	*results = res;
	res = NULL;
	r = 0;
out:
	for (i = 0; i < ctx.client_count; i++)
		registry_client_free(ctx.clients[i]);
	free(ctx.clients);
	blob_jobs_free(&ctx.jobs);
	image_results_free(res, count);
	return r;
}

void image_results_free(struct image_result *results, size_t count)
{
	size_t i, j;

	if (results == NULL)
		return;
	for (i = 0; i < count; i++) {
		struct image_result *res = &results[i];

		free(res->ref);
		free(res->resolved_digest);
		free(res->media_type);
		free(res->source_index_digest);
		for (j = 0; j < res->platform_count; j++)
			free(res->platforms[j]);
		free(res->platforms);
		for (j = 0; j < res->blob_count; j++)
			free(res->blobs[j]);
		free(res->blobs);
	}
	free(results);
}
