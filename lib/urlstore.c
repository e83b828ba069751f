#define _GNU_SOURCE /* mkostemp */
#include "lib/urlstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define URLSTORE_CHUNK (64u * 1024)
/* Tries of one resumable download: a broken connection resumes, bad resumed bytes start over once. */
#define RESUME_ATTEMPTS 3

struct sink_state {
	int fd;
	const char *what;
	const char *url;
	uint64_t max_bytes;
	uint64_t size;
	struct sha256_ctx *sha;
	const char *path;    /* the file written, for messages */
	uint64_t range_from; /* > 0: the request asked for the bytes from here on */
	int started;	     /* the first reply byte arrived */
};

char *urlstore_path(const char *store, const char *hex)
{
	return xasprintf("%s/blobs/sha256/%s", store, hex);
}

static int add_bytes(struct sink_state *st, const void *data, size_t len, struct lerr *err)
{
	if (st->max_bytes > 0 && len > st->max_bytes - st->size)
		return lerr_set(err, LADING_ERR_LIMIT, "%s: '%s' is larger than %llu bytes", st->what, st->url,
				(unsigned long long)st->max_bytes);
	if (fs_write_all(st->fd, data, len, st->what, err) != 0)
		return -1;
	sha256_update(st->sha, data, len);
	st->size += len;
	return 0;
}

/* Drops the bytes written so far: the reply starts again from byte 0. */
static int restart(struct sink_state *st, struct lerr *err)
{
	char scratch[SHA256_HEX_LEN + 1];

	if (ftruncate(st->fd, 0) != 0 || lseek(st->fd, 0, SEEK_SET) < 0)
		return lerr_sys(err, "%s: cannot truncate '%s'", st->what, st->path);
	sha256_final_hex(st->sha, scratch); /* resets the context */
	st->size = 0;
	return 0;
}

static int sink(long status, const void *data, size_t len, void *arg, struct lerr *err)
{
	struct sink_state *st = arg;

	if (!st->started) {
		st->started = 1;
		/* A server that ignores Range answers 200 with the whole file: start over (RFC 9110 §14.2). */
		if ((status == 200 || status == 203) && st->size > 0 && restart(st, err) != 0)
			return -1;
	}
	if (status != 200 && status != 203 && !(status == 206 && st->range_from > 0))
		return lerr_set(err, LADING_ERR_NETWORK, "%s: unexpected HTTP %ld from '%s'", st->what, status,
				st->url);
	return add_bytes(st, data, len, err);
}

static int status_error(const char *what, const char *url, long status, struct lerr *err)
{
	int code = status == 404 || status == 410 ? LADING_ERR_NOTFOUND : LADING_ERR_NETWORK;

	return lerr_set(err, code, "%s: '%s' answered HTTP %ld", what, url, status);
}

