/*
 * A node's Ed25519 SSH host key in the files sshd reads: the private key in
 * the unencrypted "openssh-key-v1" format (OpenSSH PROTOCOL.key), the public
 * key as one "ssh-ed25519 AAAA... comment" line. Keys come from OpenSSL.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/hostkey.h"

#define KEY_TYPE "ssh-ed25519"
#define KEY_TYPE_LEN 11
#define PK_LEN 32
#define SEED_LEN 32
#define SK_LEN 64    /* OpenSSH keeps seed || pk */
#define MAGIC_LEN 15 /* "openssh-key-v1" and its NUL */
#define PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PEM_END "-----END OPENSSH PRIVATE KEY-----"
#define PEM_COLUMNS 70 /* what ssh-keygen writes */
#define KEY_FILE_MAX 16384
#define COMMENT_MAX 1024
#define KEY_NAME "ssh_host_ed25519_key"

static const char magic[MAGIC_LEN] = "openssh-key-v1";

/* Wire bytes we build ourselves into a buffer sized beforehand. */
struct wire_out {
	unsigned char *data;
	size_t pos, cap;
};

/* Wire bytes read from a file: every read is bounds-checked. */
struct wire_in {
	const unsigned char *data;
	size_t pos, len;
};

static void put_bytes(struct wire_out *w, const void *data, size_t len)
{
	if (len > w->cap - w->pos)
		abort(); /* the sizes are computed from the same fields just before */
	memcpy(w->data + w->pos, data, len);
	w->pos += len;
}

static void put_u32(struct wire_out *w, uint32_t v)
{
	unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v};

	put_bytes(w, be, sizeof(be));
}

static void put_string(struct wire_out *w, const void *data, size_t len)
{
	put_u32(w, (uint32_t)len);
	put_bytes(w, data, len);
}

static int get_u32(struct wire_in *r, uint32_t *v)
{
	const unsigned char *p = r->data + r->pos;

	if (r->len - r->pos < 4)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
	r->pos += 4;
	return 0;
}

static int get_string(struct wire_in *r, const unsigned char **data, size_t *len)
{
	uint32_t n;

	if (get_u32(r, &n) != 0 || n > r->len - r->pos)
		return -1;
	*data = r->data + r->pos;
	*len = n;
	r->pos += n;
	return 0;
}

static int string_is(const unsigned char *data, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(data, want, len) == 0;
}

static void make_blob(const unsigned char pk[PK_LEN], unsigned char blob[BM_HOSTKEY_BLOB_LEN])
{
	struct wire_out w = {blob, 0, BM_HOSTKEY_BLOB_LEN};

	put_string(&w, KEY_TYPE, KEY_TYPE_LEN);
	put_string(&w, pk, PK_LEN);
}

/* A key type read from a file, for a message: printable and short, else "unknown". */
static const char *shown_type(const unsigned char *data, size_t len, char *out, size_t cap)
{
	size_t i;

	if (len == 0 || len >= cap)
		return "unknown";
	for (i = 0; i < len; i++)
		if (data[i] <= ' ' || data[i] >= 0x7f)
			return "unknown";
	memcpy(out, data, len);
	out[len] = '\0';
	return out;
}

/* Base64 text (whitespace ignored) to bytes; *out is allocated and wiped by the caller. */
static int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
	char *packed = xmalloc(len + 1);
	size_t packed_len = 0, i, pad;
	int got;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t')
			packed[packed_len++] = text[i];
	if (packed_len == 0 || packed_len % 4 != 0 || packed_len > INT32_MAX) {
		OPENSSL_cleanse(packed, len + 1);
		free(packed);
		return -1;
	}
	pad = (packed[packed_len - 1] == '=') + (packed[packed_len - 2] == '=');
	*out = xmalloc(packed_len / 4 * 3 + 1);
	got = EVP_DecodeBlock(*out, (const unsigned char *)packed, (int)packed_len);
	OPENSSL_cleanse(packed, len + 1);
	free(packed);
	if (got < 0 || (size_t)got < pad) {
		OPENSSL_cleanse(*out, packed_len / 4 * 3 + 1);
		free(*out);
		*out = NULL;
		return -1;
	}
	*out_len = (size_t)got - pad;
	return 0;
}

