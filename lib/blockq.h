#ifndef LADING_LIB_BLOCKQ_H
#define LADING_LIB_BLOCKQ_H

/*
 * A bounded queue of fixed-size buffers between one producer thread and one
 * consumer thread (bundle reading: zstd decompresses ahead while the tar is
 * parsed and hashed). The buffers are made once, so memory is count * size
 * however long the stream is. The producer takes an empty buffer, fills it
 * and pushes it; the consumer pops full buffers in order and gives each back
 * when done with it (it may hold several at once).
 *
 * Ending, both ways: the producer ends the stream with blockq_finish, with an
 * error or without; the consumer pops what was pushed before it, then the
 * end. The consumer stops early with blockq_cancel: the producer's next (or
 * current) wait for an empty buffer returns NULL, and it should finish and
 * return. No call waits forever once the other side has finished or
 * cancelled.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct blockq;

struct blockq_block {
	unsigned char *data; /* size bytes, owned by the queue */
	size_t size;
	size_t len;	 /* bytes filled, set by the producer */
	uint64_t offset; /* the producer's to set: where the block starts in its stream */
};

/* Makes count buffers of size bytes (count >= 1); *out is the caller's (blockq_free). Fails when a lock cannot be made.
 */
int blockq_new(struct blockq **out, size_t count, size_t size, struct lerr *err);

/* Producer: waits for an empty buffer (len 0); NULL once the consumer cancelled. */
struct blockq_block *blockq_acquire(struct blockq *q);

/* Producer: hands a buffer taken with blockq_acquire to the consumer; never waits. */
void blockq_push(struct blockq *q, struct blockq_block *block);

/* Producer: no more blocks; err (copied) is the reason the stream stopped, NULL for a clean end. */
void blockq_finish(struct blockq *q, const struct lerr *err);

/*
 * Consumer: waits for the next full block: 1 with *block set (give it back
 * with blockq_release), 0 at a clean end, -1 with the producer's error. The
 * end is reported only after every block pushed before it.
 */
int blockq_pop(struct blockq *q, struct blockq_block **block, struct lerr *err);

/* Gives back a buffer: the consumer one it is done with, or the producer one it took and did not fill. */
void blockq_release(struct blockq *q, struct blockq_block *block);

/* Consumer: stops the producer (see above); blocks already pushed can still be popped. */
void blockq_cancel(struct blockq *q);

/* Frees q and its buffers; both sides must be done with it (the producer thread joined). Accepts NULL. */
void blockq_free(struct blockq *q);

#endif