static int copy_local(const char *path, struct sink_state *st, struct lerr *err)
{
	char *chunk = xmalloc(URLSTORE_CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = -1;

	if (fd < 0) {
		r = lerr_set(err, errno == ENOENT ? LADING_ERR_NOTFOUND : LADING_ERR_SYSTEM, "%s: cannot open '%s': %s",
			     st->what, path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, chunk, URLSTORE_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lerr_sys(err, "%s: cannot read '%s'", st->what, path);
			goto out;
		}
		if (got == 0)
			break;
		if (add_bytes(st, chunk, (size_t)got, err) != 0)
			goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(chunk);
	return r;
}

static int download(struct http_session *s, const char *url, struct sink_state *st, struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp = {0};
	int r = -1;

	if (strncmp(url, "file://", 7) == 0)
		return copy_local(url + 7, st, err);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s: unsupported URL '%s' (http, https or file)", st->what, url);
	req.method = "GET";
	req.url = url;
	req.sink = sink;
	req.sink_arg = st;
	req.range_start = st->range_from;
	st->started = 0;
	if (http_do(s, &req, &resp, err) != 0) {
		lerr_prefix(err, "%s", st->what);
		goto out;
	}
	/* Nothing after the bytes we have: they are the whole file, or bad (the hash tells). */
	if (resp.status == 416 && st->range_from > 0) {
		r = 0;
		goto out;
	}
	if (resp.status / 100 != 2) {
		status_error(st->what, url, resp.status, err);
		goto out;
	}
	r = 0;
out:
	http_response_free(&resp);
	return r;
}

static int commit(int fd, const char *tmp, const char *final, struct lerr *err)
{
	if (fsync(fd) != 0)
		return lerr_sys(err, "cannot sync '%s'", tmp);
	if (rename(tmp, final) != 0)
		return lerr_sys(err, "cannot rename '%s'", tmp);
	return 0;
}

/* Hashes the bytes already in the partial file and positions after them; over max_bytes they are dropped. */
static int hash_partial(struct sink_state *st, struct lerr *err)
{
	char *chunk = xmalloc(URLSTORE_CHUNK);
	char scratch[SHA256_HEX_LEN + 1];
	int r = -1;

	if (lseek(st->fd, 0, SEEK_SET) < 0) {
		lerr_sys(err, "%s: cannot seek '%s'", st->what, st->path);
		goto out;
	}
	sha256_final_hex(st->sha, scratch); /* resets the context */
	st->size = 0;
	for (;;) {
		ssize_t got = fs_read_some(st->fd, chunk, URLSTORE_CHUNK, st->path, err);

		if (got < 0)
			goto out;
		if (got == 0)
			break;
		sha256_update(st->sha, chunk, (size_t)got);
		st->size += (uint64_t)got;
	}
	if (st->max_bytes > 0 && st->size > st->max_bytes && restart(st, err) != 0)
		goto out;
	r = 0;
out:
	free(chunk);
	return r;
}

/*
 * A download whose sha256 is known goes to <hex>.partial, locked with flock
 * so two processes never write one. A broken connection keeps it, and the
 * next try (here, or a later call) asks only for the rest with a Range
 * request; the whole file is hashed at the end all the same.
 */
static int fetch_resumable(struct http_session *s, const char *url, const char *store, const char *expect_hex,
			   struct sink_state *st, char hex[SHA256_HEX_LEN + 1], struct lerr *err)
{
	char *final = urlstore_path(store, expect_hex);
	char *partial = xasprintf("%s.partial", final);
	int attempt, keep = 0, r = -1;

	st->path = partial;
	st->fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (st->fd < 0) {
		lerr_sys(err, "%s: cannot open '%s'", st->what, partial);
		goto out;
	}
	while (flock(st->fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			lerr_sys(err, "%s: cannot lock '%s'", st->what, partial);
			goto out;
		}
	for (attempt = 1; attempt <= RESUME_ATTEMPTS; attempt++) {
		uint64_t had;

		if (hash_partial(st, err) != 0)
			goto out;
		had = st->range_from = st->size;
		if (download(s, url, st, err) != 0) {
			/* Keep what arrived for the next try; bytes over the cap or a refusal are no base. */
			keep = err->code == LADING_ERR_NETWORK && st->size > 0;
			if (keep && st->size > had && attempt < RESUME_ATTEMPTS)
				continue;
			goto out;
		}
		sha256_final_hex(st->sha, hex);
		if (strcmp(hex, expect_hex) == 0) {
			if (commit(st->fd, partial, final, err) != 0)
				goto out;
			r = 0;
			goto out;
		}
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: sha256 mismatch for '%s' (expected %s, got %s)", st->what, url,
			 expect_hex, hex);
		/* Resumed from bytes that were bad already: once more from zero, then it is the server's. */
		if (had == 0 || ftruncate(st->fd, 0) != 0)
			goto out;
	}
out:
	if (r != 0 && !keep && st->fd >= 0)
		unlink(partial);
	free(partial);
	free(final);
	st->path = NULL;
	return r;
}

int urlstore_fetch(struct http_session *s, const char *url, const char *store, const char *expect_hex,
		   uint64_t max_bytes, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err)
{
	struct sink_state st = {.fd = -1, .what = what, .url = url, .max_bytes = max_bytes};
	char *dir = xasprintf("%s/blobs/sha256", store);
	char *tmp = xasprintf("%s/.fetch-XXXXXX", dir);
	char *final = NULL;
	int r = -1;

	if (expect_hex != NULL) {
		final = urlstore_path(store, expect_hex);
		if (fs_exists(final) && sha256_file(final, hex, size, err) == 0 && strcmp(hex, expect_hex) == 0) {
			r = 0;
			goto out;
		}
		free(final);
		final = NULL;
	}
	if (fs_mkdir_p(dir, err) != 0)
		goto out;
	st.sha = sha256_new();
	if (expect_hex != NULL && strncmp(url, "file://", 7) != 0) {
		if (fetch_resumable(s, url, store, expect_hex, &st, hex, err) != 0)
			goto out;
		*size = st.size;
		r = 0;
		goto out;
	}
	st.path = tmp;
	st.fd = mkostemp(tmp, O_CLOEXEC);
	if (st.fd < 0) {
		lerr_sys(err, "cannot create a file in '%s'", dir);
		goto out;
	}
	if (download(s, url, &st, err) != 0)
		goto out;
	sha256_final_hex(st.sha, hex);
	if (expect_hex != NULL && strcmp(hex, expect_hex) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: sha256 mismatch for '%s' (expected %s, got %s)", what, url,
			 expect_hex, hex);
		goto out;
	}
	final = urlstore_path(store, hex);
	if (commit(st.fd, tmp, final, err) != 0)
		goto out;
	*size = st.size;
	r = 0;
out:
	if (st.fd >= 0) {
		close(st.fd);
		if (r != 0 && st.path == tmp)
			unlink(tmp);
	}
	sha256_free(st.sha);
	free(final);
	free(tmp);
	free(dir);
	return r;
}

int urlstore_get(struct http_session *s, const char *url, const char *what, struct buf *body, char **final_url,
		 struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp = {0};
	int r = -1;

	if (strncmp(url, "file://", 7) == 0) {
		if (fs_read_file(url + 7, body, err) != 0)
			return lerr_prefix(err, "%s", what);
		if (final_url != NULL)
			*final_url = xstrdup(url);
		return 0;
	}
	req.method = "GET";
	req.url = url;
	req.body = body;
	if (http_do(s, &req, &resp, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	if (resp.status / 100 != 2) {
		status_error(what, url, resp.status, err);
		goto out;
	}
	if (final_url != NULL)
		*final_url = xstrdup(resp.url != NULL ? resp.url : url);
	r = 0;
out:
	http_response_free(&resp);
	return r;
}
