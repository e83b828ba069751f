#ifndef LADING_LIB_LEFTOVER_H
#define LADING_LIB_LEFTOVER_H

/*
 * Crash leftovers: temp files and staging directories that a run killed with
 * SIGKILL could not remove. Each such path carries its owner's pid in its
 * name, and the owner holds an exclusive flock on it (file or directory fd)
 * for its whole run. A leftover is dead, and may be removed, only when the pid
 * is gone AND the lock is free: the pid alone is not enough (pids are reused,
 * and another pid namespace can share the directory), the lock alone is not
 * enough (an older binary took none).
 */
#include <stdint.h>

#include "lib/err.h"
#include "lib/log.h"

struct leftover_stats {
	unsigned long count;
	uint64_t bytes;
};

/*
 * Returns the owner pid encoded in name if name matches the exact pattern,
 * 0 when it matches a lock-only pattern (no pid: only the lock is checked),
 * -1 when it does not match.
 */
typedef long (*leftover_match_fn)(const char *name, const void *arg);

/* Opens path (a file or a directory, never following a link) and takes the lock; returns the fd or -1. */
int leftover_lock_path(const char *path, struct lerr *err);

/* Takes the run lock on an fd the caller opened; 0 or -1 (fd is the caller's). */
int leftover_lock_fd(int fd, const char *path, struct lerr *err);

/*
 * Removes every entry of dir that match() accepts and whose owner is dead,
 * logging one line per removal at -v ("kind: removed PATH (N bytes)") and
 * adding to st (may be NULL). A missing dir is not an error; an entry that
 * cannot be removed is logged as a warning and skipped. Returns the count removed.
 */
unsigned long leftover_sweep(const char *dir, leftover_match_fn match, const void *arg, const char *kind,
			     const struct logger *lg, struct leftover_stats *st);

/* "<digits>" at s up to end (s non-empty, no sign, fits a pid): the pid, else -1. */
long leftover_parse_pid(const char *s);

/* Matchers for the four kinds (arg: see each). */
long leftover_match_staging(const char *name, const void *base);   /* ".<base>.lading-staging.<pid>"; base NULL: any */
long leftover_match_serve(const char *name, const void *unused);   /* "<16 hex>-<pid>" */
long leftover_match_push(const char *name, const void *unused);	   /* "lading-push.<pid>.<6 chars>" */
long leftover_match_tmp(const char *name, const void *base);	   /* "<base>.tmp.<pid>" */
long leftover_match_partial(const char *name, const void *unused); /* "<64 hex>.partial": lock only */

#endif
