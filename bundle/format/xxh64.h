#ifndef LADING_BUNDLE_FORMAT_XXH64_H
#define LADING_BUNDLE_FORMAT_XXH64_H

/*
 * XXH64 (xxHash spec, seed 0 here), streaming: the seek table's per-frame
 * checksum is its low 32 bits (SPECS §6.2). Written from the xxHash
 * specification because libzstd keeps its copy private and Debian's
 * libxxhash-dev is not installed everywhere lading builds.
 */
#include <stddef.h>
#include <stdint.h>

struct xxh64 {
	uint64_t acc[4];
	unsigned char stripe[32];
	size_t stripe_len;
	uint64_t total;
	uint64_t seed;
};

void xxh64_init(struct xxh64 *h, uint64_t seed);
void xxh64_update(struct xxh64 *h, const void *data, size_t len);
/* The digest of everything given so far; h may be updated further. */
uint64_t xxh64_digest(const struct xxh64 *h);

#endif
