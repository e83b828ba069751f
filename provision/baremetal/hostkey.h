#ifndef LADING_PROVISION_BAREMETAL_HOSTKEY_H
#define LADING_PROVISION_BAREMETAL_HOSTKEY_H

/*
 * A node's SSH host key for `lading baremetal image`: one Ed25519 key per node,
 * kept as dir/ssh_host_ed25519_key (the unencrypted "openssh-key-v1" format of
 * OpenSSH PROTOCOL.key, which sshd reads) and dir/ssh_host_ed25519_key.pub, so
 * it can go into the boot image and into known_hosts before the node boots.
 */
#include <stddef.h>

#include "lib/err.h"

#define BM_HOSTKEY_BLOB_LEN 51 /* string "ssh-ed25519" (4+11), string pk (4+32) */

struct bm_hostkey {
	unsigned char blob[BM_HOSTKEY_BLOB_LEN]; /* SSH wire public key */
	size_t blob_len;			 /* BM_HOSTKEY_BLOB_LEN */
	char *public_line;			 /* "ssh-ed25519 AAAA... COMMENT\n" (allocated) */
	char
	    *private_pem; /* "-----BEGIN OPENSSH PRIVATE KEY-----\n...-----END OPENSSH PRIVATE KEY-----\n" (a secret) */
};

/*
 * Loads dir/ssh_host_ed25519_key and its .pub when both exist (a missing .pub is
 * written again from the private key), else generates a new key and writes both
 * (0600 and 0644, each atomically); comment (e.g. "root@NODE") goes into new files.
 * *created says whether the key was generated. The caller frees key with
 * bm_hostkey_free. Fails naming the file: not an unencrypted OpenSSH ed25519
 * key, damaged, or a .pub that does not match the private key.
 */
int bm_hostkey_load_or_create(const char *dir, const char *comment, struct bm_hostkey *key, int *created,
			      struct lerr *err);

/*
 * Parses an OpenSSH public key line "ssh-ed25519 AAAA... [comment]" into blob
 * (blob_cap bytes at least BM_HOSTKEY_BLOB_LEN); *blob_len gets its length.
 */
int bm_hostkey_parse_public(const char *line, unsigned char *blob, size_t blob_cap, size_t *blob_len, struct lerr *err);

/* Wipes the private key text and frees what key holds; key may be zeroed or NULL. */
void bm_hostkey_free(struct bm_hostkey *key);

#endif
