#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

int fs_mkdir_p(const char *dir, struct lerr *err)
{
	char *path = xstrdup(dir);
	char *p;
	int r = -1;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			lerr_sys(err, "cannot create directory '%s'", path);
			goto out;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		lerr_sys(err, "cannot create directory '%s'", path);
		goto out;
	}
	r = 0;
out:
	free(path);
	return r;
}

int fs_atomic_open(struct fs_atomic *out, const char *path, mode_t mode, struct lerr *err)
{
	out->final_path = xstrdup(path);
	out->tmp_path = xasprintf("%s.tmp.%ld", path, (long)getpid());
	out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (out->fd < 0) {
		lerr_sys(err, "cannot create '%s'", path);
		free(out->final_path);
		free(out->tmp_path);
		out->final_path = out->tmp_path = NULL;
		return -1;
	}
	return 0;
}

static int fsync_parent(const char *path, struct lerr *err)
{
	char *copy = xstrdup(path);
	int fd;
	int r = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL)
			r = lerr_sys(err, "cannot sync directory of '%s'", path);
		close(fd);
	}
	free(copy);
	return r;
}

int fs_atomic_commit(struct fs_atomic *out, struct lerr *err)
{
	int r = -1;

	if (out->fd < 0)
		return lerr_set(err, LADING_ERR_SYSTEM, "'%s' is not open", out->final_path ? out->final_path : "?");
	if (fsync(out->fd) != 0) {
		lerr_sys(err, "cannot write '%s'", out->final_path);
		goto fail;
	}
	if (close(out->fd) != 0) {
		out->fd = -1;
		lerr_sys(err, "cannot write '%s'", out->final_path);
		goto fail;
	}
	out->fd = -1;
	if (rename(out->tmp_path, out->final_path) != 0) {
		lerr_sys(err, "cannot rename '%s' to '%s'", out->tmp_path, out->final_path);
		goto fail;
	}
	r = fsync_parent(out->final_path, err);
	free(out->final_path);
	free(out->tmp_path);
	out->final_path = out->tmp_path = NULL;
	return r;
fail:
	fs_atomic_abort(out);
	return -1;
}

void fs_atomic_abort(struct fs_atomic *out)
{
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->tmp_path != NULL)
		unlink(out->tmp_path);
	free(out->final_path);
	free(out->tmp_path);
	out->final_path = out->tmp_path = NULL;
}

ssize_t fs_read_some(int fd, void *data, size_t len, const char *what, struct lerr *err)
{
	ssize_t got;

	do
		got = read(fd, data, len);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		lerr_sys(err, "cannot read '%s'", what);
	return got;
}

int fs_write_all(int fd, const void *data, size_t len, const char *what, struct lerr *err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t done = write(fd, p, len);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return lerr_sys(err, "cannot write '%s'", what);
		p += done;
		len -= (size_t)done;
	}
	return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, mode_t mode, struct lerr *err)
{
	struct fs_atomic out;

	if (fs_atomic_open(&out, path, mode, err) != 0)
		return -1;
	if (fs_write_all(out.fd, data, len, path, err) != 0) {
		fs_atomic_abort(&out);
		return -1;
	}
	return fs_atomic_commit(&out, err);
}

int fs_read_file(const char *path, struct buf *b, struct lerr *err)
{
	char chunk[8192];
	int fd;
	int r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open '%s'", path);
	for (;;) {
		ssize_t got = fs_read_some(fd, chunk, sizeof(chunk), path, err);

		if (got < 0)
			goto out;
		if (got == 0)
			break;
		if (buf_add(b, chunk, (size_t)got, err) != 0) {
			lerr_prefix(err, "'%s'", path);
			goto out;
		}
	}
	if (b->data == NULL && buf_add(b, "", 0, err) != 0)
		goto out;
	r = 0;
out:
	close(fd);
	return r;
}

int fs_copy_fd(int in_fd, int out_fd, uint64_t *copied, const char *what, struct lerr *err)
{
	char *chunk = xmalloc(1 << 16);
	uint64_t total = 0;
	int r = -1;

	for (;;) {
		ssize_t got = read(in_fd, chunk, 1 << 16);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lerr_sys(err, "cannot read '%s'", what);
			goto out;
		}
		if (got == 0)
			break;
		if (fs_write_all(out_fd, chunk, (size_t)got, what, err) != 0)
			goto out;
		total += (uint64_t)got;
	}
	if (copied != NULL)
		*copied = total;
	r = 0;
out:
	free(chunk);
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int fs_remove_tree(const char *path, struct lerr *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : lerr_sys(err, "cannot remove '%s'", path);
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return lerr_sys(err, "cannot remove '%s'", path);
	return 0;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int fs_relpath_is_safe(const char *path, size_t max_len)
{
	const char *p, *component = path;

	if (*path == '\0' || *path == '/' || (max_len > 0 && strlen(path) > max_len))
		return 0;
	for (p = path;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - component);

			if (len == 0 || (len == 1 && component[0] == '.') ||
			    (len == 2 && component[0] == '.' && component[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			component = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			return 0;
		}
	}
}

char *fs_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	copy = xstrdup(path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL; dir = strtok_r(NULL, ":", &save)) {
		/* An empty entry is the current directory (execvp's rule). */
		char *candidate = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (access(candidate, X_OK) == 0)
			found = candidate;
		else
			free(candidate);
	}
	free(copy);
	return found;
}
