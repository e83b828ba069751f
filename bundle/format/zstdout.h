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

/*
 * A frame whose content is stored in raw blocks (no compression), so its size
 * is known from its content's size alone: the writer keeps frame 0's place
 * for the head, writes the body after it and fills the head in last.
 */
uint64_t bundle_zstd_raw_frame_size(uint64_t content);

/*
 * Keeps the place of a raw frame of content bytes at the current offset of
 * the stream's fd (a regular file) as the stream's first frame; before any
 * other write of a seekable stream. Fails when content is over the format's
 * 1 GiB or the fd cannot seek.
 */
int bundle_zstd_reserve_raw(struct bundle_zstd *z, uint64_t content, struct lerr *err);

/* Writes the reserved frame at its place; len must be the size reserved. Before bundle_zstd_finish. */
int bundle_zstd_fill_raw(struct bundle_zstd *z, const void *content, size_t len, struct lerr *err);

/* Ends the last frame and, for a seekable stream, writes the seek table (a reserved frame must be filled). */
int bundle_zstd_finish(struct bundle_zstd *z, struct lerr *err);

void bundle_zstd_free(struct bundle_zstd *z);

#endif
