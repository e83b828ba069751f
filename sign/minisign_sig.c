/* minisign signatures: BLAKE2b-512 prehashing, Ed25519 sign/verify, .minisig files (SPECS.md §5.1). */
#include "sign/minisign.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define SIG_BYTES 74 /* alg[2] ‖ key_id[8] ‖ sig[64] */
#define DEFAULT_UNTRUSTED "signature from lading secret key"

struct minisign_hash {
	EVP_MD_CTX *md;
};

struct minisign_hash *minisign_hash_new(void)
{
	struct minisign_hash *hash = xmalloc(sizeof(*hash));

	hash->md = EVP_MD_CTX_new();
	if (hash->md == NULL || EVP_DigestInit_ex(hash->md, EVP_blake2b512(), NULL) != 1) {
		fprintf(stderr, "lading: cannot initialise blake2b512\n");
		abort();
	}
	return hash;
}

void minisign_hash_update(struct minisign_hash *hash, const void *data, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(hash->md, data, len) != 1)
		abort();
}

void minisign_hash_final(struct minisign_hash *hash, uint8_t digest[MINISIGN_HASH_LEN])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(hash->md, digest, &len) != 1 || len != MINISIGN_HASH_LEN)
		abort();
}

void minisign_hash_free(struct minisign_hash *hash)
{
	if (hash == NULL)
		return;
	EVP_MD_CTX_free(hash->md);
	free(hash);
}

int minisign_hash_fd(int fd, const char *what, uint8_t digest[MINISIGN_HASH_LEN], struct lerr *err)
{
	struct minisign_hash *hash = minisign_hash_new();
	char *chunk = xmalloc(1 << 16);
	int r = -1;

	for (;;) {
		ssize_t got = read(fd, chunk, 1 << 16);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lerr_sys(err, "cannot read %s", what);
			goto out;
		}
		if (got == 0)
			break;
		minisign_hash_update(hash, chunk, (size_t)got);
	}
	minisign_hash_final(hash, digest);
	r = 0;
out:
	free(chunk);
	minisign_hash_free(hash);
	return r;
}

static int ed25519_sign(const struct minisign_seckey *sk, const void *msg, size_t len, uint8_t sig[64],
			struct lerr *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk->sk, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sig_len = MINISIGN_SIG_LEN;
	int r = -1;

	if (key == NULL || md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, len > 0 ? msg : (const void *)"", len) != 1 ||
	    sig_len != MINISIGN_SIG_LEN) {
		minisign_openssl_fail(err, "Ed25519 signing");
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return r;
}

/* 1 when sig is a valid Ed25519 signature of msg by pk, 0 when not, -1 on an OpenSSL failure. */
static int ed25519_verify(const struct minisign_pubkey *pk, const void *msg, size_t len, const uint8_t sig[64],
			  struct lerr *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk->pk, MINISIGN_PUBLIC_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -1;

	if (key == NULL || md == NULL || EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1) {
		minisign_openssl_fail(err, "Ed25519 verification");
		goto out;
	}
	r = EVP_DigestVerify(md, sig, MINISIGN_SIG_LEN, len > 0 ? msg : (const void *)"", len) == 1;
	ERR_clear_error();
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return r;
}

/* sig ‖ trusted comment: what the global signature covers. */
static uint8_t *global_message(const struct minisign_sig *sig, size_t *len)
{
	size_t comment_len = strlen(sig->trusted_comment);
	uint8_t *msg = xmalloc(MINISIGN_SIG_LEN + comment_len);

	memcpy(msg, sig->sig, MINISIGN_SIG_LEN);
	memcpy(msg + MINISIGN_SIG_LEN, sig->trusted_comment, comment_len);
	*len = MINISIGN_SIG_LEN + comment_len;
	return msg;
}

