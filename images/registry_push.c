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

/* A byte range of a stored blob as an upload body. */
struct file_source {
	int fd;
	const char *path;
	uint64_t start;
	uint64_t len;
	uint64_t done;
	registry_progress_fn progress;
	void *progress_arg;
};

static long file_source_read(void *data, size_t len, void *arg, struct lerr *err)
{
	struct file_source *src = arg;
	ssize_t got;

	if (len > src->len - src->done)
		len = (size_t)(src->len - src->done);
	if (len == 0)
		return 0;
	do
		got = pread(src->fd, data, len, (off_t)(src->start + src->done));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		if (got == 0)
			errno = EIO;
		return lerr_sys(err, "cannot read '%s'", src->path);
	}
	src->done += (uint64_t)got;
	if (src->progress != NULL)
		src->progress((uint64_t)got, src->progress_arg);
	return (long)got;
}

static int file_source_rewind(void *arg)
{
	struct file_source *src = arg;

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
static int upload_chunk(struct registry_client *c, char **location, struct file_source *src, struct lerr *err)
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
	req.source = file_source_read;
	req.source_arg = src;
	req.rewind = file_source_rewind;
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
static int upload_finish(struct registry_client *c, const char *location, const char *digest, struct file_source *src,
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
		req.source = file_source_read;
		req.source_arg = src;
		req.rewind = file_source_rewind;
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

static int blob_push_once(struct registry_client *c, int fd, const char *path, const char *digest, uint64_t size,
			  const char *mount_from, uint64_t chunk_size, registry_progress_fn progress,
			  void *progress_arg, int *outcome, struct lerr *err)
{
	struct file_source src = {fd, path, 0, size, 0, progress, progress_arg};
	char *location = NULL;
	int exists, started, r = -1;

	if (registry_blob_exists(c, digest, &exists, err) != 0)
		return -1;
	if (exists) {
		*outcome = REGISTRY_BLOB_PRESENT;
		return 0;
	}
	if ((started = upload_start(c, digest, mount_from, &location, err)) < 0)
		return -1;
	if (started == 1) {
		*outcome = REGISTRY_BLOB_MOUNTED;
		return 0;
	}
	if (size <= chunk_size) {
		r = upload_finish(c, location, digest, &src, err);
	} else {
		for (src.start = 0; src.start < size; src.start += src.len) {
			src.len = size - src.start < chunk_size ? size - src.start : chunk_size;
			src.done = 0;
			if (upload_chunk(c, &location, &src, err) != 0)
				goto out;
		}
		r = upload_finish(c, location, digest, NULL, err);
	}
	if (r == 0)
		*outcome = REGISTRY_BLOB_SENT;
out:
	free(location);
	return r;
}

int registry_blob_push(struct registry_client *c, const char *store, const char *digest, uint64_t size,
		       const char *mount_from, uint64_t chunk_size, registry_progress_fn progress, void *progress_arg,
		       int *outcome, struct lerr *err)
{
	char *path = store_blob_path(store, digest);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int attempt, r = -1;

	if (fd < 0) {
		lerr_sys(err, "%s: cannot open '%s'", digest, path);
		goto out;
	}
	if (chunk_size == 0)
		chunk_size = REGISTRY_CHUNK_DEFAULT;
	for (attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
		r = blob_push_once(c, fd, path, digest, size, mount_from, chunk_size, progress, progress_arg, outcome,
				   err);
		if (r == 0 || err->code != LADING_ERR_NETWORK)
			break;
		log_msg(c->opts.lg, LOG_VERBOSE, "%s: %s: %s; starting the blob again", c->name, digest, err->msg);
	}
out:
	if (fd >= 0)
		close(fd);
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
