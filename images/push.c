#include "images/push.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/fetch_pool.h"
#include "images/manifest.h"
#include "images/ref.h"
#include "images/registry.h"
#include "images/registry_push.h"
#include "images/store.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* A manifest or index read back from the store. */
struct stored_manifest {
	char digest[DIGEST_STR_MAX];
	struct buf body;
	struct oci_manifest parsed;
};

struct push_image {
	struct image_ref ref;
	char *name; /* "domain/repository" */
	struct registry_client *client;
	struct stored_manifest top;
	struct stored_manifest *children; /* an index's manifests */
	size_t child_count;
};

/* Where a blob already is (or will be after the upload phase) on a registry. */
struct placed {
	const char *domain;
	const char *repository;
	char digest[DIGEST_STR_MAX];
};

struct push_ctx {
	const struct image_push_opts *opts;
	struct push_image *images;
	size_t image_count;
	struct placed *placed;
	size_t placed_count;
	struct blob_jobs uploads; /* phase 1 */
	struct blob_jobs mounts;  /* phase 2: from repositories filled in phase 1 */
	pthread_mutex_t lock;
	struct image_push_stats stats;
};

static int read_stored(const char *store, const char *digest, struct stored_manifest *out, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	buf_init(&out->body, MANIFEST_MAX_BYTES);
	if (!digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is not a sha256 digest", digest);
	if (!store_has(store, digest))
		return lerr_set(err, LADING_ERR_NOTFOUND, "%s is not in the store '%s'", digest, store);
	if (store_read(store, digest, &out->body, err) != 0)
		return -1;
	sha256_hex(out->body.data ? out->body.data : "", out->body.len, hex);
	if (strcmp(hex, digest + 7) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: the stored manifest does not match its digest", digest);
	if (oci_manifest_parse(out->body.data, out->body.len, NULL, &out->parsed, err) != 0)
		return lerr_prefix(err, "%s", digest);
	return 0;
}

static void stored_free(struct stored_manifest *m)
{
	buf_free(&m->body);
	oci_manifest_free(&m->parsed);
}

static const struct placed *find_placed(const struct push_ctx *ctx, const struct push_image *img, const char *digest,
					int same_repository)
{
	size_t i;

	for (i = 0; i < ctx->placed_count; i++) {
		const struct placed *p = &ctx->placed[i];

		if (strcmp(p->digest, digest) == 0 && strcmp(p->domain, img->ref.domain) == 0 &&
		    (!same_repository || strcmp(p->repository, img->ref.repository) == 0))
			return p;
	}
	return NULL;
}

/* Plans one blob: upload it, mount it from a repository that gets it first, or nothing. */
static void plan_blob(struct push_ctx *ctx, struct push_image *img, const struct oci_descriptor *d)
{
	const struct placed *elsewhere;
	struct placed *p;

	if (find_placed(ctx, img, d->digest, 1) != NULL)
		return;
	elsewhere = find_placed(ctx, img, d->digest, 0);
	if (elsewhere != NULL)
		blob_jobs_append(&ctx->mounts, d->digest, d->size, img->client, elsewhere->repository);
	else
		blob_jobs_append(&ctx->uploads, d->digest, d->size, img->client, NULL);
	ctx->placed = grow_array(ctx->placed, ctx->placed_count, sizeof(*ctx->placed));
	p = &ctx->placed[ctx->placed_count++];
	p->domain = img->ref.domain;
	p->repository = img->ref.repository;
	snprintf(p->digest, sizeof(p->digest), "%s", d->digest);
}

static void plan_manifest_blobs(struct push_ctx *ctx, struct push_image *img, const struct oci_manifest *m)
{
	size_t i;

	plan_blob(ctx, img, &m->config);
	for (i = 0; i < m->layer_count; i++)
		plan_blob(ctx, img, &m->layers[i]);
}

static int prepare_image(struct push_ctx *ctx, const struct image_push_request *req, struct push_image *img,
			 struct lerr *err)
{
	struct registry_client_opts copts = {ctx->opts->registries, ctx->opts->auth_file, ctx->opts->max_speed,
					     ctx->opts->lg};
	size_t i;

	if (image_ref_parse(req->dest_ref, &img->ref, err) != 0)
		return -1;
	img->name = xasprintf("%s/%s", img->ref.domain, img->ref.repository);
	if (img->ref.digest != NULL && strcmp(img->ref.digest, req->digest) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s: the reference names %s but the image to push is %s",
				req->dest_ref, img->ref.digest, req->digest);
	if (read_stored(ctx->opts->store_dir, req->digest, &img->top, err) != 0)
		return -1;
	if (registry_client_new(img->ref.domain, img->ref.repository, &copts, &img->client, err) != 0)
		return -1;
	if (!img->top.parsed.is_index) {
		plan_manifest_blobs(ctx, img, &img->top.parsed);
		return 0;
	}
	img->children = xcalloc(img->top.parsed.manifest_count + 1, sizeof(*img->children));
	for (i = 0; i < img->top.parsed.manifest_count; i++) {
		struct stored_manifest *child = &img->children[i];

		img->child_count = i + 1;
		if (read_stored(ctx->opts->store_dir, img->top.parsed.manifests[i].digest, child, err) != 0)
			return -1;
		if (child->parsed.is_index)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: nested image indexes are not supported",
					child->digest);
		plan_manifest_blobs(ctx, img, &child->parsed);
	}
	return 0;
}

static int push_job(struct registry_client *c, const struct blob_job *job, registry_progress_fn progress,
		    void *progress_arg, void *arg, struct lerr *err)
{
	struct push_ctx *ctx = arg;
	int outcome = 0;

	if (registry_blob_push(c, ctx->opts->store_dir, job->digest, job->size, job->mount_from, ctx->opts->chunk_size,
			       progress, progress_arg, &outcome, err) != 0)
		return -1;
	pthread_mutex_lock(&ctx->lock);
	if (outcome == REGISTRY_BLOB_SENT) {
		ctx->stats.blobs_sent++;
		ctx->stats.bytes_sent += job->size;
	} else if (outcome == REGISTRY_BLOB_MOUNTED) {
		ctx->stats.blobs_mounted++;
	} else {
		ctx->stats.blobs_present++;
	}
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

/* PUT a manifest unless the registry has it (by digest); a tag is always (re)written. */
static int put_manifest(struct push_ctx *ctx, struct push_image *img, const struct stored_manifest *m, const char *tag,
			struct lerr *err)
{
	char digest[DIGEST_STR_MAX];
	uint64_t size;

	if (tag == NULL) {
		if (registry_manifest_head(img->client, m->digest, digest, &size, err) == 0) {
			ctx->stats.manifests_present++;
			return 0;
		}
		if (err->code != LADING_ERR_NOTFOUND)
			return -1;
	}
	if (registry_manifest_put(img->client, tag ? tag : m->digest, m->parsed.media_type, m->body.data, m->body.len,
				  err) != 0)
		return -1;
	ctx->stats.manifests_sent++;
	return 0;
}

static int push_manifests(struct push_ctx *ctx, struct push_image *img, struct lerr *err)
{
	size_t i;

	/* Children before their index (the registry checks what an index names). */
	for (i = 0; i < img->child_count; i++)
		if (put_manifest(ctx, img, &img->children[i], NULL, err) != 0)
			return -1;
	if (put_manifest(ctx, img, &img->top, img->ref.tag, err) != 0)
		return -1;
	log_msg(ctx->opts->lg, LOG_VERBOSE, "%s%s%s: pushed %s", img->name, img->ref.tag ? ":" : "",
		img->ref.tag ? img->ref.tag : "", img->top.digest);
	return 0;
}

static void ctx_free(struct push_ctx *ctx)
{
	size_t i, j;

	for (i = 0; i < ctx->image_count; i++) {
		struct push_image *img = &ctx->images[i];

		for (j = 0; j < img->child_count; j++)
			stored_free(&img->children[j]);
		free(img->children);
		stored_free(&img->top);
		registry_client_free(img->client);
		image_ref_free(&img->ref);
		free(img->name);
	}
	free(ctx->images);
	free(ctx->placed);
	blob_jobs_free(&ctx->uploads);
	blob_jobs_free(&ctx->mounts);
	pthread_mutex_destroy(&ctx->lock);
}

int images_push(const struct image_push_opts *opts, const struct image_push_request *reqs, size_t count,
		struct image_push_stats *stats, struct lerr *err)
{
	struct push_ctx ctx;
	int jobs = opts->jobs > 0 ? opts->jobs : 4;
	size_t i;
	int r = -1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.opts = opts;
	ctx.images = xcalloc(count + 1, sizeof(*ctx.images));
	pthread_mutex_init(&ctx.lock, NULL);
	for (i = 0; i < count; i++) {
		ctx.image_count = i + 1;
		if (prepare_image(&ctx, &reqs[i], &ctx.images[i], err) != 0) {
			lerr_prefix(err, "%s", reqs[i].dest_ref);
			goto out;
		}
	}
	if (blob_jobs_run(&ctx.uploads, jobs, "pushing blobs", push_job, &ctx, opts->lg, err) != 0 ||
	    blob_jobs_run(&ctx.mounts, jobs, "mounting blobs", push_job, &ctx, opts->lg, err) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if (push_manifests(&ctx, &ctx.images[i], err) != 0) {
			lerr_name(err, "%s", reqs[i].dest_ref); /* unless the registry already named itself */
			goto out;
		}
		ctx.stats.images++;
	}
	r = 0;
out:
	if (stats != NULL)
		*stats = ctx.stats;
	ctx_free(&ctx);
	return r;
}
