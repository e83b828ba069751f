#ifndef LADING_BUNDLE_FORMAT_ZSTDOUT_H
#define LADING_BUNDLE_FORMAT_ZSTDOUT_H

/*
 * A zstd stream written to a file descriptor with libzstd, multithreaded with
 * a bounded job size so memory stays flat whatever the level (see zstdout.c).
 * Seekable streams are cut into independent frames where the caller says and
 * end with a seek table (seektable.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* libzstd's MT job size: 1 MiB keeps peak RSS around 30 MiB at level 3 with 2 workers. */
#define BUNDLE_ZSTD_JOB_SIZE (1u << 20)

struct bundle_zstd;

/*
 * Starts a stream at level with threads workers (0 = in the calling thread)
 * onto fd; name is used in messages. seekable: frames are recorded for a seek
 * table (and none grows past the format's 1 GiB). *out is the caller's
 * (bundle_zstd_free). Fails when libzstd refuses a parameter.
 */
int bundle_zstd_open(struct bundle_zstd **out, int fd, const char *name, int level, int threads, int seekable,
		     struct lerr *err);

/* Compresses len bytes, writing whatever output is ready; fails on a write error (ENOSPC …). */
int bundle_zstd_write(struct bundle_zstd *z, const void *data, size_t len, struct lerr *err);

/* Input bytes in the current frame so far. */
uint64_t bundle_zstd_frame_input(const struct bundle_zstd *z);

/* Ends the current frame (nothing when it is empty): what follows starts an independent one. */
int bundle_zstd_end_frame(struct bundle_zstd *z, struct lerr *err);

/* Ends the last frame and, for a seekable stream, writes the seek table. */
int bundle_zstd_finish(struct bundle_zstd *z, struct lerr *err);

void bundle_zstd_free(struct bundle_zstd *z);

#endif
