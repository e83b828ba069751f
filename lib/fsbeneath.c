/* Writes confined under a directory fd (see fsutil.h, fs_beneath_open). */
#define _GNU_SOURCE
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

#include "xmalloc.h"

/*
 * openat2 with RESOLVE_BENEATH: links are followed only while they stay
 * under root_fd (EXDEV otherwise); magic /proc links never. ENOSYS where the
 * kernel (before 5.6) or the platform lacks it: there is no safe fallback.
 */
static int open_beneath(int root_fd, const char *rel, int flags)
{
#if defined(__linux__) && defined(SYS_openat2)
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
#else
	(void)root_fd;
	(void)rel;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

/* One-line reason for a failed confined lookup of root/rel. */
static int beneath_error(const char *root, const char *rel, struct lerr *err)
{
	if (errno == EXDEV || errno == ELOOP)
		return lerr_set(err, LADING_ERR_SYSTEM,
				"'%s/%s' goes through a symbolic link leading outside '%s': remove the link or "
				"choose another directory",
				root, rel, root);
	if (errno == ENOSYS || errno == EPERM)
		return lerr_set(err, LADING_ERR_SYSTEM,
				"cannot confine writes under '%s': this kernel lacks openat2(2) (Linux 5.6 or "
				"later is needed)",
				root);
	return lerr_sys(err, "cannot open '%s/%s'", root, rel);
}

/* Opens (creating each missing component) the directory root/rel, confined under root_fd. */
static int open_dir_beneath(int root_fd, const char *root, const char *rel, struct lerr *err)
{
	char *path = xstrdup(rel);
	char *p = path;
	int dir_fd = open_beneath(root_fd, ".", O_RDONLY | O_DIRECTORY);

	if (dir_fd < 0) {
		beneath_error(root, ".", err);
		goto out;
	}
	while (*p != '\0') {
		char *slash = strchr(p, '/');
		int next;

		if (slash != NULL)
			*slash = '\0';
		/* mkdirat never follows a link at its last element; the open below checks where it leads. */
		if (mkdirat(dir_fd, p, 0755) != 0 && errno != EEXIST) {
			lerr_sys(err, "cannot create directory '%s/%s'", root, path);
			close(dir_fd);
			dir_fd = -1;
			goto out;
		}
		next = open_beneath(root_fd, path, O_RDONLY | O_DIRECTORY);
		close(dir_fd);
		dir_fd = next;
		if (dir_fd < 0) {
			beneath_error(root, path, err);
			goto out;
		}
		if (slash == NULL)
			break;
		*slash = '/';
		p = slash + 1;
	}
out:
	free(path);
	return dir_fd;
}

int fs_beneath_open(struct fs_beneath *out, int root_fd, const char *root, const char *rel, mode_t mode,
		    struct lerr *err)
{
	const char *base = strrchr(rel, '/');
	char *parent = base != NULL ? xstrndup(rel, (size_t)(base - rel)) : NULL;
	int probe;

	out->dir_fd = out->fd = -1;
	out->shown = out->tmp = out->base = NULL;
	if (!fs_relpath_is_safe(rel, 0)) {
		free(parent);
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is not a safe relative name under '%s'", rel, root);
	}
	out->dir_fd =
	    parent != NULL ? open_dir_beneath(root_fd, root, parent, err) : open_dir_beneath(root_fd, root, "", err);
	free(parent);
	if (out->dir_fd < 0)
		return -1;
	out->shown = xasprintf("%s/%s", root, rel);
	out->base = xstrdup(base != NULL ? base + 1 : rel);
	/* A link already at the final name is refused when it leads outside, though rename would replace it. */
	probe = open_beneath(root_fd, rel, O_PATH);
	if (probe >= 0)
		close(probe);
	else if (errno == EXDEV || errno == ELOOP) {
		beneath_error(root, rel, err);
		goto fail;
	}
	out->tmp = xasprintf(".%s.tmp.%ld", out->base, (long)getpid());
	out->fd = openat(out->dir_fd, out->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (out->fd < 0) {
		lerr_sys(err, "cannot create '%s'", out->shown);
		goto fail;
	}
	return 0;
fail:
	fs_beneath_abort(out);
	return -1;
}

int fs_beneath_commit(struct fs_beneath *out, struct lerr *err)
{
	int fd = out->fd;
	int synced = fsync(fd);

	out->fd = -1;
	if (close(fd) != 0 || synced != 0) {
		lerr_sys(err, "cannot write '%s'", out->shown);
		goto fail;
	}
	/* renameat replaces whatever is at base (a link included) without following it. */
	if (renameat(out->dir_fd, out->tmp, out->dir_fd, out->base) != 0) {
		lerr_sys(err, "cannot rename into '%s'", out->shown);
		goto fail;
	}
	free(out->tmp);
	out->tmp = NULL;
	if (fsync(out->dir_fd) != 0 && errno != EINVAL) {
		lerr_sys(err, "cannot sync the directory of '%s'", out->shown);
		goto fail;
	}
	fs_beneath_abort(out);
	return 0;
fail:
	fs_beneath_abort(out);
	return -1;
}

void fs_beneath_abort(struct fs_beneath *out)
{
	if (out->fd >= 0)
		close(out->fd);
	if (out->tmp != NULL && out->dir_fd >= 0)
		unlinkat(out->dir_fd, out->tmp, 0);
	if (out->dir_fd >= 0)
		close(out->dir_fd);
	out->fd = out->dir_fd = -1;
	free(out->tmp);
	free(out->base);
	free(out->shown);
	out->tmp = out->base = out->shown = NULL;
}
