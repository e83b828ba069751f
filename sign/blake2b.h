#ifndef LADING_SIGN_BLAKE2B_H
#define LADING_SIGN_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>

/*
 * Unkeyed BLAKE2b (RFC 7693) with a chosen digest length. Only minisign's
 * secret-key checksum needs it: that is BLAKE2b-256, which is not a truncated
 * BLAKE2b-512, and OpenSSL 3.0 can neither set the digest length nor run
 * BLAKE2BMAC without a key. Everything else uses OpenSSL's EVP_blake2b512.
 */
struct blake2b_ctx {
	uint64_t h[8];
	uint64_t t[2];
	uint8_t block[128];
	size_t fill;
	size_t outlen;
};

/* Starts a hash of outlen bytes (1..64); returns -1 for any other length. */
int blake2b_init(struct blake2b_ctx *ctx, size_t outlen);
void blake2b_update(struct blake2b_ctx *ctx, const void *data, size_t len);
/* Writes ctx->outlen bytes to out and wipes ctx. */
void blake2b_final(struct blake2b_ctx *ctx, uint8_t *out);

#endif
