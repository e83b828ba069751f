/* `bundle push`: blobs from the file or staged one by one, then manifests and tags (see push.h). */
#define _GNU_SOURCE
#include "bundle/push.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/view.h"
#include "bundle/push_delta.h"
#include "bundle/push_plan.h"
#include "bundle/push_source.h"
#include "images/registry.h"
#include "images/registry_push.h"
#include "lib/fsutil.h"
#include "lib/leftover.h"
#include "lib/pool.h"
#include "lib/xmalloc.h"

#define BLOB_PREFIX "oci/blobs/sha256/"
#define CHUNK (256u << 10)

struct push_ctx {
	const struct bundle_push_opts *opts;
	struct push_plan plan;
	struct registry_client **clients;	 /* one per plan image */
	const struct bundle_view *view;		 /* pushing from the file: no staging */
	struct push_delta *delta;		 /* a delta's base: attached, or in the registry (push_delta.h) */
	struct registry_client **worker_clients; /* from the file: [worker * image_count + image], made on first use */
	size_t workers;
	char *stage_dir;      /* STAGE/blobs/sha256/<hex>, mode 0700 */
	int stage_lock;	      /* flock on stage_dir for the whole run (lib/leftover.h), or -1 */
	struct pool *pool;    /* upload workers; the bytes held are the staged blobs */
	pthread_mutex_t lock; /* stats and progress, from the workers */
	struct progress progress;
	struct bundle_push_result *result;
};

static void on_progress(uint64_t bytes, void *arg)
{
	struct push_ctx *ctx = arg;

	pthread_mutex_lock(&ctx->lock);
	progress_add(&ctx->progress, bytes);
	pthread_mutex_unlock(&ctx->lock);
}

