#include "images/registry_push.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/registry_internal.h"
#include "images/store.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"

#define PUSH_ATTEMPTS 3

int registry_blob_exists(struct registry_client *c, const char *digest, int *exists, struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s/v2/%s/blobs/%s", c->base_url, c->repository, digest);
	char *what = xasprintf("HEAD blob %s", digest);
	int r = -1;

	req.method = "HEAD";
	req.url = url;
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status == 200 || resp.status == 404) {
		*exists = resp.status == 200;
		r = 0;
	} else {
		registry_status_error(c, &resp, what, err);
	}
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

/* A byte range of a blob (all of it, or one PATCH chunk) as a request body. */
struct body_source {
	const struct registry_blob_body *body;
	uint64_t start;
	uint64_t len;
	uint64_t done;
	registry_progress_fn progress;
	void *progress_arg;
};

static long body_source_read(void *data, size_t len, void *arg, struct lerr *err)
{
	struct body_source *src = arg;
	long got;

	if (len > src->len - src->done)
		len = (size_t)(src->len - src->done);
	if (len == 0)
		return 0;
	got = src->body->read(src->body->arg, src->start + src->done, data, len, err);
	if (got < 0)
		return -1;
	if (got == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: its source ends at byte %llu of %llu", src->body->digest,
				(unsigned long long)(src->start + src->done), (unsigned long long)src->body->size);
	src->done += (uint64_t)got;
	if (src->progress != NULL)
		src->progress((uint64_t)got, src->progress_arg);
	return got;
}

static int body_source_rewind(void *arg)
{
	struct body_source *src = arg;

	src->done = 0;
	return 0;
}

/* The Location of a reply resolved against the request URL; NULL (with err) when absent. */
static char *reply_location(const struct registry_client *c, const struct http_response *resp, struct lerr *err)
{
	const char *location = http_response_header(resp, "Location");
	char *url = location != NULL ? http_url_resolve(resp->url, location) : NULL;

	if (url == NULL)
		lerr_about(err, LADING_ERR_FORMAT, c->name, "upload reply without a usable Location header");
	return url;
}

/* POST an upload session (or a mount). Returns 1 when mounted, 0 with *location, -1 on error. */
static int upload_start(struct registry_client *c, const char *digest, const char *mount_from, char **location,
			struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp;
	char *url, *what = xasprintf("upload of %s", digest);
	int r = -1;

	if (mount_from != NULL)
		url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", c->base_url, c->repository, digest,
				mount_from);
	else
		url = xasprintf("%s/v2/%s/blobs/uploads/", c->base_url, c->repository);
	req.method = "POST";
	req.url = url;
	req.no_retry = 1;
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status == 201 && mount_from != NULL) {
		r = 1;
	} else if (resp.status == 202) {
		*location = reply_location(c, &resp, err);
		r = *location != NULL ? 0 : -1;
	} else {
		registry_status_error(c, &resp, what, err);
	}
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

/* PATCH one chunk; replaces *location with the next one. */
static int upload_chunk(struct registry_client *c, char **location, struct body_source *src, struct lerr *err)
{
	char range[64];
	const char *headers[] = {"Content-Type: application/octet-stream", range, NULL};
	struct http_request req = {0};
	struct http_response resp;
	char *next;
	int r = -1;

	/* No "bytes " prefix and an inclusive end (SPECS §1.4). */
	snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)src->start,
		 (unsigned long long)(src->start + src->len - 1));
	req.method = "PATCH";
	req.url = *location;
	req.headers = headers;
	req.source = body_source_read;
	req.source_arg = src;
	req.rewind = body_source_rewind;
	req.upload_len = src->len;
	req.no_retry = 1;
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status != 202) {
		registry_status_error(c, &resp, "PATCH upload", err);
		goto out;
	}
	if ((next = reply_location(c, &resp, err)) == NULL)
		goto out;
	free(*location);
	*location = next;
	r = 0;
out:
	http_response_free(&resp);
	return r;
}

/* The closing PUT with ?digest= (and the whole blob when src is not NULL). */
static int upload_finish(struct registry_client *c, const char *location, const char *digest, struct body_source *src,
			 struct lerr *err)
{
	static const char *const headers[] = {"Content-Type: application/octet-stream", NULL};
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
	char *what = xasprintf("PUT blob %s", digest);
	int r = -1;

	req.method = "PUT";
	req.url = url;
	req.headers = headers;
	req.no_retry = 1;
	if (src != NULL) {
		req.source = body_source_read;
		req.source_arg = src;
		req.rewind = body_source_rewind;
		req.upload_len = src->len;
	}
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status != 201) {
		registry_status_error(c, &resp, what, err);
		goto out;
	}
	r = 0;
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

