/* minisign public and secret key files (SPECS.md §5.1). */
#include "sign/minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign/blake2b.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define COMMENT_PREFIX "untrusted comment: "
#define PUBKEY_BYTES 42	 /* "Ed" ‖ key_id ‖ pk */
#define SECKEY_BYTES 158 /* "Ed" ‖ kdf ‖ "B2" ‖ salt ‖ ops ‖ mem ‖ {key_id ‖ sk ‖ chk} */
#define SALT_LEN 32
#define CHK_LEN 32
#define SEALED_OFFSET 54 /* start of {key_id ‖ sk ‖ chk} */
#define SEALED_LEN (MINISIGN_KEY_ID_LEN + MINISIGN_SECRET_LEN + CHK_LEN)
/* A key file may not make us spend more than twice minisign's default memory or work. */
#define SCRYPT_MEM_MAX (2ULL << 30)
#define SCRYPT_WORK_MAX (1ULL << 22)

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void le64_store(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

const char *minisign_purpose_name(int purpose)
{
	return purpose == MINISIGN_PURPOSE_BUNDLE ? "bundle" : purpose == MINISIGN_PURPOSE_RELEASE ? "release" : "any";
}

int minisign_purpose_from_comment(const char *comment, size_t len)
{
	static const char token[] = "purpose:";
	size_t i, n = strlen(token);

	for (i = 0; i + n <= len; i++) {
		const char *word = comment + i + n;
		size_t left = len - i - n;

		if ((i > 0 && comment[i - 1] != ' ') || memcmp(comment + i, token, n) != 0)
			continue;
		if (left >= 6 && memcmp(word, "bundle", 6) == 0 && (left == 6 || word[6] == ' '))
			return MINISIGN_PURPOSE_BUNDLE;
		if (left >= 7 && memcmp(word, "release", 7) == 0 && (left == 7 || word[7] == ' '))
			return MINISIGN_PURPOSE_RELEASE;
	}
	return MINISIGN_PURPOSE_ANY;
}

/* Reads line 1 (the untrusted comment, its purpose into *purpose) and line 2 (the base64 blob) of a key file. */
static int key_lines(const char *text, size_t len, const char *what, const char *kind, const char **b64,
		     size_t *b64_len, int *purpose, struct lerr *err)
{
	struct minisign_lines lines;
	const char *line;
	size_t line_len;

	minisign_lines_init(&lines, text, len);
	if (!minisign_lines_next(&lines, &line, &line_len) || line_len < strlen(COMMENT_PREFIX) ||
	    memcmp(line, COMMENT_PREFIX, strlen(COMMENT_PREFIX)) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:1: not a minisign %s (no 'untrusted comment:' line)", what,
				kind);
	*purpose = minisign_purpose_from_comment(line + strlen(COMMENT_PREFIX), line_len - strlen(COMMENT_PREFIX));
	if (!minisign_lines_next(&lines, b64, b64_len) || *b64_len == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:2: the %s is missing (file truncated?)", what, kind);
	return 0;
}

int minisign_pubkey_parse(struct minisign_pubkey *pk, const char *text, size_t len, const char *what, struct lerr *err)
{
	uint8_t raw[PUBKEY_BYTES];
	const char *b64;
	size_t b64_len;

	if (key_lines(text, len, what, "public key", &b64, &b64_len, &pk->purpose, err) != 0)
		return -1;
	if (minisign_b64_decode(b64, b64_len, raw, sizeof(raw), what, 2, "the public key", err) != 0)
		return -1;
	if (memcmp(raw, "Ed", 2) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:2: unsupported public key algorithm (not Ed25519 'Ed')",
				what);
	memcpy(pk->key_id, raw + 2, MINISIGN_KEY_ID_LEN);
	memcpy(pk->pk, raw + 2 + MINISIGN_KEY_ID_LEN, MINISIGN_PUBLIC_LEN);
	return 0;
}

int minisign_pubkey_load(struct minisign_pubkey *pk, const char *path, struct lerr *err)
{
	struct buf text = BUF_INIT(MINISIGN_FILE_MAX);
	char *what = xasprintf("'%s'", path);
	int r;

	r = fs_read_file(path, &text, err);
	if (r == 0)
		r = minisign_pubkey_parse(pk, text.data, text.len, what, err);
	buf_free(&text);
	free(what);
	return r;
}

char *minisign_pubkey_format(const struct minisign_pubkey *pk, const char *comment)
{
	uint8_t raw[PUBKEY_BYTES];
	char id[MINISIGN_KEY_ID_HEX];
	char *b64;
	char *text;

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->key_id, MINISIGN_KEY_ID_LEN);
	memcpy(raw + 2 + MINISIGN_KEY_ID_LEN, pk->pk, MINISIGN_PUBLIC_LEN);
	b64 = minisign_b64_encode(raw, sizeof(raw));
	minisign_key_id_hex(pk->key_id, id);
	/* The key id stays the last word, where minisign puts it and scripts look for it. */
	text = xasprintf(COMMENT_PREFIX "%s%s%s %s\n%s\n", comment != NULL ? comment : "minisign public key",
			 pk->purpose != MINISIGN_PURPOSE_ANY ? " purpose:" : "",
			 pk->purpose != MINISIGN_PURPOSE_ANY ? minisign_purpose_name(pk->purpose) : "", id, b64);
	free(b64);
	return text;
}

int minisign_scrypt_params(uint64_t opslimit, uint64_t memlimit, uint64_t *n, uint32_t *r, uint32_t *p)
{
	uint64_t max_n;
	unsigned n_log2;

	/* libsodium crypto_pwhash/scryptsalsa208sha256/pwhash_scryptsalsa208sha256.c pickparams(). */
	if (opslimit < 32768)
		opslimit = 32768;
	*r = 8;
	max_n = opslimit < memlimit / 32 ? opslimit / (*r * 4) : memlimit / (*r * 128);
	for (n_log2 = 1; n_log2 < 63; n_log2++)
		if ((1ULL << n_log2) > max_n / 2)
			break;
	if (opslimit < memlimit / 32) {
		*p = 1;
	} else {
		uint64_t max_rp = (opslimit / 4) / (1ULL << n_log2);

		if (max_rp > 0x3fffffff)
			max_rp = 0x3fffffff;
		*p = (uint32_t)max_rp / *r;
	}
	*n = 1ULL << n_log2;
	return *p == 0 ? -1 : 0;
}

/* The 104-byte scrypt stream that encrypts {key_id ‖ sk ‖ chk}. */
static int seckey_stream(uint8_t stream[SEALED_LEN], const char *password, const uint8_t salt[SALT_LEN],
			 uint64_t opslimit, uint64_t memlimit, const char *what, struct lerr *err)
{
	uint64_t n;
	uint32_t r;
	uint32_t p;
	uint64_t need;

	if (minisign_scrypt_params(opslimit, memlimit, &n, &r, &p) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: invalid scrypt limits (opslimit %llu, memlimit %llu)",
				what, (unsigned long long)opslimit, (unsigned long long)memlimit);
	need = 128ULL * r * (n + 2) + 128ULL * r * p;
	if (need > SCRYPT_MEM_MAX || n * p > SCRYPT_WORK_MAX)
		return lerr_set(err, LADING_ERR_LIMIT,
				"%s: scrypt parameters N=%llu r=%u p=%u are too expensive; refusing this key", what,
				(unsigned long long)n, r, p);
	if (EVP_PBE_scrypt(password, strlen(password), salt, SALT_LEN, n, r, p, need + (1 << 20), stream, SEALED_LEN) !=
	    1)
		return minisign_openssl_fail(err, "scrypt");
	return 0;
}

/* chk = BLAKE2b-256("Ed" ‖ key_id ‖ sk). */
static void seckey_checksum(const struct minisign_seckey *sk, uint8_t chk[CHK_LEN])
{
	struct blake2b_ctx ctx;

	if (blake2b_init(&ctx, CHK_LEN) != 0)
		abort();
	blake2b_update(&ctx, "Ed", 2);
	blake2b_update(&ctx, sk->key_id, MINISIGN_KEY_ID_LEN);
	blake2b_update(&ctx, sk->sk, MINISIGN_SECRET_LEN);
	blake2b_final(&ctx, chk);
}

/* Derives the public key from the seed and compares it with the stored half. */
static int seckey_consistent(const struct minisign_seckey *sk, const char *what, struct lerr *err)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk->sk, 32);
	uint8_t pub[MINISIGN_PUBLIC_LEN];
	size_t pub_len = sizeof(pub);
	int r = -1;

	if (key == NULL || EVP_PKEY_get_raw_public_key(key, pub, &pub_len) != 1) {
		minisign_openssl_fail(err, "Ed25519 key");
		goto out;
	}
	if (pub_len != sizeof(pub) || CRYPTO_memcmp(pub, sk->sk + 32, sizeof(pub)) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:2: the secret key is damaged (its public half does not match)",
			 what);
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_free(key);
	return r;
}