static void count_outcome(struct push_ctx *ctx, const struct plan_blob *blob, int outcome)
{
	pthread_mutex_lock(&ctx->lock);
	if (outcome == REGISTRY_BLOB_SENT) {
		ctx->result->blobs_sent++;
		ctx->result->bytes_sent += blob->size;
	} else if (outcome == REGISTRY_BLOB_MOUNTED) {
		ctx->result->blobs_mounted++;
	} else {
		ctx->result->blobs_present++;
	}
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * One blob and the images (distinct repositories) that lack it: staged, the
 * reader thread asked the registry (HEAD) before staging it and cloned a
 * client for each; from the file, the worker asks with its own clients
 * (borrowed), so HEADs go in parallel too and connections are kept.
 */
struct upload_job {
	struct push_ctx *ctx;
	const struct plan_blob *blob;
	size_t *missing;
	struct registry_client **clients; /* clones made by the reader thread, one per missing[] */
	size_t missing_count;
	const char *mount_from; /* a repository of the registry that has it, or NULL */
	int borrowed;		/* clients[] are the worker's, not the job's */
};

static void upload_job_free(struct upload_job *job)
{
	size_t i;

	for (i = 0; i < job->missing_count && !job->borrowed; i++)
		registry_client_free(job->clients[i]);
	free(job->clients);
	free(job->missing);
	free(job);
}

static struct upload_job *upload_job_new(struct push_ctx *ctx, const struct plan_blob *blob)
{
	struct upload_job *job = xcalloc(1, sizeof(*job));

	job->ctx = ctx;
	job->blob = blob;
	job->missing = xcalloc(blob->image_count, sizeof(*job->missing));
	job->clients = xcalloc(blob->image_count, sizeof(*job->clients));
	return job;
}

/* Names the image unless the client's message already names its subject (the registry). */
static int name_image(struct lerr *err, const struct push_ctx *ctx, const struct plan_image *img)
{
	(void)ctx;
	return lerr_name(err, "%s", img->display);
}

/*
 * HEAD the blob in the repository of blob->images[i] with c: present, it is
 * counted and a later image may mount from there (0); missing, 1: the caller
 * adds it with add_missing.
 */
static int ask_registry(struct upload_job *job, size_t i, struct registry_client *c, struct lerr *err)
{
	struct push_ctx *ctx = job->ctx;
	int exists;

	if (registry_blob_exists(c, job->blob->digest, &exists, err) != 0)
		return -1;
	if (!exists)
		return 1;
	count_outcome(ctx, job->blob, REGISTRY_BLOB_PRESENT);
	job->mount_from = ctx->plan.images[job->blob->images[i]].target.repository;
	return 0;
}

static void add_missing(struct upload_job *job, size_t i, struct registry_client *c)
{
	job->clients[job->missing_count] = c;
	job->missing[job->missing_count++] = job->blob->images[i];
}

/* From the file: the worker's client for image idx, cloned on first use and kept, with its connection, for later blobs.
 */
static struct registry_client *worker_client(struct push_ctx *ctx, size_t worker, size_t idx)
{
	struct registry_client **c = &ctx->worker_clients[worker * ctx->plan.image_count + idx];

	if (*c == NULL)
		*c = registry_client_clone(ctx->clients[idx]);
	return *c;
}

static char *staged_path(const struct push_ctx *ctx, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", ctx->stage_dir, digest + 7);
}

/* Deletes the job's staged file; r is the job's outcome so far. */
static int unstage(struct upload_job *job, int r, struct lerr *err)
{
	char *path = staged_path(job->ctx, job->blob->digest);

	if (unlink(path) != 0 && errno != ENOENT && r == 0)
		r = lerr_sys(err, "cannot remove staged blob '%s'", path);
	free(path);
	upload_job_free(job);
	return r;
}

/* A job the pool will not run (an upload failed, or the reader did): only its staged file goes. */
static void upload_job_drop(void *arg, void *unused)
{
	struct upload_job *job = arg;
	struct lerr ignored;

	(void)unused;
	if (job->ctx->view != NULL)
		upload_job_free(job);
	else
		unstage(job, -1, &ignored);
}

/* From the file: the bundle entry, read and verified chunk by chunk as the upload sends it. */
static int push_streamed(struct upload_job *job, struct registry_client *c, const char *mount_from,
			 struct push_stream **stream, int *outcome, struct lerr *err)
{
	struct push_ctx *ctx = job->ctx;
	char path[sizeof(BLOB_PREFIX) + SHA256_HEX_LEN];
	struct registry_blob_body body = {job->blob->digest, job->blob->size, push_stream_read, NULL};
	const struct bundle_entry *e;

	snprintf(path, sizeof(path), "%s%s", BLOB_PREFIX, job->blob->digest + 7);
	if ((e = bundle_view_find(ctx->view, path)) == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: no entry %s", bundle_view_path(ctx->view), path);
	if (*stream == NULL)
		*stream = push_stream_new(ctx->view, e);
	body.arg = *stream;
	return registry_blob_push_from(c, &body, mount_from, ctx->opts->chunk_size, on_progress, ctx, outcome, err);
}

/* From the file, first: which repositories lack the blob (HEAD each, with the worker's clients). */
static int ask_all(struct upload_job *job, size_t worker, struct lerr *err)
{
	struct push_ctx *ctx = job->ctx;
	size_t i;

	for (i = 0; job->borrowed && i < job->blob->image_count; i++) {
		size_t idx = job->blob->images[i];
		struct registry_client *c = worker_client(ctx, worker, idx);
		int r = ask_registry(job, i, c, err);

		if (r < 0)
			return name_image(err, ctx, &ctx->plan.images[idx]);
		if (r == 1)
			add_missing(job, i, c);
	}
	return 0;
}

/* Worker: the first image lacking the blob gets it uploaded (or mounted), the others mount it. */
static int upload_job_run(void *arg, size_t worker, void *unused, struct lerr *err)
{
	struct upload_job *job = arg;
	struct push_ctx *ctx = job->ctx;
	struct push_stream *stream = NULL;
	const char *mount_from;
	size_t i;
	int r = ask_all(job, worker, err);

	(void)unused;
	mount_from = job->mount_from;
	for (i = 0; i < job->missing_count && r == 0 && !pool_stopping(ctx->pool); i++) {
		const struct plan_image *img = &ctx->plan.images[job->missing[i]];
		int outcome = 0;

		if (ctx->view != NULL)
			r = push_streamed(job, job->clients[i], mount_from, &stream, &outcome, err);
		else
			r = registry_blob_push(job->clients[i], ctx->stage_dir, job->blob->digest, job->blob->size,
					       mount_from, ctx->opts->chunk_size, on_progress, ctx, &outcome, err);
		if (r != 0) {
			name_image(err, ctx, img);
			break;
		}
		count_outcome(ctx, job->blob, outcome);
		log_msg(ctx->opts->lg, LOG_DEBUG, "%s: %s %s", img->display, job->blob->digest,
			outcome == REGISTRY_BLOB_SENT	   ? "sent"
			: outcome == REGISTRY_BLOB_MOUNTED ? "mounted"
							   : "present");
		mount_from = img->target.repository;
	}
	push_stream_free(stream);
	if (ctx->view != NULL) {
		upload_job_free(job);
		return r;
	}
	return unstage(job, r, err);
}

/* Copies the current entry into the staging store; the reader checks size and sha256 at its end. */
static int stage_entry(struct push_ctx *ctx, struct bundle_reader *r, const struct plan_blob *blob, struct lerr *err)
{
	char *path = staged_path(ctx, blob->digest);
	char *chunk = xmalloc(CHUNK);
	ssize_t got;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		lerr_sys(err, "cannot stage %s in '%s'", blob->digest, ctx->stage_dir);
		goto out;
	}
	while ((got = bundle_reader_read(r, chunk, CHUNK, err)) > 0)
		if (fs_write_all(fd, chunk, (size_t)got, path, err) != 0)
			goto out;
	if (got < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = lerr_sys(err, "cannot stage %s in '%s'", blob->digest, ctx->stage_dir);
	if (rc != 0)
		unlink(path);
	free(chunk);
	free(path);
	return rc;
}

/* HEAD in every target repository; stages and queues the blob only when one lacks it. */
static int push_blob(struct push_ctx *ctx, struct bundle_reader *r, const struct plan_blob *blob, struct lerr *err)
{
	struct upload_job *job = upload_job_new(ctx, blob);
	size_t i;
	int missing;

	for (i = 0; i < blob->image_count; i++) {
		if ((missing = ask_registry(job, i, ctx->clients[blob->images[i]], err)) < 0)
			goto fail;
		/* Cloned here: the reader thread's clients may renew their tokens while workers run. */
		if (missing)
			add_missing(job, i, registry_client_clone(ctx->clients[blob->images[i]]));
	}
	if (job->missing_count == 0)
		goto done;
	if (pool_reserve(ctx->pool, blob->size, err) != 0)
		goto fail;
	if (stage_entry(ctx, r, blob, err) != 0) {
		pool_release(ctx->pool, blob->size);
		goto fail;
	}
	/* The pool owns the job (and the reserved bytes) from here, whether it runs or not. */
	return pool_submit(ctx->pool, job, blob->size, err);
done:
	upload_job_free(job);
	return 0;
fail:
	upload_job_free(job);
	return -1;
}

/* Where copy_out reads an entry: the reader's current entry, or e through the view. */
struct entry_source {
	struct bundle_reader *reader;
	const struct bundle_view *view;
	const struct bundle_entry *e;
};

static int write_out(void *arg, const void *data, size_t len, struct lerr *err)
{
	const struct fs_beneath *out = arg;

	return fs_write_all(out->fd, data, len, out->shown, err);
}

static int read_reader(struct bundle_reader *r, struct fs_beneath *out, struct lerr *err)
{
	char *chunk = xmalloc(CHUNK);
	ssize_t got;

	while ((got = bundle_reader_read(r, chunk, CHUNK, err)) > 0)
		if (write_out(out, chunk, (size_t)got, err) != 0)
			break;
	free(chunk);
	return got == 0 ? 0 : -1;
}

/*
 * files/X → files_dir/X (and providers/, apt/), confined under the directory
 * (a link in it leading outside is an error) and written under a temporary
 * name that is renamed once every byte was verified.
 */
static int copy_out(struct push_ctx *ctx, const struct entry_source *src, const char *dir, const char *rel,
		    struct lerr *err)
{
	struct fs_beneath out = {-1, -1, NULL, NULL, NULL};
	int root_fd = -1;
	int rc = -1;

	if (fs_mkdir_p(dir, err) != 0)
		return -1;
	if ((root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open directory '%s'", dir);
	if (fs_beneath_open(&out, root_fd, dir, rel, 0644, err) != 0)
		goto out;
	if (src->reader != NULL ? read_reader(src->reader, &out, err) != 0
				: bundle_view_read_range(src->view, src->e, 0, src->e->size, write_out, &out, err) != 0)
		goto out;
	if (fs_beneath_commit(&out, err) != 0)
		goto out;
	ctx->result->files_copied++;
	rc = 0;
out:
	fs_beneath_abort(&out);
	close(root_fd);
	return rc;
}

/* The directory a files/, providers/ or apt/ entry is copied into (*rel: its path there), or NULL. */
static const char *copy_dir(const struct bundle_push_opts *opts, const char *path, const char **rel)
{
	static const struct {
		const char *prefix;
		size_t dir_offset;
	} copied[] = {
	    {"files/", offsetof(struct bundle_push_opts, files_dir)},
	    {"providers/", offsetof(struct bundle_push_opts, providers_dir)},
	    {"apt/", offsetof(struct bundle_push_opts, apt_dir)},
	};
	size_t i;

	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (strncmp(path, copied[i].prefix, strlen(copied[i].prefix)) == 0) {
			*rel = path + strlen(copied[i].prefix);
			return *(const char *const *)((const char *)opts + copied[i].dir_offset);
		}
	return NULL;
}

static int push_entry(struct push_ctx *ctx, struct bundle_reader *r, const struct bundle_entry *row, struct lerr *err)
{
	const struct plan_blob *blob;
	struct entry_source src = {r, NULL, row};
	char digest[DIGEST_STR_MAX];
	const char *dir, *rel;

	if (strncmp(row->path, BLOB_PREFIX, strlen(BLOB_PREFIX)) == 0) {
		snprintf(digest, sizeof(digest), "sha256:%s", row->path + strlen(BLOB_PREFIX));
		if ((blob = push_plan_blob(&ctx->plan, digest)) != NULL)
			return push_blob(ctx, r, blob, err);
	} else if ((dir = copy_dir(ctx->opts, row->path, &rel)) != NULL) {
		return copy_out(ctx, &src, dir, rel, err);
	}
	return 0;
}

/* From the file: every blob a job (HEAD, upload, mounts), while this thread copies files/, providers/, apt/. */
static int view_pass(struct push_ctx *ctx, struct lerr *err)
{
	const struct bundle_manifest *bm = bundle_view_manifest(ctx->view);
	size_t i;

	for (i = 0; i < ctx->plan.blob_count; i++) {
		struct upload_job *job = upload_job_new(ctx, &ctx->plan.blobs[i]);

		job->borrowed = 1;
		if (pool_submit(ctx->pool, job, 0, err) != 0)
			return -1;
	}
	for (i = 0; i < bm->entry_count && !pool_stopping(ctx->pool); i++) {
		struct entry_source src = {NULL, ctx->view, &bm->entries[i]};
		const char *dir, *rel;

		/* Without --base, files a delta leaves to its base were copied by the base's push. */
		if (src.e->in_base && ctx->opts->base == NULL)
			continue;
		if ((dir = copy_dir(ctx->opts, src.e->path, &rel)) != NULL && copy_out(ctx, &src, dir, rel, err) != 0)
			return -1;
	}
	return 0;
}

/* Pass 2: the same bundle again, entry by entry; nothing is trusted that pass 1 did not see. */
static int upload_pass(struct push_ctx *ctx, const char *path, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_entry *row;
	const char *name, *json, *sig;
	size_t json_len, sig_len;
	char hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	if (bundle_reader_open(&r, path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	sha256_hex(json, json_len, hex);
	if (strcmp(hex, ctx->plan.json_sha256) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: lading.json changed while it was being pushed", path);
		goto out;
	}
	while ((rc = bundle_reader_next(r, &row, &name, err)) == 1)
		if (row != NULL && push_entry(ctx, r, row, err) != 0) {
			rc = -1;
			break;
		}
out:
	bundle_reader_close(r);
	return rc == 0 ? 0 : -1;
}

/* PUT one manifest by digest unless the repository has it. */
static int put_child(struct push_ctx *ctx, size_t idx, const struct plan_manifest *m, struct lerr *err)
{
	struct registry_client *c = ctx->clients[idx];
	char digest[DIGEST_STR_MAX];
	uint64_t size;

	if (registry_manifest_head(c, m->digest, digest, &size, err) == 0)
		return 0;
	if (err->code != LADING_ERR_NOTFOUND)
		return -1;
	if (registry_manifest_put(c, m->digest, m->parsed.media_type, m->body, m->len, err) != 0)
		return -1;
	ctx->result->manifests_sent++;
	return 0;
}

/*
 * The upstream index of a subset of platforms, by its digest, after what it
 * names that the bundle carries. A registry that checks every child (as
 * docker-registry does) refuses it: that is said, and the image stays
 * pullable by its tag and by the digest of its top level.
 */
static int push_upstream(struct push_ctx *ctx, size_t idx, struct lerr *err)
{
	const struct plan_image *img = &ctx->plan.images[idx];
	size_t i;

	for (i = 0; i < img->extra_count; i++) {
		const struct plan_manifest *m = &ctx->plan.manifests[img->extras[i]];

		struct lerr again;
		char digest[DIGEST_STR_MAX];
		uint64_t size;

		if (put_child(ctx, idx, m, err) == 0)
			continue;
		/* Refused, not unreachable: the registry still answers for the image just pushed. */
		if (!m->parsed.is_index || err->code == LADING_ERR_AUTH ||
		    registry_manifest_head(ctx->clients[idx], img->digest, digest, &size, &again) != 0)
			return name_image(err, ctx, img);
		log_msg(ctx->opts->lg, LOG_WARN,
			"%s: the registry refused upstream index %s, whose other platforms the bundle does not carry "
			"(%s); pull by tag or by %s instead",
			img->display, img->upstream, err->msg, img->digest);
		lerr_clear(err);
		return 0;
	}
	if (img->extra_count > 0)
		log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: pushed upstream index %s", img->display, img->upstream);
	return 0;
}

/* Children before their index (the registry checks what an index names), the tag last. */
static int push_image_manifests(struct push_ctx *ctx, size_t idx, struct lerr *err)
{
	const struct plan_image *img = &ctx->plan.images[idx];
	const struct plan_manifest *top = &ctx->plan.manifests[img->top];
	struct bundle_push_target *t = &ctx->result->targets[idx];
	const char *reference = img->target.tag != NULL ? img->target.tag : img->digest;
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	size_t i;

	if (registry_manifest_head(ctx->clients[idx], reference, digest, &size, err) == 0 &&
	    strcmp(digest, img->digest) == 0) {
		t->present = 1;
		ctx->result->images_present++;
		return push_upstream(ctx, idx, err);
	}
	if (err->code != LADING_OK && err->code != LADING_ERR_NOTFOUND)
		return name_image(err, ctx, img);
	for (i = 0; i < img->child_count; i++)
		if (put_child(ctx, idx, &ctx->plan.manifests[img->children[i]], err) != 0)
			return name_image(err, ctx, img);
	if (registry_manifest_put(ctx->clients[idx], reference, top->parsed.media_type, top->body, top->len, err) != 0)
		return name_image(err, ctx, img);
	ctx->result->manifests_sent++;
	ctx->result->images_pushed++;
	log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: pushed %s", img->display, img->digest);
	return push_upstream(ctx, idx, err);
}

static void fill_targets(struct push_ctx *ctx)
{
	struct bundle_push_result *res = ctx->result;
	size_t i;

	res->targets = xcalloc(ctx->plan.image_count + 1, sizeof(*res->targets));
	res->target_count = ctx->plan.image_count;
	for (i = 0; i < ctx->plan.image_count; i++) {
		res->targets[i].source = xstrdup(ctx->plan.images[i].source);
		res->targets[i].target = xstrdup(ctx->plan.images[i].display);
		snprintf(res->targets[i].digest, sizeof(res->targets[i].digest), "%s", ctx->plan.images[i].digest);
	}
	res->largest_blob = ctx->plan.largest_blob;
}

static int open_clients(struct push_ctx *ctx, struct lerr *err)
{
	const struct bundle_push_opts *o = ctx->opts;
	struct registry_client_opts copts = {o->registries, o->auth_file, o->max_speed, o->lg};
	size_t i;

	ctx->clients = xcalloc(ctx->plan.image_count + 1, sizeof(*ctx->clients));
	for (i = 0; i < ctx->plan.image_count; i++)
		if (registry_client_new(o->registry, ctx->plan.images[i].target.repository, &copts, &ctx->clients[i],
					err) != 0)
			return name_image(err, ctx, &ctx->plan.images[i]);
	/* One request up front: a wrong password or an untrusted CA fails here, once, naming the registry. */
	if (ctx->plan.image_count > 0 && registry_ping(ctx->clients[0], err) != 0)
		return -1;
	return 0;
}

/*
 * TMPDIR/lading-push.<pid>.XXXXXX: the pid in the name and the lock on the
 * directory let a later run remove it when this one is killed; staging
 * directories of earlier runs that are dead are removed first.
 */
static const char *stage_parent(const struct push_ctx *ctx)
{
	const char *tmp = ctx->opts->tmp_dir ? ctx->opts->tmp_dir : getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/var/tmp";
}

static int make_stage_dir(struct push_ctx *ctx, struct lerr *err)
{
	const char *parent = stage_parent(ctx);
	char *sub;
	int r;

	leftover_sweep(parent, leftover_match_push, NULL, "push", ctx->opts->lg, NULL);
	ctx->stage_dir = xasprintf("%s/lading-push.%ld.XXXXXX", parent, (long)getpid());
	if (mkdtemp(ctx->stage_dir) == NULL) {
		r = lerr_sys(err, "cannot create a staging directory in '%s'", parent);
		free(ctx->stage_dir);
		ctx->stage_dir = NULL;
		return r;
	}
	if ((ctx->stage_lock = leftover_lock_path(ctx->stage_dir, err)) < 0)
		return -1;
	sub = xasprintf("%s/blobs/sha256", ctx->stage_dir);
	r = fs_mkdir_p(sub, err);
	free(sub);
	return r;
}

static int push_all(struct push_ctx *ctx, const char *path, struct lerr *err)
{
	const struct bundle_push_opts *opts = ctx->opts;
	struct pool_opts popts = {0};
	size_t i;
	int r;

	if (open_clients(ctx, err) != 0 || (ctx->view == NULL && make_stage_dir(ctx, err) != 0))
		return -1;
	if (ctx->view != NULL && push_delta_check(ctx->delta, ctx->view, &ctx->plan, ctx->clients, err) != 0)
		return -1;
	/* From the file nothing is staged, but what killed two-pass runs left still goes. */
	if (ctx->view != NULL && fs_exists(stage_parent(ctx)))
		leftover_sweep(stage_parent(ctx), leftover_match_push, NULL, "push", ctx->opts->lg, NULL);
	popts.workers = opts->jobs > 0 ? opts->jobs : 4;
	/* Workers only read ctx->clients (to clone theirs); this thread does not use them until the pool ends. */
	ctx->workers = (size_t)popts.workers;
	if (ctx->view != NULL)
		ctx->worker_clients = xcalloc(ctx->workers * ctx->plan.image_count + 1, sizeof(*ctx->worker_clients));
	popts.mode = POOL_STOP_ON_ERROR;
	/* Staged, with the budget at the largest blob, any one blob always fits; from the file nothing is staged. */
	popts.budget = ctx->view != NULL ? 0 : ctx->plan.largest_blob;
	popts.run = upload_job_run;
	popts.drop = upload_job_drop;
	ctx->pool = pool_start(&popts);
	progress_start(&ctx->progress, opts->lg, "pushing", ctx->plan.blob_bytes);
	r = ctx->view != NULL ? view_pass(ctx, err) : upload_pass(ctx, path, err);
	if (r != 0)
		pool_cancel(ctx->pool);
	ctx->result->stage_peak = pool_reserved_peak(ctx->pool);
	if (pool_finish(ctx->pool, r == 0 ? err : NULL) != 0)
		r = -1;
	ctx->pool = NULL;
	progress_end(&ctx->progress);
	for (i = 0; i < ctx->plan.image_count && r == 0; i++)
		r = push_image_manifests(ctx, i, err);
	return r;
}

/* The head as the view's open saw it (its signature checked then), for the two passes of a bundle it cannot view. */
struct head_seen {
	const struct bundle_push_opts *opts;
	char json_sha256[SHA256_HEX_LEN + 1];
	int checked;
};

static int head_first(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		      const struct bundle_manifest *m, struct lerr *err)
{
	struct head_seen *seen = ctx;
	const struct bundle_push_opts *opts = seen->opts;

	sha256_hex(json, json_len, seen->json_sha256);
	seen->checked = 1;
	return opts->head != NULL ? opts->head(opts->head_ctx, json, json_len, sig, sig_len, m, err) : 0;
}

/* Pass 1 after the view's open: the signature is not checked twice, the bytes must be those it checked. */
static int head_again(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		      const struct bundle_manifest *m, struct lerr *err)
{
	const struct head_seen *seen = ctx;
	char hex[SHA256_HEX_LEN + 1];

	(void)sig;
	(void)sig_len;
	(void)m;
	sha256_hex(json, json_len, hex);
	if (strcmp(hex, seen->json_sha256) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE, "lading.json changed after its signature was checked");
	return 0;
}

/*
 * A format 2 bundle with a seek table and chunk values is pushed from the
 * file (*view set); any other (*view NULL, why logged at -v) in two passes.
 * LADING_PUSH_TWO_PASS=1 forces the two passes, to compare them (benchmarks).
 */
static int open_view(struct push_ctx *ctx, const char *path, struct head_seen *seen, struct bundle_view **view,
		     struct lerr *err)
{
	const char *force = getenv("LADING_PUSH_TWO_PASS");
	struct lerr why;
	int r;

	*view = NULL;
	if (force != NULL && strcmp(force, "1") == 0) {
		log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: LADING_PUSH_TWO_PASS=1: pushing it in two passes", path);
		return 0;
	}
	lerr_clear(&why);
	if ((r = bundle_view_open(path, head_first, seen, view, &why)) < 0) {
		*err = why;
		return -1;
	}
	if (r == 0)
		log_msg(ctx->opts->lg, LOG_VERBOSE, "%s; pushing it in two passes (verify, then send)", why.msg);
	else
		log_msg(ctx->opts->lg, LOG_VERBOSE, "%s: pushing from the file, each chunk verified as it is sent",
			path);
	return 0;
}

/* The plan from the view, or from pass 1 (whose head check is head_again once the view's open checked it). */
static int build_plan(struct push_ctx *ctx, const char *path, struct head_seen *seen, struct lerr *err)
{
	struct bundle_push_opts again = *ctx->opts;

	if (ctx->view != NULL)
		return push_plan_build_view(ctx->view, ctx->opts, &ctx->plan, err);
	if (seen->checked) {
		again.head = head_again;
		again.head_ctx = seen;
	}
	return push_plan_build(path, &again, &ctx->plan, err);
}

int bundle_push(const char *path, const struct bundle_push_opts *opts, struct bundle_push_result *result,
		struct lerr *err)
{
	struct push_ctx ctx;
	struct bundle_view *view = NULL;
	struct head_seen seen = {opts, "", 0};
	double started = log_now();
	size_t i;
	int r = -1;

	memset(&ctx, 0, sizeof(ctx));
	memset(result, 0, sizeof(*result));
	ctx.opts = opts;
	ctx.result = result;
	ctx.stage_lock = -1;
	pthread_mutex_init(&ctx.lock, NULL);
	if (open_view(&ctx, path, &seen, &view, err) != 0)
		goto out;
	if (view != NULL && push_delta_prepare(view, opts, &ctx.delta, err) != 0)
		goto out;
	ctx.view = view;
	if (build_plan(&ctx, path, &seen, err) != 0)
		goto out;
	fill_targets(&ctx);
	if (opts->dry_run) {
		r = 0;
		goto out;
	}
	r = push_all(&ctx, path, err);
	result->files_skipped = (opts->files_dir ? 0 : ctx.plan.file_entries) +
				(opts->providers_dir ? 0 : ctx.plan.provider_entries) +
				(opts->apt_dir ? 0 : ctx.plan.apt_entries);
out:
	result->seconds = log_now() - started;
	if (ctx.stage_dir != NULL) {
		struct lerr ignored;

		fs_remove_tree(ctx.stage_dir, &ignored);
		free(ctx.stage_dir);
	}
	if (ctx.stage_lock >= 0)
		close(ctx.stage_lock);
	for (i = 0; ctx.clients != NULL && i < ctx.plan.image_count; i++)
		registry_client_free(ctx.clients[i]);
	for (i = 0; ctx.worker_clients != NULL && i < ctx.workers * ctx.plan.image_count; i++)
		registry_client_free(ctx.worker_clients[i]);
	free(ctx.worker_clients);
	free(ctx.clients);
	push_plan_free(&ctx.plan);
	bundle_view_close(view);
	push_delta_free(ctx.delta);
	pthread_mutex_destroy(&ctx.lock);
	return r;
}

void bundle_push_result_free(struct bundle_push_result *result)
{
	size_t i;

	if (result == NULL)
		return;
	for (i = 0; i < result->target_count; i++) {
		free(result->targets[i].source);
		free(result->targets[i].target);
	}
	free(result->targets);
	memset(result, 0, sizeof(*result));
}
