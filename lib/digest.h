#ifndef LADING_DIGEST_H
#define LADING_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STR_MAX 72

/* A streaming sha256; opaque so OpenSSL stays out of callers' headers. */
struct sha256_ctx;

/* Returns a new context (caller frees with sha256_free). */
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the lowercase hex digest (65 bytes incl. NUL) and resets ctx for reuse. */
void sha256_final_hex(struct sha256_ctx *ctx, char hex[SHA256_HEX_LEN + 1]);
void sha256_free(struct sha256_ctx *ctx);

/* One-shot sha256 of memory into lowercase hex. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

/* sha256 of a file read in bounded chunks; fills hex and (if not NULL) size. */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err);

/* The same from fd's current offset to its end; what names it in messages. */
int sha256_fd(int fd, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err);

/* True when s is exactly "sha256:" followed by 64 lowercase hex digits. */
int digest_is_sha256(const char *s);

/* True when s is 64 lowercase hex digits. */
int hex_is_sha256(const char *s);

#endif
