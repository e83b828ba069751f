#ifndef LADING_PROVISION_SSH_KNOWNHOSTS_H
#define LADING_PROVISION_SSH_KNOWNHOSTS_H

/*
 * OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain
 * and hashed (|1|salt|hmac) host names, "[host]:port" for ports other than 22,
 * patterns with * ? and ! negation, @revoked markers. Read by us rather than by
 * libssh2, whose reader stops at the first line it cannot parse.
 */
#include <stddef.h>

#include "lib/err.h"

enum kh_status {
	KH_NOTFOUND = 0,   /* no line names this host */
	KH_MATCH = 1,	   /* a line has exactly this key */
	KH_MISMATCH = 2,   /* lines have keys of this type for the host, none equal: changed key */
	KH_OTHER_TYPE = 3, /* the host is known only with keys of other types */
	KH_REVOKED = 4,	   /* the key is marked @revoked */
};

struct kh_file;

/* An empty set of known hosts; free with kh_free. */
struct kh_file *kh_new(void);

/* Adds the lines of path; a missing file is fine when missing_ok. Unparseable lines are skipped. */
int kh_load(struct kh_file *kh, const char *path, int missing_ok, struct lerr *err);

void kh_free(struct kh_file *kh);

/* Checks a host key blob (SSH wire format) for host:port against the loaded lines. */
enum kh_status kh_check(const struct kh_file *kh, const char *host, int port, const unsigned char *blob,
			size_t blob_len);

/*
 * The key types (e.g. "ssh-ed25519,ecdsa-sha2-nistp256") known for host:port,
 * comma-separated, allocated (caller frees); "" when none.
 */
char *kh_known_types(const struct kh_file *kh, const char *host, int port);

/*
 * Appends one hashed line for host:port and the key to path (created 0600,
 * parent directory 0700 when missing); one write, serialised inside the process.
 */
int kh_append(const char *path, const char *host, int port, const unsigned char *blob, size_t blob_len,
	      struct lerr *err);

/* The key type named inside a key blob, as a NUL-terminated copy in out; -1 when malformed. */
int kh_blob_type(const unsigned char *blob, size_t blob_len, char *out, size_t out_len);

/* "SHA256:<base64 without padding>" of a key blob, as ssh-keygen -l prints it. */
void kh_fingerprint(const unsigned char *blob, size_t blob_len, char *out, size_t out_len);

/* Decodes base64 (no whitespace) into an allocated buffer; -1 when malformed. */
int kh_base64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len);

#endif