static char *base64_encode(const unsigned char *data, size_t len, size_t *out_len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1);

	*out_len = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static int derive_public(const unsigned char seed[SEED_LEN], unsigned char pk[PK_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, SEED_LEN);
	size_t len = PK_LEN;
	int r = -1;

	if (pkey != NULL && EVP_PKEY_get_raw_public_key(pkey, pk, &len) == 1 && len == PK_LEN)
		r = 0;
	EVP_PKEY_free(pkey);
	return r;
}

static int generate(unsigned char seed[SEED_LEN], unsigned char pk[PK_LEN], struct lerr *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *pkey = NULL;
	size_t seed_len = SEED_LEN, pk_len = PK_LEN;
	int r = -1;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1 ||
	    EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 || seed_len != SEED_LEN ||
	    EVP_PKEY_get_raw_public_key(pkey, pk, &pk_len) != 1 || pk_len != PK_LEN)
		lerr_set(err, LADING_ERR_SYSTEM, "cannot generate an ed25519 host key: OpenSSL refused");
	else
		r = 0;
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* The openssh-key-v1 file text for seed/pk (allocated, a secret). */
static int encode_private(const unsigned char seed[SEED_LEN], const unsigned char pk[PK_LEN], const char *comment,
			  char **pem, struct lerr *err)
{
	size_t comment_len = strlen(comment);
	size_t section = 8 + (4 + KEY_TYPE_LEN) + (4 + PK_LEN) + (4 + SK_LEN) + (4 + comment_len);
	size_t pad = (8 - section % 8) % 8, total, b64_len, i, pos;
	unsigned char blob[BM_HOSTKEY_BLOB_LEN], checkint[4];
	struct wire_out w;
	char *b64, *text;

	if (RAND_bytes(checkint, sizeof(checkint)) != 1)
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot generate an ed25519 host key: no random bytes");
	total = MAGIC_LEN + (4 + 4) + (4 + 4) + 4 + 4 + (4 + BM_HOSTKEY_BLOB_LEN) + (4 + section + pad);
	w.data = xmalloc(total);
	w.pos = 0;
	w.cap = total;
	make_blob(pk, blob);
	put_bytes(&w, magic, MAGIC_LEN);
	put_string(&w, "none", 4); /* cipher: sshd cannot ask for a passphrase */
	put_string(&w, "none", 4); /* kdf */
	put_string(&w, "", 0);	   /* kdf options */
	put_u32(&w, 1);		   /* one key */
	put_string(&w, blob, sizeof(blob));
	put_u32(&w, (uint32_t)(section + pad));
	put_bytes(&w, checkint, 4); /* twice: a wrong passphrase shows as unequal checkints */
	put_bytes(&w, checkint, 4);
	put_string(&w, KEY_TYPE, KEY_TYPE_LEN);
	put_string(&w, pk, PK_LEN);
	put_u32(&w, SK_LEN);
	put_bytes(&w, seed, SEED_LEN);
	put_bytes(&w, pk, PK_LEN);
	put_string(&w, comment, comment_len);
	for (i = 1; i <= pad; i++)
		put_bytes(&w, &(unsigned char){(unsigned char)i}, 1);
	b64 = base64_encode(w.data, total, &b64_len);
	OPENSSL_cleanse(w.data, total);
	free(w.data);
	text = xmalloc(sizeof(PEM_BEGIN) + b64_len + b64_len / PEM_COLUMNS + 1 + sizeof(PEM_END) + 1);
	pos = (size_t)sprintf(text, "%s\n", PEM_BEGIN);
	for (i = 0; i < b64_len; i += PEM_COLUMNS) {
		size_t n = b64_len - i < PEM_COLUMNS ? b64_len - i : PEM_COLUMNS;

		memcpy(text + pos, b64 + i, n);
		pos += n;
		text[pos++] = '\n';
	}
	sprintf(text + pos, "%s\n", PEM_END);
	OPENSSL_cleanse(b64, b64_len);
	free(b64);
	*pem = text;
	return 0;
}

