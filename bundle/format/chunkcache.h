#ifndef LADING_BUNDLE_FORMAT_CHUNKCACHE_H
#define LADING_BUNDLE_FORMAT_CHUNKCACHE_H

/*
 * A bounded cache of verified chunks of a bundle file (issue 16: serve keeps
 * "a small, bounded cache of decompressed frames"). Serving from the file
 * answers each request through many short reads (libmicrohttpd asks for at
 * most a few hundred KiB at a time), and a chunk is only trusted once all of
 * its 4 MiB were hashed, so something must hold verified chunks between those
 * reads. Holding one per download made memory grow with the number of
 * clients (about 10 MiB each); here every download shares slots chunks and
 * readers zstd contexts, whatever the number of clients:
 * slots * 4 MiB + readers * about 2.3 MiB in all.
 *
 * A reference pins its chunk only while the caller copies out of it; a chunk
 * nobody pins may be dropped for another (least recently used first). When
 * every slot is pinned or being loaded, or every reader is busy, get waits:
 * the waits are as short as a copy or one chunk's decompression, and no
 * caller ever holds two references, so they always end.
 *
 * Thread-safe: one mutex; chunks are decompressed and hashed outside it.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/chunks.h"
#include "bundle/format/manifest.h"
#include "bundle/format/seektable.h"
#include "lib/err.h"

struct chunk_cache;

/* A verified chunk, pinned until chunk_cache_put. */
struct chunk_ref {
	const unsigned char *data;
	size_t len;
	uint64_t start; /* the entry's byte data[0] is */
	void *slot;
};

struct chunk_cache_stats {
	uint64_t hits, loads, waits;
};

/* slots (at least 1) chunks of BUNDLE_CHUNK_SIZE, allocated as first used; readers (at least 1) zstd contexts. */
struct chunk_cache *chunk_cache_new(size_t slots, size_t readers);
void chunk_cache_free(struct chunk_cache *c);

/*
 * Pins chunk index of e, reading it from fd (name in messages) through t and
 * checking it (bundle_chunk_read) when it is not cached. Fails as
 * bundle_chunk_read does, and then nothing is pinned or kept.
 */
int chunk_cache_get(struct chunk_cache *c, int fd, const char *name, const struct seektable *t,
		    const struct bundle_entry *e, uint64_t index, struct chunk_ref *ref, struct lerr *err);

/* Unpins ref (accepts one that get failed to fill). */
void chunk_cache_put(struct chunk_cache *c, struct chunk_ref *ref);

/* Whether ref was pinned from c. */
int chunk_cache_owns(const struct chunk_cache *c, const struct chunk_ref *ref);

void chunk_cache_stats(struct chunk_cache *c, struct chunk_cache_stats *out);

#endif