int minisign_sign_prehashed(struct minisign_sig *sig, const struct minisign_seckey *sk,
			    const uint8_t digest[MINISIGN_HASH_LEN], const char *trusted_comment,
			    const char *untrusted_comment, struct lerr *err)
{
	uint8_t *global = NULL;
	size_t global_len;
	int r = -1;

	memset(sig, 0, sizeof(*sig));
	if (minisign_comment_check(trusted_comment, strlen(trusted_comment), "the trusted comment", err) != 0)
		return -1;
	if (untrusted_comment != NULL &&
	    minisign_comment_check(untrusted_comment, strlen(untrusted_comment), "the untrusted comment", err) != 0)
		return -1;
	sig->prehashed = 1;
	memcpy(sig->key_id, sk->key_id, MINISIGN_KEY_ID_LEN);
	sig->trusted_comment = xstrdup(trusted_comment);
	sig->untrusted_comment = xstrdup(untrusted_comment != NULL ? untrusted_comment : DEFAULT_UNTRUSTED);
	if (ed25519_sign(sk, digest, MINISIGN_HASH_LEN, sig->sig, err) != 0)
		goto out;
	global = global_message(sig, &global_len);
	if (ed25519_sign(sk, global, global_len, sig->global_sig, err) != 0)
		goto out;
	r = 0;
out:
	free(global);
	if (r != 0)
		minisign_sig_free(sig);
	return r;
}

int minisign_sign_mem(struct minisign_sig *sig, const struct minisign_seckey *sk, const void *msg, size_t len,
		      const char *trusted_comment, const char *untrusted_comment, struct lerr *err)
{
	struct minisign_hash *hash = minisign_hash_new();
	uint8_t digest[MINISIGN_HASH_LEN];

	minisign_hash_update(hash, msg, len);
	minisign_hash_final(hash, digest);
	minisign_hash_free(hash);
	return minisign_sign_prehashed(sig, sk, digest, trusted_comment, untrusted_comment, err);
}

/* Reads "<prefix><text>" as line number want of a signature file into a new string. */
static int sig_comment_line(struct minisign_lines *lines, const char *prefix, const char *what, char **out,
			    struct lerr *err)
{
	const char *line;
	size_t len;
	size_t prefix_len = strlen(prefix);

	if (!minisign_lines_next(lines, &line, &len))
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%u: the '%.*s' line is missing (file truncated?)", what,
				lines->number + 1, (int)prefix_len - 2, prefix);
	if (len < prefix_len || memcmp(line, prefix, prefix_len) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%u: expected a line starting with '%.*s'", what,
				lines->number, (int)prefix_len - 1, prefix);
	if (minisign_comment_check(line + prefix_len, len - prefix_len, "the comment", err) != 0) {
		lerr_recode(err, LADING_ERR_FORMAT);
		return lerr_prefix(err, "%s:%u", what, lines->number);
	}
	*out = xstrndup(line + prefix_len, len - prefix_len);
	return 0;
}

static int sig_blob_line(struct minisign_lines *lines, uint8_t *out, size_t want, const char *what, const char *kind,
			 struct lerr *err)
{
	const char *line;
	size_t len;

	if (!minisign_lines_next(lines, &line, &len) || len == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%u: %s is missing (file truncated?)", what,
				lines->number + (len != 0), kind);
	return minisign_b64_decode(line, len, out, want, what, lines->number, kind, err);
}

int minisign_sig_parse(struct minisign_sig *sig, const char *text, size_t len, const char *what, struct lerr *err)
{
	struct minisign_lines lines;
	uint8_t raw[SIG_BYTES];
	const char *line;
	size_t line_len;

	memset(sig, 0, sizeof(*sig));
	minisign_lines_init(&lines, text, len);
	if (sig_comment_line(&lines, UNTRUSTED_PREFIX, what, &sig->untrusted_comment, err) != 0 ||
	    sig_blob_line(&lines, raw, sizeof(raw), what, "the signature", err) != 0)
		goto fail;
	if (memcmp(raw, "ED", 2) == 0) {
		sig->prehashed = 1;
	} else if (memcmp(raw, "Ed", 2) == 0) {
		sig->prehashed = 0;
	} else {
		lerr_set(err, LADING_ERR_FORMAT, "%s:2: unsupported signature algorithm (neither 'ED' nor 'Ed')", what);
		goto fail;
	}
	memcpy(sig->key_id, raw + 2, MINISIGN_KEY_ID_LEN);
	memcpy(sig->sig, raw + 2 + MINISIGN_KEY_ID_LEN, MINISIGN_SIG_LEN);
	if (sig_comment_line(&lines, TRUSTED_PREFIX, what, &sig->trusted_comment, err) != 0 ||
	    sig_blob_line(&lines, sig->global_sig, MINISIGN_SIG_LEN, what, "the trusted comment signature", err) != 0)
		goto fail;
	while (minisign_lines_next(&lines, &line, &line_len))
		if (line_len != 0) {
			lerr_set(err, LADING_ERR_FORMAT, "%s:%u: unexpected text after the signature", what,
				 lines.number);
			goto fail;
		}
	return 0;
fail:
	minisign_sig_free(sig);
	return -1;
}