static int seckey_unseal(uint8_t raw[SECKEY_BYTES], const char *what, minisign_password_fn get_password, void *ctx,
			 int *checked, struct lerr *err)
{
	char password[MINISIGN_PASSWORD_MAX];
	uint8_t stream[SEALED_LEN];
	size_t i;
	int r = -1;

	*checked = 1;
	if (memcmp(raw + 2, "\0\0", 2) == 0) {
		/* minisign -W leaves the checksum zeroed and never checks it. */
		for (i = 0; i < CHK_LEN; i++)
			if (raw[SECKEY_BYTES - CHK_LEN + i] != 0)
				return 0;
		*checked = 0;
		return 0;
	}
	if (memcmp(raw + 2, "Sc", 2) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:2: unsupported key derivation (neither scrypt nor none)",
				what);
	if (get_password == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: the secret key is encrypted and no password was given",
				what);
	memset(password, 0, sizeof(password));
	if (get_password(ctx, what, password, sizeof(password), err) != 0)
		goto out;
	password[sizeof(password) - 1] = '\0';
	if (seckey_stream(stream, password, raw + 6, le64_load(raw + 38), le64_load(raw + 46), what, err) != 0)
		goto out;
	for (i = 0; i < SEALED_LEN; i++)
		raw[SEALED_OFFSET + i] ^= stream[i];
	r = 0;
out:
	OPENSSL_cleanse(password, sizeof(password));
	OPENSSL_cleanse(stream, sizeof(stream));
	return r;
}

