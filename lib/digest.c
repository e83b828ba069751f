#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "xmalloc.h"

struct sha256_ctx {
	EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
	struct sha256_ctx *ctx = xmalloc(sizeof(*ctx));

	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "lading: cannot initialise sha256\n");
		abort();
	}
	return ctx;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(ctx->md, data, len) != 1)
		abort();
}

void sha256_final_hex(struct sha256_ctx *ctx, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[32];
	unsigned int len = 0;
	unsigned int i;

	if (EVP_DigestFinal_ex(ctx->md, raw, &len) != 1 || len != 32)
		abort();
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[64] = '\0';
	if (EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1)
		abort();
}

void sha256_free(struct sha256_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx *ctx = sha256_new();

	sha256_update(ctx, data, len);
	sha256_final_hex(ctx, hex);
	sha256_free(ctx);
}

int sha256_fd(int fd, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err)
{
	struct sha256_ctx *ctx = sha256_new();
	char *chunk = xmalloc(1 << 16);
	uint64_t total = 0;
	ssize_t got;
	int r = -1;

	for (;;) {
		if ((got = fs_read_some(fd, chunk, 1 << 16, what, err)) < 0)
			goto out;
		if (got == 0)
			break;
		sha256_update(ctx, chunk, (size_t)got);
		total += (uint64_t)got;
	}
	sha256_final_hex(ctx, hex);
	if (size != NULL)
		*size = total;
	r = 0;
out:
	free(chunk);
	sha256_free(ctx);
	return r;
}

int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open '%s'", path);
	r = sha256_fd(fd, path, hex, size, err);
	close(fd);
	return r;
}

int hex_is_sha256(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[SHA256_HEX_LEN] == '\0';
}

int digest_is_sha256(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && hex_is_sha256(s + 7);
}
