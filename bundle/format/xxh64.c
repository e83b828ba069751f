/* XXH64 as the xxHash specification (doc/xxhash_spec.md, "XXH64 Algorithm Description") defines it. */
#include <string.h>

#include "bundle/format/xxh64.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Lanes are little-endian (the spec); memcpy is one load where the host is too. */
static uint64_t read64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint32_t read32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static uint64_t round64(uint64_t acc, uint64_t lane)
{
	acc += lane * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}

static uint64_t merge(uint64_t acc, uint64_t lane_acc)
{
	acc ^= round64(0, lane_acc);
	return acc * P1 + P4;
}

static void stripe(struct xxh64 *h, const unsigned char *p)
{
	h->acc[0] = round64(h->acc[0], read64(p));
	h->acc[1] = round64(h->acc[1], read64(p + 8));
	h->acc[2] = round64(h->acc[2], read64(p + 16));
	h->acc[3] = round64(h->acc[3], read64(p + 24));
}

void xxh64_init(struct xxh64 *h, uint64_t seed)
{
	memset(h, 0, sizeof(*h));
	h->seed = seed;
	h->acc[0] = seed + P1 + P2;
	h->acc[1] = seed + P2;
	h->acc[2] = seed;
	h->acc[3] = seed - P1;
}

void xxh64_update(struct xxh64 *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	h->total += len;
	if (h->stripe_len > 0) {
		size_t take = sizeof(h->stripe) - h->stripe_len;

		if (take > len)
			take = len;
		memcpy(h->stripe + h->stripe_len, p, take);
		h->stripe_len += take;
		p += take;
		len -= take;
		if (h->stripe_len < sizeof(h->stripe))
			return;
		stripe(h, h->stripe);
		h->stripe_len = 0;
	}
	for (; len >= 32; p += 32, len -= 32)
		stripe(h, p);
	memcpy(h->stripe, p, len);
	h->stripe_len = len;
}

uint64_t xxh64_digest(const struct xxh64 *h)
{
	const unsigned char *p = h->stripe;
	size_t left = h->stripe_len;
	uint64_t acc;

	if (h->total >= 32) {
		acc = rotl(h->acc[0], 1) + rotl(h->acc[1], 7) + rotl(h->acc[2], 12) + rotl(h->acc[3], 18);
		acc = merge(acc, h->acc[0]);
		acc = merge(acc, h->acc[1]);
		acc = merge(acc, h->acc[2]);
		acc = merge(acc, h->acc[3]);
	} else {
		acc = h->seed + P5;
	}
	acc += h->total;
	for (; left >= 8; p += 8, left -= 8)
		acc = rotl(acc ^ round64(0, read64(p)), 27) * P1 + P4;
	if (left >= 4) {
		acc = rotl(acc ^ (uint64_t)read32(p) * P1, 23) * P2 + P3;
		p += 4;
		left -= 4;
	}
	for (; left > 0; p++, left--)
		acc = rotl(acc ^ (uint64_t)*p * P5, 11) * P1;
	acc ^= acc >> 33;
	acc *= P2;
	acc ^= acc >> 29;
	acc *= P3;
	acc ^= acc >> 32;
	return acc;
}