static int damaged(const char *path, struct lerr *err)
{
	return lerr_about(err, LADING_ERR_FORMAT, path,
			  "not a complete OpenSSH private key (truncated or damaged): restore it, or remove it and "
			  "its .pub to generate a new host key");
}

static int not_ed25519(const char *path, const unsigned char *type, size_t type_len, struct lerr *err)
{
	char shown[41];

	return lerr_about(
	    err, LADING_ERR_FORMAT, path,
	    "holds a key of type %s, not ssh-ed25519: remove it and its .pub to generate an ed25519 host key",
	    shown_type(type, type_len, shown, sizeof(shown)));
}

/* The header of openssh-key-v1 up to the private section, which *section gets. */
static int parse_header(const char *path, struct wire_in *r, struct wire_in *section, unsigned char *blob,
			struct lerr *err)
{
	const unsigned char *s, *type;
	size_t len, type_len;
	uint32_t keys;
	struct wire_in pub;

	if (r->len < MAGIC_LEN || memcmp(r->data, magic, MAGIC_LEN) != 0)
		return lerr_about(err, LADING_ERR_FORMAT, path, "not an OpenSSH private key (no openssh-key-v1 magic)");
	r->pos = MAGIC_LEN;
	if (get_string(r, &s, &len) != 0)
		return damaged(path, err);
	if (!string_is(s, len, "none")) {
		char shown[41];

		return lerr_about(err, LADING_ERR_FORMAT, path,
				  "is encrypted (cipher %s); sshd needs an unencrypted host key: remove the "
				  "passphrase with ssh-keygen -p -N '' -f %s",
				  shown_type(s, len, shown, sizeof(shown)), path);
	}
	if (get_string(r, &s, &len) != 0 || !string_is(s, len, "none") || get_string(r, &s, &len) != 0 || len != 0 ||
	    get_u32(r, &keys) != 0)
		return damaged(path, err);
	if (keys != 1)
		return lerr_about(err, LADING_ERR_FORMAT, path, "holds %u keys; a host key file holds one",
				  (unsigned)keys);
	if (get_string(r, &pub.data, &pub.len) != 0)
		return damaged(path, err);
	pub.pos = 0;
	if (get_string(&pub, &type, &type_len) != 0)
		return damaged(path, err);
	if (!string_is(type, type_len, KEY_TYPE))
		return not_ed25519(path, type, type_len, err);
	if (pub.len != BM_HOSTKEY_BLOB_LEN || get_string(&pub, &s, &len) != 0 || len != PK_LEN)
		return damaged(path, err);
	memcpy(blob, pub.data, BM_HOSTKEY_BLOB_LEN);
	if (get_string(r, &section->data, &section->len) != 0 || r->pos != r->len || section->len % 8 != 0)
		return damaged(path, err);
	section->pos = 0;
	return 0;
}

