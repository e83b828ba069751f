#ifndef LADING_SIGN_MINISIGN_H
#define LADING_SIGN_MINISIGN_H

/*
 * sign/: signatures, in their own folder so "where are signatures checked" has
 * one answer. Owns minisign-compatible keys and signatures (this file), the
 * BLAKE2b minisign's key checksum needs, key passwords (keypass), the trust
 * set (trust), what a bundle's signature says and binds (signature), and
 * `lading key` (cmd_key). Knows nothing of tarballs: bundle/ and serve/ call it.
 * May include: lib/
 */

/*
 * minisign keys and signatures (SPECS.md §5.1) on OpenSSL 3 alone: Ed25519,
 * BLAKE2b-512 prehashing and scrypt. Files written here are read by minisign
 * 0.11+ and files minisign writes are read here. Secrets are wiped with
 * OPENSSL_cleanse; every parse error names the file and the line.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

#define MINISIGN_KEY_ID_LEN 8
#define MINISIGN_PUBLIC_LEN 32
#define MINISIGN_SECRET_LEN 64 /* seed[32] ‖ public[32], libsodium's layout */
#define MINISIGN_SIG_LEN 64
#define MINISIGN_HASH_LEN 64	  /* BLAKE2b-512, what "ED" signatures sign */
#define MINISIGN_KEY_ID_HEX 17	  /* 16 hex digits + NUL */
#define MINISIGN_COMMENT_MAX 8191 /* bytes of a trusted comment, as minisign allows */
#define MINISIGN_FILE_MAX 16384	  /* cap when reading a key or signature file */
#define MINISIGN_PASSWORD_MAX 1024

/* The libsodium defaults minisign -G uses: scrypt N=2^20, r=8, p=1 (1 GiB, ~4 s). */
#define MINISIGN_OPSLIMIT_DEFAULT 33554432ULL
#define MINISIGN_MEMLIMIT_DEFAULT 1073741824ULL

/*
 * What a key is for, from "purpose:bundle" or "purpose:release" in its file's untrusted
 * comment (lading key generate --purpose). The comment is not signed, but a key file is
 * trusted as a whole: whoever can edit it can replace the key. Keys made elsewhere have none.
 */
enum minisign_purpose {
	MINISIGN_PURPOSE_ANY = 0, /* no purpose written: minisign -G keys, older lading keys */
	MINISIGN_PURPOSE_BUNDLE,  /* signs bundles (lading bundle sign, create --sign) */
	MINISIGN_PURPOSE_RELEASE, /* signs released binaries (lading key sign); never a bundle */
};

/* "bundle", "release" or "any". */
const char *minisign_purpose_name(int purpose);
/* The purpose a key file's comment line names. */
int minisign_purpose_from_comment(const char *comment, size_t len);

struct minisign_pubkey {
	uint8_t key_id[MINISIGN_KEY_ID_LEN];
	uint8_t pk[MINISIGN_PUBLIC_LEN];
	int purpose; /* enum minisign_purpose */
};

struct minisign_seckey {
	uint8_t key_id[MINISIGN_KEY_ID_LEN];
	uint8_t sk[MINISIGN_SECRET_LEN];
	int purpose; /* enum minisign_purpose */
};

struct minisign_sig {
	int prehashed; /* 1: "ED", Ed25519 over BLAKE2b-512(message); 0: legacy "Ed" over the message */
	uint8_t key_id[MINISIGN_KEY_ID_LEN];
	uint8_t sig[MINISIGN_SIG_LEN];
	char *untrusted_comment; /* text after "untrusted comment: "; not authenticated */
	char *trusted_comment;	 /* text after "trusted comment: "; covered by global_sig */
	uint8_t global_sig[MINISIGN_SIG_LEN];
};

/* ---- text helpers (minisign_text.c) ---- */

/* The key id as minisign prints it: %016llX of the 8 bytes read as a little-endian u64. */
void minisign_key_id_hex(const uint8_t key_id[MINISIGN_KEY_ID_LEN], char out[MINISIGN_KEY_ID_HEX]);

/* Reads lines of a text file in memory; a trailing "\r\n" or "\n" is stripped. */
struct minisign_lines {
	const char *pos;
	size_t left;
	unsigned number; /* of the line last returned, from 1 */
};
void minisign_lines_init(struct minisign_lines *lines, const char *text, size_t len);
/* Returns 1 and the next line (not NUL-terminated) or 0 at the end of the text. */
int minisign_lines_next(struct minisign_lines *lines, const char **line, size_t *len);

/*
 * Strict base64 (standard alphabet, '=' padding, no whitespace) of exactly want bytes.
 * Fails with LADING_ERR_FORMAT "<what>:<line>: <kind> is not valid base64 ..." otherwise.
 */
int minisign_b64_decode(const char *text, size_t len, uint8_t *out, size_t want, const char *what, unsigned line,
			const char *kind, struct lerr *err);
/* Returns the base64 of data (caller frees; wipe it first when data is secret). */
char *minisign_b64_encode(const uint8_t *data, size_t len);

/* Fills err with "WHAT failed in OpenSSL: <first queued error>", clears OpenSSL's queue; returns -1. */
int minisign_openssl_fail(struct lerr *err, const char *what);

/* 0 when comment is valid UTF-8, has no control character but tab and is short enough. */
int minisign_comment_check(const char *comment, size_t len, const char *kind, struct lerr *err);

/* ---- keys (minisign_key.c) ---- */

/* Parses a public key file's text ("untrusted comment: ..." then the base64 line); what names it. */
int minisign_pubkey_parse(struct minisign_pubkey *pk, const char *text, size_t len, const char *what, struct lerr *err);
/* Reads and parses a public key file. */
int minisign_pubkey_load(struct minisign_pubkey *pk, const char *path, struct lerr *err);
/* Returns the two-line public key file text (caller frees); comment NULL = "minisign public key". */
char *minisign_pubkey_format(const struct minisign_pubkey *pk, const char *comment);

