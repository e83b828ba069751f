#ifndef LADING_FSUTIL_H
#define LADING_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Creates dir and its parents with mode 0755; existing directories are fine. */
int fs_mkdir_p(const char *dir, struct lerr *err);

/*
 * An output file written under a temporary name in the final directory, then
 * fsynced and renamed into place by fs_atomic_commit: a reader never sees a
 * partial file under the final name. fs_atomic_abort removes the temporary.
 */
struct fs_atomic {
	char *final_path;
	char *tmp_path;
	int fd;
};

/* Opens "<path>.tmp.<pid>" for writing with the given mode. */
int fs_atomic_open(struct fs_atomic *out, const char *path, mode_t mode, struct lerr *err);
/* fsyncs, closes, renames to the final name and fsyncs the directory. Frees names. */
int fs_atomic_commit(struct fs_atomic *out, struct lerr *err);
/* Closes and unlinks the temporary; safe to call after commit or twice. */
void fs_atomic_abort(struct fs_atomic *out);

/*
 * An output file confined under a directory: root_fd/rel is reached with
 * openat2(2) RESOLVE_BENEATH, missing directories are made with mkdirat, the
 * data goes to a temporary name that fs_beneath_commit fsyncs and renames in
 * the same directory. A symbolic link (on the way or at the final name) that
 * leads outside root_fd is an error naming it, never a write outside (one that
 * stays inside is followed on the way, replaced at the final name); so is a
 * kernel without openat2. root is the directory's name, for messages.
 */
struct fs_beneath {
	int dir_fd; /* the final name's directory */
	int fd;	    /* the temporary, for writing */
	char *tmp, *base, *shown;
};

int fs_beneath_open(struct fs_beneath *out, int root_fd, const char *root, const char *rel, mode_t mode,
		    struct lerr *err);
int fs_beneath_commit(struct fs_beneath *out, struct lerr *err);
/* Closes and unlinks the temporary; safe after commit or twice. */
void fs_beneath_abort(struct fs_beneath *out);

/* read(2) retried on EINTR: the byte count (0 at end of file), or -1 with err naming what. */
ssize_t fs_read_some(int fd, void *data, size_t len, const char *what, struct lerr *err);

/* Writes all len bytes to fd, retrying on EINTR and short writes. */
int fs_write_all(int fd, const void *data, size_t len, const char *what, struct lerr *err);

/* Writes data to path atomically (tmp, fsync, rename). */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode, struct lerr *err);

/* Reads a whole small file into b (whose cap bounds the size). */
int fs_read_file(const char *path, struct buf *b, struct lerr *err);

/* Copies from in_fd to out_fd in bounded chunks; counts bytes into *copied when not NULL. */
int fs_copy_fd(int in_fd, int out_fd, uint64_t *copied, const char *what, struct lerr *err);

/* Recursively removes path (no error when it does not exist). */
int fs_remove_tree(const char *path, struct lerr *err);

/* True when path exists (any type). */
int fs_exists(const char *path);

/*
 * True for a relative path that stays below its root: not empty, at most
 * max_len bytes (0: no limit), no leading '/', no empty, '.' or '..'
 * component, no control character or backslash. The one check for names
 * taken from outside (bundle entries, files: names, Filename fields).
 */
int fs_relpath_is_safe(const char *path, size_t max_len);

/*
 * The program name as found on $PATH (first executable match; /usr/bin:/bin
 * without PATH), newly allocated, or NULL when there is none.
 */
char *fs_which(const char *name);

#endif