/* Reads seed, public key and comment from openssh-key-v1 bytes, checking all of it. */
static int parse_private(const char *path, const unsigned char *data, size_t len, unsigned char seed[SEED_LEN],
			 unsigned char blob[BM_HOSTKEY_BLOB_LEN], char **comment, struct lerr *err)
{
	struct wire_in r = {data, 0, len}, section;
	const unsigned char *type, *pk, *sk, *note;
	size_t type_len, pk_len, sk_len, note_len, i;
	uint32_t check1, check2;
	unsigned char derived[PK_LEN];

	if (parse_header(path, &r, &section, blob, err) != 0)
		return -1;
	if (get_u32(&section, &check1) != 0 || get_u32(&section, &check2) != 0)
		return damaged(path, err);
	if (check1 != check2)
		return lerr_about(err, LADING_ERR_FORMAT, path,
				  "check numbers differ (damaged, or encrypted): restore it, or remove it and its .pub "
				  "to generate a new host key");
	if (get_string(&section, &type, &type_len) != 0)
		return damaged(path, err);
	if (!string_is(type, type_len, KEY_TYPE))
		return not_ed25519(path, type, type_len, err);
	if (get_string(&section, &pk, &pk_len) != 0 || pk_len != PK_LEN || get_string(&section, &sk, &sk_len) != 0 ||
	    sk_len != SK_LEN || get_string(&section, &note, &note_len) != 0)
		return damaged(path, err);
	for (i = 0; section.pos < section.len; i++)
		if (section.data[section.pos++] != (unsigned char)(i + 1) || i >= 8)
			return damaged(path, err);
	if (memcmp(pk, blob + BM_HOSTKEY_BLOB_LEN - PK_LEN, PK_LEN) != 0 || memcmp(sk + SEED_LEN, pk, PK_LEN) != 0)
		return lerr_about(err, LADING_ERR_FORMAT, path,
				  "its public and private halves differ: restore it, or remove it and its .pub to "
				  "generate a new host key");
	if (derive_public(sk, derived) != 0 || memcmp(derived, pk, PK_LEN) != 0)
		return lerr_about(err, LADING_ERR_FORMAT, path,
				  "its private key does not give its public key: restore it, or remove it and its .pub "
				  "to generate a new host key");
	memcpy(seed, sk, SEED_LEN);
	*comment = xstrndup((const char *)note, note_len);
	return 0;
}

/* The PEM text of path to openssh-key-v1 bytes (allocated, a secret). */
static int dearmor(const char *path, const char *text, size_t len, unsigned char **data, size_t *data_len,
		   struct lerr *err)
{
	const char *body, *end;

	if (strlen(text) != len)
		return lerr_about(err, LADING_ERR_FORMAT, path, "not an OpenSSH private key (it holds a NUL byte)");
	if (strncmp(text, PEM_BEGIN, strlen(PEM_BEGIN)) != 0)
		return lerr_about(err, LADING_ERR_FORMAT, path,
				  "not an OpenSSH private key (no '" PEM_BEGIN "' line): write an ed25519 key with "
				  "ssh-keygen -t ed25519 -N '', or remove it and its .pub to generate one");
	body = text + strlen(PEM_BEGIN);
	if ((end = strstr(body, PEM_END)) == NULL)
		return damaged(path, err);
	if (base64_decode(body, (size_t)(end - body), data, data_len) != 0)
		return damaged(path, err);
	return 0;
}

/*
 * The private key file into one buffer of KEY_FILE_MAX + 1 bytes (allocated,
 * the caller wipes it): read straight there, so no copy of the key is left in
 * a grown buffer or a stack chunk.
 */
static int read_secret(const char *path, char **text, size_t *len, struct lerr *err)
{
	char *data = xmalloc(KEY_FILE_MAX + 1);
	size_t have = 0;
	ssize_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(data);
		return lerr_sys(err, "cannot open '%s'", path);
	}
	while (have <= KEY_FILE_MAX && (got = fs_read_some(fd, data + have, KEY_FILE_MAX + 1 - have, path, err)) > 0)
		have += (size_t)got;
	close(fd);
	if (got >= 0 && have > KEY_FILE_MAX)
		got = lerr_about(err, LADING_ERR_LIMIT, path, "larger than %d bytes: not an ed25519 host key",
				 KEY_FILE_MAX);
	if (got < 0) {
		OPENSSL_cleanse(data, KEY_FILE_MAX + 1);
		free(data);
		return -1;
	}
	data[have] = '\0';
	*text = data;
	*len = have;
	return 0;
}

