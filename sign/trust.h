#ifndef LADING_SIGN_TRUST_H
#define LADING_SIGN_TRUST_H

/*
 * The keys this side trusts: the --pubkey files given on the command line, or
 * else every *.pub in $LADING_TRUST_DIR (default /etc/lading/trust.d). A
 * signature is accepted only when its key id names one of them.
 */
#include <stddef.h>

#include "sign/minisign.h"
#include "lib/err.h"

#define TRUST_DIR_DEFAULT "/etc/lading/trust.d"

struct trust_key {
	struct minisign_pubkey pubkey;
	char *path; /* where it was read */
};

struct trust_set {
	struct trust_key *keys;
	size_t count;
	char *source; /* "--pubkey" or the directory, for messages */
};

void trust_init(struct trust_set *ts);
/* Adds the public key in path (a key id already present is not added twice). */
int trust_add_file(struct trust_set *ts, const char *path, struct lerr *err);
/* Adds every *.pub in dir, sorted by name; a missing dir adds nothing, an unreadable key fails. */
int trust_add_dir(struct trust_set *ts, const char *dir, struct lerr *err);
/*
 * Fills ts from the given public key files, or when count is 0 from $LADING_TRUST_DIR or
 * TRUST_DIR_DEFAULT. An empty result is not an error here (trust_verify_* reports it).
 */
int trust_load(struct trust_set *ts, char *const *pubkey_files, size_t count, struct lerr *err);
/* The trusted key with this key id, or NULL. */
const struct trust_key *trust_find(const struct trust_set *ts, const uint8_t key_id[MINISIGN_KEY_ID_LEN]);
/*
 * Verifies sig over msg with the trusted key its key id names; fails with LADING_ERR_SIGNATURE
 * naming the signature's key id and the trusted ones when none matches. *signer (when not
 * NULL) points into ts on success.
 */
int trust_verify_mem(const struct trust_set *ts, const struct minisign_sig *sig, const void *msg, size_t len,
		     const char *what, const struct trust_key **signer, struct lerr *err);
/* Same for a streamed BLAKE2b-512 digest ("ED" signatures only). */
int trust_verify_prehashed(const struct trust_set *ts, const struct minisign_sig *sig,
			   const uint8_t digest[MINISIGN_HASH_LEN], const char *what, const struct trust_key **signer,
			   struct lerr *err);
/* Frees the keys; ts may be reused after trust_init. */
void trust_free(struct trust_set *ts);

#endif