/*
 * Asked for the password of an encrypted secret key: writes a NUL-terminated password of
 * at most size-1 bytes into buf and returns 0, or fills err and returns -1.
 */
typedef int (*minisign_password_fn)(void *ctx, const char *what, char *buf, size_t size, struct lerr *err);

/*
 * Parses a secret key file's text. An encrypted ("Sc") key calls get_password, derives the
 * scrypt stream, decrypts and checks the BLAKE2b-256 checksum in constant time: a mismatch
 * is "wrong password" (LADING_ERR_AUTH). Unencrypted keys ("\0\0") need no password. Both
 * must hold a public half that matches the seed. The caller wipes sk (minisign_seckey_wipe).
 */
int minisign_seckey_parse(struct minisign_seckey *sk, const char *text, size_t len, const char *what,
			  minisign_password_fn get_password, void *ctx, struct lerr *err);
/* Reads (wiping the file's text afterwards) and parses a secret key file. */
int minisign_seckey_load(struct minisign_seckey *sk, const char *path, minisign_password_fn get_password, void *ctx,
			 struct lerr *err);
/*
 * Returns the two-line secret key file text (caller wipes and frees): encrypted with
 * password under scrypt(opslimit, memlimit), or unencrypted when password is NULL.
 * comment NULL = "minisign encrypted secret key" (what minisign writes). Fails only in OpenSSL.
 */
char *minisign_seckey_format(const struct minisign_seckey *sk, const char *password, uint64_t opslimit,
			     uint64_t memlimit, const char *comment, struct lerr *err);
/* A new random key pair (OpenSSL's RAND_bytes and Ed25519). */
int minisign_keypair_generate(struct minisign_seckey *sk, struct minisign_pubkey *pk, struct lerr *err);
/* The public key of a secret key. */
void minisign_seckey_public(const struct minisign_seckey *sk, struct minisign_pubkey *pk);
/* Wipes sk with OPENSSL_cleanse. */
void minisign_seckey_wipe(struct minisign_seckey *sk);

/* libsodium's scryptsalsa208sha256 choice of N, r, p for opslimit/memlimit; -1 when p would be 0. */
int minisign_scrypt_params(uint64_t opslimit, uint64_t memlimit, uint64_t *n, uint32_t *r, uint32_t *p);

/*
 * Creates a key file with mode exactly mode: O_CREAT|O_EXCL|O_NOFOLLOW, so an existing file
 * or symlink is refused; with force an existing file is replaced atomically (temp + rename).
 */
int minisign_key_file_write(const char *path, const char *text, mode_t mode, int force, struct lerr *err);

/* ---- signatures (minisign_sig.c) ---- */

/* A streaming BLAKE2b-512 of a message, for "ED" signatures over big files. */
struct minisign_hash;
/* Returns a new hash (caller frees with minisign_hash_free). */
struct minisign_hash *minisign_hash_new(void);
void minisign_hash_update(struct minisign_hash *hash, const void *data, size_t len);
/* Writes the digest; the hash may not be updated afterwards. */
void minisign_hash_final(struct minisign_hash *hash, uint8_t digest[MINISIGN_HASH_LEN]);
void minisign_hash_free(struct minisign_hash *hash);
/* Hashes everything readable from fd in bounded chunks; what names it in errors. */
int minisign_hash_fd(int fd, const char *what, uint8_t digest[MINISIGN_HASH_LEN], struct lerr *err);

/*
 * Signs a BLAKE2b-512 digest as an "ED" signature with the trusted comment (checked with
 * minisign_comment_check) and its global signature. untrusted_comment NULL = minisign's
 * default. Fills sig (free with minisign_sig_free).
 */
int minisign_sign_prehashed(struct minisign_sig *sig, const struct minisign_seckey *sk,
			    const uint8_t digest[MINISIGN_HASH_LEN], const char *trusted_comment,
			    const char *untrusted_comment, struct lerr *err);
/* Signs a message in memory ("ED"). */
int minisign_sign_mem(struct minisign_sig *sig, const struct minisign_seckey *sk, const void *msg, size_t len,
		      const char *trusted_comment, const char *untrusted_comment, struct lerr *err);

/* Parses a .minisig file's four lines; what names it. Free with minisign_sig_free. */
int minisign_sig_parse(struct minisign_sig *sig, const char *text, size_t len, const char *what, struct lerr *err);
/* Reads and parses a .minisig file. */
int minisign_sig_load(struct minisign_sig *sig, const char *path, struct lerr *err);
/* Returns the .minisig text (caller frees). */
char *minisign_sig_format(const struct minisign_sig *sig);
/* Frees the comments; accepts a zeroed or already freed sig. */
void minisign_sig_free(struct minisign_sig *sig);

/*
 * Verifies sig over a message in memory: the key id must be pk's (else LADING_ERR_SIGNATURE
 * naming both ids), then the signature ("Ed" over msg or "ED" over its BLAKE2b-512), then
 * always the global signature over the trusted comment. what names the signature.
 */
int minisign_verify_mem(const struct minisign_pubkey *pk, const struct minisign_sig *sig, const void *msg, size_t len,
			const char *what, struct lerr *err);
/* Same for a streamed BLAKE2b-512 digest: only "ED" signatures (a legacy "Ed" one is refused). */
int minisign_verify_prehashed(const struct minisign_pubkey *pk, const struct minisign_sig *sig,
			      const uint8_t digest[MINISIGN_HASH_LEN], const char *what, struct lerr *err);

#endif