/* Cancels an upload session that will not be finished (best effort: the registry expires it anyway). */
static void upload_cancel(struct registry_client *c, const char *location)
{
	struct http_request req = {0};
	struct http_response resp;
	struct lerr ignored;

	req.method = "DELETE";
	req.url = location;
	req.no_retry = 1;
	if (registry_do(c, &req, &resp, &ignored) == 0)
		http_response_free(&resp);
}

static int blob_push_once(struct registry_client *c, const struct registry_blob_body *body, const char *mount_from,
			  uint64_t chunk_size, registry_progress_fn progress, void *progress_arg, int *outcome,
			  struct lerr *err)
{
	struct body_source src = {body, 0, body->size, 0, progress, progress_arg};
	char *location = NULL;
	int exists, started, r = -1;

	if (registry_blob_exists(c, body->digest, &exists, err) != 0)
		return -1;
	if (exists) {
		*outcome = REGISTRY_BLOB_PRESENT;
		return 0;
	}
	if ((started = upload_start(c, body->digest, mount_from, &location, err)) < 0)
		return -1;
	if (started == 1) {
		*outcome = REGISTRY_BLOB_MOUNTED;
		return 0;
	}
	if (body->size <= chunk_size) {
		r = upload_finish(c, location, body->digest, &src, err);
	} else {
		for (src.start = 0; src.start < body->size; src.start += src.len) {
			src.len = body->size - src.start < chunk_size ? body->size - src.start : chunk_size;
			src.done = 0;
			if (upload_chunk(c, &location, &src, err) != 0) {
				/* A source that failed (a chunk of the bundle that did not verify): no closing PUT. */
				if (err->code != LADING_ERR_NETWORK)
					upload_cancel(c, location);
				goto out;
			}
		}
		r = upload_finish(c, location, body->digest, NULL, err);
	}
	if (r == 0)
		*outcome = REGISTRY_BLOB_SENT;
out:
	free(location);
	return r;
}

int registry_blob_push_from(struct registry_client *c, const struct registry_blob_body *body, const char *mount_from,
			    uint64_t chunk_size, registry_progress_fn progress, void *progress_arg, int *outcome,
			    struct lerr *err)
{
	int attempt, r = -1;

	if (chunk_size == 0)
		chunk_size = REGISTRY_CHUNK_DEFAULT;
	for (attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
		r = blob_push_once(c, body, mount_from, chunk_size, progress, progress_arg, outcome, err);
		if (r == 0 || err->code != LADING_ERR_NETWORK)
			break;
		log_msg(c->opts.lg, LOG_VERBOSE, "%s: %s: %s; starting the blob again", c->name, body->digest,
			err->msg);
	}
	return r;
}

/* A stored blob file as a body. */
struct stored_blob {
	int fd;
	const char *path;
};

static long stored_blob_read(void *arg, uint64_t offset, void *buf, size_t len, struct lerr *err)
{
	const struct stored_blob *f = arg;
	ssize_t got;

	do
		got = pread(f->fd, buf, len, (off_t)offset);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		if (got == 0)
			errno = EIO;
		return lerr_sys(err, "cannot read '%s'", f->path);
	}
	return (long)got;
}

int registry_blob_push(struct registry_client *c, const char *store, const char *digest, uint64_t size,
		       const char *mount_from, uint64_t chunk_size, registry_progress_fn progress, void *progress_arg,
		       int *outcome, struct lerr *err)
{
	struct stored_blob f = {-1, NULL};
	struct registry_blob_body body = {digest, size, stored_blob_read, &f};
	char *path = store_blob_path(store, digest);
	int r;

	f.path = path;
	if ((f.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = lerr_sys(err, "%s: cannot open '%s'", digest, path);
	} else {
		r = registry_blob_push_from(c, &body, mount_from, chunk_size, progress, progress_arg, outcome, err);
		close(f.fd);
	}
	free(path);
	return r;
}

int registry_manifest_put(struct registry_client *c, const char *reference, const char *media_type, const void *data,
			  size_t len, struct lerr *err)
{
	char content_type[256];
	const char *headers[] = {content_type, NULL};
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s/v2/%s/manifests/%s", c->base_url, c->repository, reference);
	char *what = xasprintf("PUT manifest %s", reference);
	char hex[SHA256_HEX_LEN + 1], digest[DIGEST_STR_MAX];
	const char *answered;
	int r = -1;

	snprintf(content_type, sizeof(content_type), "Content-Type: %s", media_type);
	sha256_hex(data, len, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	req.method = "PUT";
	req.url = url;
	req.headers = headers;
	req.upload = data;
	req.upload_len_mem = len;
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status != 201) {
		registry_status_error(c, &resp, what, err);
		goto out;
	}
	answered = http_response_header(&resp, "Docker-Content-Digest");
	if (answered != NULL && strcmp(answered, digest) != 0) {
		lerr_about(err, LADING_ERR_SIGNATURE, c->name, "%s: registry stored %s, not %s", what, answered,
			   digest);
		goto out;
	}
	r = 0;
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}