int minisign_seckey_parse(struct minisign_seckey *sk, const char *text, size_t len, const char *what,
			  minisign_password_fn get_password, void *ctx, struct lerr *err)
{
	uint8_t raw[SECKEY_BYTES];
	uint8_t chk[CHK_LEN];
	const char *b64;
	size_t b64_len;
	int encrypted;
	int checked;
	int purpose;
	int r = -1;

	if (key_lines(text, len, what, "secret key", &b64, &b64_len, &purpose, err) != 0)
		return -1;
	if (minisign_b64_decode(b64, b64_len, raw, sizeof(raw), what, 2, "the secret key", err) != 0)
		return -1;
	if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:2: unsupported secret key algorithm (not Ed25519 with BLAKE2b)",
			 what);
		goto out;
	}
	encrypted = memcmp(raw + 2, "Sc", 2) == 0;
	if (seckey_unseal(raw, what, get_password, ctx, &checked, err) != 0)
		goto out;
	memcpy(sk->key_id, raw + SEALED_OFFSET, MINISIGN_KEY_ID_LEN);
	memcpy(sk->sk, raw + SEALED_OFFSET + MINISIGN_KEY_ID_LEN, MINISIGN_SECRET_LEN);
	seckey_checksum(sk, chk);
	if (checked && CRYPTO_memcmp(chk, raw + SECKEY_BYTES - CHK_LEN, CHK_LEN) != 0) {
		if (encrypted)
			lerr_set(err, LADING_ERR_AUTH, "%s: wrong password for this secret key", what);
		else
			lerr_set(err, LADING_ERR_FORMAT, "%s:2: the secret key is damaged (checksum mismatch)", what);
		goto out;
	}
	if (seckey_consistent(sk, what, err) != 0)
		goto out;
	sk->purpose = purpose;
	r = 0;
out:
	if (r != 0)
		minisign_seckey_wipe(sk);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(chk, sizeof(chk));
	return r;
}

int minisign_seckey_load(struct minisign_seckey *sk, const char *path, minisign_password_fn get_password, void *ctx,
			 struct lerr *err)
{
	struct buf text = BUF_INIT(MINISIGN_FILE_MAX);
	char *what = xasprintf("'%s'", path);
	int r;

	r = fs_read_file(path, &text, err);
	if (r == 0)
		r = minisign_seckey_parse(sk, text.data, text.len, what, get_password, ctx, err);
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.len);
	buf_free(&text);
	free(what);
	return r;
}

