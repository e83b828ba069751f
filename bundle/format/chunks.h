#ifndef LADING_BUNDLE_FORMAT_CHUNKS_H
#define LADING_BUNDLE_FORMAT_CHUNKS_H

/*
 * Chunk hashes: how any range of a format 2 entry is verified without
 * reading the rest of it. An entry's data is cut into chunks of
 * BUNDLE_CHUNK_SIZE from its start (the writer's frames inside a large entry
 * are cut at the same places). lading.json lists, for an entry of n > 1
 * chunks, the n - 1 SHA-256 chaining values after each full chunk but the
 * last: the internal state of the entry's own sha256 at that point (SHA-256 is
 * Merkle-Damgard and a chunk is a whole number of 64-byte blocks). Chunk k is
 * verified by resuming sha256 from value k - 1 (the standard initial value for
 * k = 0), hashing its bytes and comparing with value k, or, for the last chunk,
 * finishing the hash and comparing with the entry's sha256. A full pass
 * therefore checks every chunk and the whole sha256 at the cost of one sha256.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/manifest.h"
#include "bundle/format/seektable.h"
#include "lib/err.h"

/* Chaining values an entry of size bytes lists (0 when it is one chunk). */
uint64_t bundle_chunk_count(uint64_t size);

struct bundle_chunker;

/* A streaming sha256 that checks (or records) chaining values; the caller frees it (bundle_chunker_free). */
struct bundle_chunker *bundle_chunker_new(void);
void bundle_chunker_free(struct bundle_chunker *c);

/*
 * Starts hashing e's data at byte from (a multiple of BUNDLE_CHUNK_SIZE,
 * resumed from e's chunk list when from > 0). record NULL: each chunk
 * boundary reached is checked against e->chunks (no check when e lists none);
 * else the chaining values are written to record
 * (bundle_chunk_count(e->size) * BUNDLE_CHUNK_HASH_LEN bytes) and from must be
 * 0. Fails when from is not a chunk boundary of e or e lists no values to
 * resume from.
 */
int bundle_chunker_start(struct bundle_chunker *c, const struct bundle_entry *e, uint64_t from, unsigned char *record,
			 struct lerr *err);

/*
 * Hashes len more bytes. Fails with LADING_ERR_SIGNATURE naming the entry and
 * the chunk index when a boundary's chaining value differs from e's list.
 * Bytes past the entry's size are hashed but never checked at a boundary.
 */
int bundle_chunker_update(struct bundle_chunker *c, const void *data, size_t len, struct lerr *err);

/* Finishes the hash of everything given since start (from 0: the entry's sha256). */
void bundle_chunker_final_hex(struct bundle_chunker *c, char hex[SHA256_HEX_LEN + 1]);

/*
 * What serving [offset, offset + len) of e's data needs, from the seek table
 * t of a format 2 bundle whose frame 0 is exactly the head (lading.json and
 * its signature), so e's offsets count from the end of frame 0.
 */
struct bundle_range_plan {
	uint64_t first_chunk, chunk_end; /* chunks [first_chunk, chunk_end) to hash and check */
	uint64_t tar_start, tar_end;	 /* those chunks' bytes in the decompressed tar */
	size_t first_frame, frame_end;	 /* frames [first_frame, frame_end) to decompress */
	uint64_t file_offset;		 /* where first_frame starts in the file */
	uint64_t frame_tar_start;	 /* where first_frame's content starts in the tar */
};

/*
 * Fills p (a pure function of its arguments). Fails with LADING_ERR_FORMAT
 * when e has no offsets (a v1 bundle or a format 2 one from an older lading),
 * len is 0, the range passes e's end, or t does not reach the chunks.
 */
int bundle_range_plan(const struct bundle_entry *e, const struct seektable *t, uint64_t offset, uint64_t len,
		      struct bundle_range_plan *p, struct lerr *err);

/* Receives verified bytes of a range, in order; non-zero stops the read. */
typedef int (*bundle_range_fn)(void *ctx, const void *data, size_t len, struct lerr *err);

/*
 * Reads [offset, offset + len) of e's data from the bundle open at fd (name
 * for messages) through its seek table t: decompresses only the frames the
 * range's chunks lie in, checks each chunk against e's chunk list (the last
 * against e's sha256) and hands out only bytes of chunks that matched. Memory:
 * one chunk and one zstd context. Fails naming the entry and chunk on a
 * mismatch, and on a damaged frame or short file.
 */
int bundle_range_read(int fd, const char *name, const struct seektable *t, const struct bundle_entry *e,
		      uint64_t offset, uint64_t len, bundle_range_fn out, void *ctx, struct lerr *err);

/* A zstd context and buffers for reading chunks, reused from one read to the next (about 2.3 MiB). */
struct bundle_chunk_reader;

struct bundle_chunk_reader *bundle_chunk_reader_new(void);
void bundle_chunk_reader_free(struct bundle_chunk_reader *cr);

/*
 * Reads chunk index of e's data (BUNDLE_CHUNK_SIZE bytes, or what is left at
 * the entry's end) into dst, which holds BUNDLE_CHUNK_SIZE bytes, and checks
 * it as bundle_range_read does; *len is its length. On failure dst holds
 * unverified bytes and *len is 0. For callers that keep verified chunks
 * (serve's cache) without a second 4 MiB buffer per read.
 */
int bundle_chunk_read(struct bundle_chunk_reader *cr, int fd, const char *name, const struct seektable *t,
		      const struct bundle_entry *e, uint64_t index, unsigned char *dst, size_t *len, struct lerr *err);

#endif
