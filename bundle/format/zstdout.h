#ifndef LADING_BUNDLE_FORMAT_ZSTDOUT_H
#define LADING_BUNDLE_FORMAT_ZSTDOUT_H

/*
 * A zstd stream written to a file descriptor with libzstd, multithreaded with
 * a bounded job size so memory stays flat whatever the level (see zstdout.c).
 */
#include <stddef.h>

#include "lib/err.h"

/* libzstd's MT job size: 1 MiB keeps peak RSS around 30 MiB at level 3 with 2 workers. */
#define BUNDLE_ZSTD_JOB_SIZE (1u << 20)

struct bundle_zstd;

/*
 * Starts a stream at level with threads workers (0 = in the calling thread)
 * onto fd; name is used in messages. *out is the caller's (bundle_zstd_free).
 * Fails when libzstd refuses a parameter.
 */
int bundle_zstd_open(struct bundle_zstd **out, int fd, const char *name, int level, int threads, struct lerr *err);

/* Compresses len bytes, writing whatever output is ready; fails on a write error (ENOSPC …). */
int bundle_zstd_write(struct bundle_zstd *z, const void *data, size_t len, struct lerr *err);

/* Flushes and ends the frame. */
int bundle_zstd_finish(struct bundle_zstd *z, struct lerr *err);

void bundle_zstd_free(struct bundle_zstd *z);

#endif