char *minisign_seckey_format(const struct minisign_seckey *sk, const char *password, uint64_t opslimit,
			     uint64_t memlimit, const char *comment, struct lerr *err)
{
	uint8_t raw[SECKEY_BYTES];
	uint8_t stream[SEALED_LEN];
	char *b64 = NULL;
	char *text = NULL;
	size_t i;

	memset(raw, 0, sizeof(raw));
	memcpy(raw, "Ed", 2);
	memcpy(raw + 4, "B2", 2);
	memcpy(raw + SEALED_OFFSET, sk->key_id, MINISIGN_KEY_ID_LEN);
	memcpy(raw + SEALED_OFFSET + MINISIGN_KEY_ID_LEN, sk->sk, MINISIGN_SECRET_LEN);
	seckey_checksum(sk, raw + SECKEY_BYTES - CHK_LEN);
	if (password != NULL) {
		memcpy(raw + 2, "Sc", 2);
		if (RAND_bytes(raw + 6, SALT_LEN) != 1) {
			minisign_openssl_fail(err, "random salt");
			goto out;
		}
		le64_store(raw + 38, opslimit);
		le64_store(raw + 46, memlimit);
		if (seckey_stream(stream, password, raw + 6, opslimit, memlimit, "new secret key", err) != 0)
			goto out;
		for (i = 0; i < SEALED_LEN; i++)
			raw[SEALED_OFFSET + i] ^= stream[i];
	}
	b64 = minisign_b64_encode(raw, sizeof(raw));
	text = xasprintf(COMMENT_PREFIX "%s%s%s\n%s\n", comment != NULL ? comment : "minisign encrypted secret key",
			 sk->purpose != MINISIGN_PURPOSE_ANY ? " purpose:" : "",
			 sk->purpose != MINISIGN_PURPOSE_ANY ? minisign_purpose_name(sk->purpose) : "", b64);
out:
	if (b64 != NULL) {
		OPENSSL_cleanse(b64, strlen(b64));
		free(b64);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(stream, sizeof(stream));
	return text;
}

int minisign_keypair_generate(struct minisign_seckey *sk, struct minisign_pubkey *pk, struct lerr *err)
{
	EVP_PKEY *key = NULL;
	size_t len = MINISIGN_PUBLIC_LEN;
	int r = -1;

	sk->purpose = MINISIGN_PURPOSE_ANY;
	if (RAND_bytes(sk->key_id, MINISIGN_KEY_ID_LEN) != 1 || RAND_priv_bytes(sk->sk, 32) != 1) {
		minisign_openssl_fail(err, "random key");
		goto out;
	}
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk->sk, 32);
	if (key == NULL || EVP_PKEY_get_raw_public_key(key, sk->sk + 32, &len) != 1 || len != MINISIGN_PUBLIC_LEN) {
		minisign_openssl_fail(err, "Ed25519 key generation");
		goto out;
	}
	minisign_seckey_public(sk, pk);
	r = 0;
out:
	if (r != 0)
		minisign_seckey_wipe(sk);
	EVP_PKEY_free(key);
	return r;
}

void minisign_seckey_public(const struct minisign_seckey *sk, struct minisign_pubkey *pk)
{
	memcpy(pk->key_id, sk->key_id, MINISIGN_KEY_ID_LEN);
	memcpy(pk->pk, sk->sk + 32, MINISIGN_PUBLIC_LEN);
	pk->purpose = sk->purpose;
}

void minisign_seckey_wipe(struct minisign_seckey *sk)
{
	OPENSSL_cleanse(sk, sizeof(*sk));
}

static int key_file_create(const char *path, const char *text, mode_t mode, struct lerr *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			return lerr_set(err, LADING_ERR_USAGE, "'%s' already exists (use --force to replace it)", path);
		return lerr_sys(err, "cannot create '%s'", path);
	}
	/* The umask may have taken bits away from a public key's 0644. */
	if (fchmod(fd, mode) != 0) {
		lerr_sys(err, "cannot set the mode of '%s'", path);
		goto fail;
	}
	if (fs_write_all(fd, text, strlen(text), path, err) != 0)
		goto fail;
	if (fsync(fd) != 0) {
		lerr_sys(err, "cannot write '%s'", path);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		lerr_sys(err, "cannot write '%s'", path);
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

int minisign_key_file_write(const char *path, const char *text, mode_t mode, int force, struct lerr *err)
{
	struct fs_atomic out;

	if (!force)
		return key_file_create(path, text, mode, err);
	if (fs_atomic_open(&out, path, mode, err) != 0)
		return -1;
	if (fchmod(out.fd, mode) != 0) {
		lerr_sys(err, "cannot set the mode of '%s'", path);
		fs_atomic_abort(&out);
		return -1;
	}
	if (fs_write_all(out.fd, text, strlen(text), path, err) != 0) {
		fs_atomic_abort(&out);
		return -1;
	}
	return fs_atomic_commit(&out, err);
}
