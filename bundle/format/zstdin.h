#ifndef LADING_BUNDLE_FORMAT_ZSTDIN_H
#define LADING_BUNDLE_FORMAT_ZSTDIN_H

/*
 * A bundle's zstd stream read from its file with libzstd, frame by frame, so
 * the reader can prove that nothing follows the archive: the signature covers
 * lading.json, not the file, so every byte must belong to the checked tar.
 */
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

/* Decompressed bytes handed out per read: a multiple of 64 KiB (zstdin.c). */
#define BUNDLE_ZSTDIN_BLOCK (256u << 10)

/*
 * Blocks in flight: the caller holds two, a thread decompresses into the
 * rest ahead of it, so memory stays at this many blocks however large the
 * bundle.
 */
#define BUNDLE_ZSTDIN_QUEUE 6u

/*
 * The tar record: GNU tar and Python's tarfile pad the archive with zeros to a
 * multiple of it (20 blocks of 512); lading's writer does not pad at all.
 */
#define BUNDLE_TAR_RECORD 10240u

struct bundle_zstdin;

/*
 * Opens path for reading; name is used in messages. *out is the caller's
 * (bundle_zstdin_free). Starts a thread that decompresses ahead of the
 * caller; z is used from one caller thread. Fails when the file cannot be
 * opened or the thread cannot start.
 */
int bundle_zstdin_open(struct bundle_zstdin **out, const char *path, struct lerr *err);

/*
 * Decompresses the next block: sets *data (owned by z, valid until the second
 * call after this one) and returns its length, always BUNDLE_ZSTDIN_BLOCK
 * except for the last; 0 at the end of the stream; -1 when a frame is damaged
 * or cut short. The stream ends at the end of the file, or at bytes that are
 * not a zstd frame (a skippable frame, garbage): see bundle_zstdin_stopped.
 */
ssize_t bundle_zstdin_read(struct bundle_zstdin *z, const void **data, struct lerr *err);

/*
 * Explains why the stream ended or failed before the end of the file, for a
 * caller whose tar ended early: returns -1 with err set when z failed or met
 * a skippable frame or non-zstd bytes, else 0.
 */
int bundle_zstdin_stopped(const struct bundle_zstdin *z, struct lerr *err);

/*
 * Checks the end of the file once the tar reader consumed tar_end
 * decompressed bytes and saw its end-of-archive: what follows tar_end may
 * only be zeros up to the next BUNDLE_TAR_RECORD boundary, and the file must
 * end where the zstd frame holding them ends. Fails with LADING_ERR_SIGNATURE
 * naming the first unaccounted byte (a file offset for bytes after that
 * frame, a decompressed offset inside it).
 */
int bundle_zstdin_check_end(struct bundle_zstdin *z, uint64_t tar_end, struct lerr *err);

/* Stops the decompressing thread (at any point: an early stop leaks nothing) and frees z; accepts NULL. */
void bundle_zstdin_free(struct bundle_zstdin *z);

#endif