/* Loads and checks the private key at path; *pem gets its text. */
static int load_private(const char *path, unsigned char seed[SEED_LEN], unsigned char blob[BM_HOSTKEY_BLOB_LEN],
			char **comment, char **pem, struct lerr *err)
{
	char *text = NULL;
	size_t text_len = 0;
	unsigned char *data = NULL;
	size_t data_len = 0;
	int r = -1;

	if (read_secret(path, &text, &text_len, err) != 0)
		goto out;
	if (dearmor(path, text, text_len, &data, &data_len, err) != 0 ||
	    parse_private(path, data, data_len, seed, blob, comment, err) != 0)
		goto out;
	*pem = xstrdup(text);
	r = 0;
out:
	if (data != NULL)
		OPENSSL_cleanse(data, data_len);
	free(data);
	if (text != NULL)
		OPENSSL_cleanse(text, KEY_FILE_MAX + 1);
	free(text);
	return r;
}

int bm_hostkey_parse_public(const char *line, unsigned char *blob, size_t blob_cap, size_t *blob_len, struct lerr *err)
{
	const char *b64 = line + KEY_TYPE_LEN;
	size_t b64_len = 0, len = 0;
	unsigned char *data = NULL;
	struct wire_in r;
	const unsigned char *s;
	size_t s_len;
	int ok;

	if (strncmp(line, KEY_TYPE, KEY_TYPE_LEN) != 0 || (line[KEY_TYPE_LEN] != ' ' && line[KEY_TYPE_LEN] != '\t'))
		return lerr_set(err, LADING_ERR_FORMAT, "not an ssh-ed25519 public key line");
	while (*b64 == ' ' || *b64 == '\t')
		b64++;
	while (b64[b64_len] != '\0' && strchr(" \t\r\n", b64[b64_len]) == NULL)
		b64_len++;
	if (base64_decode(b64, b64_len, &data, &len) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "ssh-ed25519 public key is not base64");
	r.data = data;
	r.pos = 0;
	r.len = len;
	ok = get_string(&r, &s, &s_len) == 0 && string_is(s, s_len, KEY_TYPE) && get_string(&r, &s, &s_len) == 0 &&
	     s_len == PK_LEN && r.pos == r.len;
	if (ok && len <= blob_cap) {
		memcpy(blob, data, len);
		*blob_len = len;
	}
	free(data);
	if (!ok)
		return lerr_set(err, LADING_ERR_FORMAT, "ssh-ed25519 public key is damaged (not a 32-byte key)");
	if (len > blob_cap)
		return lerr_set(err, LADING_ERR_LIMIT, "ssh-ed25519 public key is longer than %zu bytes", blob_cap);
	return 0;
}

/* "ssh-ed25519 AAAA... comment\n"; a comment that would break the line is left out. */
static char *public_line(const unsigned char blob[BM_HOSTKEY_BLOB_LEN], const char *comment)
{
	size_t b64_len, i;
	char *b64 = base64_encode(blob, BM_HOSTKEY_BLOB_LEN, &b64_len);
	char *line;

	for (i = 0; comment[i] != '\0'; i++)
		if ((unsigned char)comment[i] < ' ' || comment[i] == 0x7f)
			break;
	if (comment[i] != '\0' || i == 0)
		line = xasprintf("%s %s\n", KEY_TYPE, b64);
	else
		line = xasprintf("%s %s %s\n", KEY_TYPE, b64, comment);
	free(b64);
	return line;
}

/* Checks the .pub at path against blob; *line gets its first line. */
static int load_public(const char *path, const unsigned char blob[BM_HOSTKEY_BLOB_LEN], const char *private_path,
		       char **line, struct lerr *err)
{
	struct buf text = BUF_INIT(KEY_FILE_MAX);
	unsigned char got[BM_HOSTKEY_BLOB_LEN];
	size_t got_len = 0, first;
	int r = -1;

	if (fs_read_file(path, &text, err) != 0) {
		lerr_name(err, "%s", path);
		goto out;
	}
	if (strlen(text.data) != text.len) {
		lerr_about(err, LADING_ERR_FORMAT, path, "not a public key line (it holds a NUL byte)");
		goto out;
	}
	if (bm_hostkey_parse_public(text.data, got, sizeof(got), &got_len, err) != 0) {
		char *why = xstrdup(err != NULL ? err->msg : "");

		lerr_about(err, LADING_ERR_FORMAT, path, "%s: remove it to write it again from the private key", why);
		free(why);
		goto out;
	}
	if (got_len != BM_HOSTKEY_BLOB_LEN || memcmp(got, blob, BM_HOSTKEY_BLOB_LEN) != 0) {
		lerr_about(err, LADING_ERR_FORMAT, path,
			   "does not match the private key %s: remove it to write it again from the private key",
			   private_path);
		goto out;
	}
	first = strcspn(text.data, "\r\n");
	*line = xasprintf("%.*s\n", (int)first, text.data);
	r = 0;
out:
	buf_free(&text);
	return r;
}

