#define _GNU_SOURCE /* flock */
#include "images/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define STORE_CHUNK (64 * 1024)

char *store_blob_path(const char *store, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", store, digest + 7);
}

int store_has(const char *store, const char *digest)
{
	char *path = store_blob_path(store, digest);
	int has = fs_exists(path);

	free(path);
	return has;
}

int store_init(const char *store, struct lerr *err)
{
	char *dir = xasprintf("%s/blobs/sha256", store);
	int r = fs_mkdir_p(dir, err);

	free(dir);
	return r;
}

int store_put(const char *store, const char *digest, const void *data, size_t len, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	int r;

	sha256_hex(data, len, hex);
	if (strcmp(hex, digest + 7) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: digest mismatch (got sha256:%s)", digest, hex);
	if (store_has(store, digest))
		return 0;
	path = store_blob_path(store, digest);
	r = fs_write_file(path, data, len, 0644, err);
	free(path);
	return r;
}

int store_read(const char *store, const char *digest, struct buf *out, struct lerr *err)
{
	char *path = store_blob_path(store, digest);
	int r = fs_read_file(path, out, err);

	free(path);
	return r;
}

/* Hashes the bytes already in the partial file; sets p->offset. */
static int hash_existing(struct store_partial *p, struct lerr *err)
{
	char *chunk = xmalloc(STORE_CHUNK);
	int r = -1;

	p->offset = 0;
	if (lseek(p->fd, 0, SEEK_SET) < 0) {
		lerr_sys(err, "cannot seek '%s'", p->partial_path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(p->fd, chunk, STORE_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lerr_sys(err, "cannot read '%s'", p->partial_path);
			goto out;
		}
		if (got == 0)
			break;
		sha256_update(p->sha, chunk, (size_t)got);
		p->offset += (uint64_t)got;
	}
	r = 0;
out:
	free(chunk);
	return r;
}

/*
 * The blob arrived under its final name while we waited: if the partial name
 * still is the (empty) file we hold locked, nobody else needs it.
 */
static void drop_own_partial(const struct store_partial *p)
{
	struct stat held, named;

	if (fstat(p->fd, &held) == 0 && stat(p->partial_path, &named) == 0 && held.st_ino == named.st_ino &&
	    held.st_dev == named.st_dev)
		unlink(p->partial_path);
}

int store_partial_open(const char *store, const char *digest, uint64_t size, struct store_partial *p, int *complete,
		       struct lerr *err)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	*complete = 0;
	snprintf(p->digest, sizeof(p->digest), "%s", digest);
	p->size = size;
	p->final_path = store_blob_path(store, digest);
	p->partial_path = xasprintf("%s.partial", p->final_path);
	if (fs_exists(p->final_path))
		goto done;
	p->fd = open(p->partial_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (p->fd < 0) {
		lerr_sys(err, "cannot open '%s'", p->partial_path);
		goto fail;
	}
	while (flock(p->fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			lerr_sys(err, "cannot lock '%s'", p->partial_path);
			goto fail;
		}
	}
	/* Another process may have finished it while we waited for the lock. */
	if (fs_exists(p->final_path)) {
		drop_own_partial(p);
		goto done;
	}
	p->sha = sha256_new();
	if (hash_existing(p, err) != 0)
		goto fail;
	if (p->offset > size && store_partial_restart(p, err) != 0)
		goto fail;
	if (lseek(p->fd, (off_t)p->offset, SEEK_SET) < 0) {
		lerr_sys(err, "cannot seek '%s'", p->partial_path);
		goto fail;
	}
	return 0;
done:
	*complete = 1;
	store_partial_close(p);
	return 0;
fail:
	store_partial_close(p);
	return -1;
}

int store_partial_write(struct store_partial *p, const void *data, size_t len, struct lerr *err)
{
	if (len > p->size - p->offset)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: the registry sent more than the %llu bytes the manifest lists", p->digest,
				(unsigned long long)p->size);
	if (fs_write_all(p->fd, data, len, p->partial_path, err) != 0)
		return -1;
	sha256_update(p->sha, data, len);
	p->offset += len;
	return 0;
}

int store_partial_restart(struct store_partial *p, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (ftruncate(p->fd, 0) != 0 || lseek(p->fd, 0, SEEK_SET) < 0)
		return lerr_sys(err, "cannot truncate '%s'", p->partial_path);
	sha256_final_hex(p->sha, hex); /* resets the context */
	p->offset = 0;
	return 0;
}

int store_partial_finish(struct store_partial *p, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (p->offset != p->size) {
		unlink(p->partial_path);
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: size mismatch (got %llu bytes, manifest lists %llu)",
				p->digest, (unsigned long long)p->offset, (unsigned long long)p->size);
	}
	sha256_final_hex(p->sha, hex);
	if (strcmp(hex, p->digest + 7) != 0) {
		unlink(p->partial_path);
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: digest mismatch (got sha256:%s)", p->digest, hex);
	}
	if (fsync(p->fd) != 0)
		return lerr_sys(err, "cannot write '%s'", p->partial_path);
	if (rename(p->partial_path, p->final_path) != 0)
		return lerr_sys(err, "cannot rename '%s' to '%s'", p->partial_path, p->final_path);
	return 0;
}

void store_partial_discard(struct store_partial *p)
{
	if (p->partial_path != NULL)
		unlink(p->partial_path);
}

void store_partial_close(struct store_partial *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	sha256_free(p->sha);
	p->sha = NULL;
	free(p->final_path);
	free(p->partial_path);
	p->final_path = p->partial_path = NULL;
}

char *store_default_dir(void)
{
	const char *cache = getenv("LADING_CACHE");
	const char *home = getenv("HOME");

	if (cache != NULL && *cache != '\0')
		return xstrdup(cache);
	return xasprintf("%s/.cache/lading", home != NULL ? home : ".");
}