int minisign_sig_load(struct minisign_sig *sig, const char *path, struct lerr *err)
{
	struct buf text = BUF_INIT(MINISIGN_FILE_MAX + 1024);
	char *what = xasprintf("'%s'", path);
	int r;

	memset(sig, 0, sizeof(*sig));
	r = fs_read_file(path, &text, err);
	if (r == 0)
		r = minisign_sig_parse(sig, text.data, text.len, what, err);
	buf_free(&text);
	free(what);
	return r;
}

char *minisign_sig_format(const struct minisign_sig *sig)
{
	uint8_t raw[SIG_BYTES];
	char *sig_b64;
	char *global_b64;
	char *text;

	memcpy(raw, sig->prehashed ? "ED" : "Ed", 2);
	memcpy(raw + 2, sig->key_id, MINISIGN_KEY_ID_LEN);
	memcpy(raw + 2 + MINISIGN_KEY_ID_LEN, sig->sig, MINISIGN_SIG_LEN);
	sig_b64 = minisign_b64_encode(raw, sizeof(raw));
	global_b64 = minisign_b64_encode(sig->global_sig, MINISIGN_SIG_LEN);
	text = xasprintf(UNTRUSTED_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", sig->untrusted_comment, sig_b64,
			 sig->trusted_comment, global_b64);
	free(sig_b64);
	free(global_b64);
	return text;
}

void minisign_sig_free(struct minisign_sig *sig)
{
	if (sig == NULL)
		return;
	free(sig->untrusted_comment);
	free(sig->trusted_comment);
	sig->untrusted_comment = NULL;
	sig->trusted_comment = NULL;
}

static int check_key_id(const struct minisign_pubkey *pk, const struct minisign_sig *sig, const char *what,
			struct lerr *err)
{
	char sig_id[MINISIGN_KEY_ID_HEX];
	char pk_id[MINISIGN_KEY_ID_HEX];

	if (memcmp(pk->key_id, sig->key_id, MINISIGN_KEY_ID_LEN) == 0)
		return 0;
	minisign_key_id_hex(sig->key_id, sig_id);
	minisign_key_id_hex(pk->key_id, pk_id);
	return lerr_set(err, LADING_ERR_SIGNATURE, "%s: signed by key %s, but the public key is %s", what, sig_id,
			pk_id);
}

/* Checks sig->sig over msg, then the global signature over the trusted comment. */
static int verify_both(const struct minisign_pubkey *pk, const struct minisign_sig *sig, const void *msg, size_t len,
		       const char *what, struct lerr *err)
{
	uint8_t *global;
	size_t global_len;
	int ok;

	if ((ok = ed25519_verify(pk, msg, len, sig->sig, err)) < 0)
		return -1;
	if (!ok)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: signature verification failed (the data changed after signing, or this is "
				"the signature of other data)",
				what);
	global = global_message(sig, &global_len);
	ok = ed25519_verify(pk, global, global_len, sig->global_sig, err);
	free(global);
	if (ok < 0)
		return -1;
	if (!ok)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: trusted comment signature verification failed (the trusted comment was edited)",
				what);
	return 0;
}

int minisign_verify_mem(const struct minisign_pubkey *pk, const struct minisign_sig *sig, const void *msg, size_t len,
			const char *what, struct lerr *err)
{
	uint8_t digest[MINISIGN_HASH_LEN];
	struct minisign_hash *hash;

	if (check_key_id(pk, sig, what, err) != 0)
		return -1;
	if (!sig->prehashed)
		return verify_both(pk, sig, msg, len, what, err);
	hash = minisign_hash_new();
	minisign_hash_update(hash, msg, len);
	minisign_hash_final(hash, digest);
	minisign_hash_free(hash);
	return verify_both(pk, sig, digest, sizeof(digest), what, err);
}

int minisign_verify_prehashed(const struct minisign_pubkey *pk, const struct minisign_sig *sig,
			      const uint8_t digest[MINISIGN_HASH_LEN], const char *what, struct lerr *err)
{
	if (check_key_id(pk, sig, what, err) != 0)
		return -1;
	if (!sig->prehashed)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: legacy 'Ed' signature over a streamed file is not supported (sign with "
				"minisign -S, which prehashes)",
				what);
	return verify_both(pk, sig, digest, MINISIGN_HASH_LEN, what, err);
}