static int create_key(const char *dir, const char *private_path, const char *public_path, const char *comment,
		      struct bm_hostkey *key, struct lerr *err)
{
	unsigned char seed[SEED_LEN], pk[PK_LEN];
	int r = -1;

	if (strlen(comment) > COMMENT_MAX || strpbrk(comment, "\r\n") != NULL)
		return lerr_set(err, LADING_ERR_USAGE, "host key comment '%.40s...' is too long or holds a newline",
				comment);
	if (fs_mkdir_p(dir, err) != 0 || generate(seed, pk, err) != 0)
		goto out;
	if (encode_private(seed, pk, comment, &key->private_pem, err) != 0)
		goto out;
	make_blob(pk, key->blob);
	key->blob_len = BM_HOSTKEY_BLOB_LEN;
	key->public_line = public_line(key->blob, comment);
	/* The private key first: a .pub alone is never left behind, a private key alone is completed. */
	if (fs_write_file(private_path, key->private_pem, strlen(key->private_pem), 0600, err) != 0 ||
	    fs_write_file(public_path, key->public_line, strlen(key->public_line), 0644, err) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	return r;
}

static int load_key(const char *private_path, const char *public_path, struct bm_hostkey *key, struct lerr *err)
{
	unsigned char seed[SEED_LEN];
	char *comment = NULL;
	int r = -1;

	if (load_private(private_path, seed, key->blob, &comment, &key->private_pem, err) != 0)
		goto out;
	key->blob_len = BM_HOSTKEY_BLOB_LEN;
	if (fs_exists(public_path)) {
		if (load_public(public_path, key->blob, private_path, &key->public_line, err) != 0)
			goto out;
	} else {
		key->public_line = public_line(key->blob, comment);
		if (fs_write_file(public_path, key->public_line, strlen(key->public_line), 0644, err) != 0)
			goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	free(comment);
	return r;
}

int bm_hostkey_load_or_create(const char *dir, const char *comment, struct bm_hostkey *key, int *created,
			      struct lerr *err)
{
	char *private_path = xasprintf("%s/" KEY_NAME, dir);
	char *public_path = xasprintf("%s/" KEY_NAME ".pub", dir);
	struct bm_hostkey made = {0};
	int fresh = 0, r = -1;

	if (fs_exists(private_path)) {
		if (load_key(private_path, public_path, &made, err) != 0)
			goto out;
	} else if (fs_exists(public_path)) {
		lerr_about(err, LADING_ERR_NOTFOUND, public_path,
			   "public host key without its private key %s: restore that, or remove the .pub to "
			   "generate a new host key",
			   private_path);
		goto out;
	} else {
		if (create_key(dir, private_path, public_path, comment, &made, err) != 0)
			goto out;
		fresh = 1;
	}
	*key = made;
	memset(&made, 0, sizeof(made));
	if (created != NULL)
		*created = fresh;
	r = 0;
out:
	bm_hostkey_free(&made);
	free(private_path);
	free(public_path);
	return r;
}

void bm_hostkey_free(struct bm_hostkey *key)
{
	if (key == NULL)
		return;
	if (key->private_pem != NULL)
		OPENSSL_cleanse(key->private_pem, strlen(key->private_pem));
	free(key->private_pem);
	free(key->public_line);
	memset(key, 0, sizeof(*key));
}
