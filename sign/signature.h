#ifndef LADING_SIGN_SIGNATURE_H
#define LADING_SIGN_SIGNATURE_H

/*
 * Signed bundles: lading.json.minisig (the second tar entry, a minisign "ED"
 * signature of the exact lading.json bytes) and the detached FILE.minisig over
 * the whole tarball. Both carry the trusted comment
 *   lading-bundle name:<name><TAB>created:<created><TAB>sha256:<sha256 of lading.json>
 * optionally followed by <TAB>expires:<time>. The comment binds the signature's
 * purpose, the bundle's name and creation time and lading.json's digest: a
 * signature made for anything else is refused. The verifier side plugs into the
 * bundle reader's head callback, so nothing of a bundle is trusted before
 * lading.json's signature is checked; it also refuses an expired signature and
 * a bundle older than one accepted before (sign/freshness.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "sign/minisign.h"
#include "sign/trust.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

struct bundle_manifest; /* bundle/format/manifest.h */

#define BUNDLE_SIG_COMMENT_PREFIX "lading-bundle "

/* ---- signing ---- */

struct bundle_signer {
	struct minisign_seckey *key; /* in secret memory (lib/secmem.h): locked, not dumped, wiped */
	char key_id[MINISIGN_KEY_ID_HEX];
	int64_t expires; /* seconds since the epoch written into the comment; 0: the signature never expires */
};

/* Makes room for a key in secret memory (bundle_signer_load does it itself); release with bundle_signer_wipe. */
void bundle_signer_init(struct bundle_signer *signer);
/* Loads the secret key (asking get_password for an encrypted one); wipe with bundle_signer_wipe. */
int bundle_signer_load(struct bundle_signer *signer, const char *key_path, minisign_password_fn get_password, void *ctx,
		       struct lerr *err);
/* Wipes and releases the key as soon as the last signature is made; the signer may be loaded again. */
void bundle_signer_wipe(struct bundle_signer *signer);

/*
 * The trusted comment for these lading.json bytes (name and created read from them) and
 * expiry (0: none); caller frees.
 */
char *bundle_sig_comment(const char *json, size_t json_len, int64_t expires, struct lerr *err);

/*
 * A bundle_sign_fn for the writer (ctx is a struct bundle_signer): appends the text of
 * lading.json.minisig for json to sig.
 */
int bundle_sig_sign_json(void *ctx, const char *json, size_t json_len, struct buf *sig, struct lerr *err);

/*
 * Writes bundle_path + ".minisig" atomically: an "ED" signature of the whole file, hashed as
 * a stream, with the trusted comment of json (the bundle's lading.json), so that
 * `minisign -Vm FILE -p KEY.pub` checks the tarball without lading.
 */
int bundle_sig_sign_file(const struct bundle_signer *signer, const char *bundle_path, const char *json, size_t json_len,
			 struct lerr *err);

/* ---- verifying ---- */

struct bundle_sig_check {
	/* in */
	const struct trust_set *trust;
	const char *what;      /* the bundle, quoted, for messages */
	int insecure;	       /* --insecure-skip-signature or inspect: problems are recorded, not errors */
	int allow_expired;     /* --allow-expired: an expired signature still verifies */
	int allow_downgrade;   /* --allow-downgrade: a bundle older than the recorded one still verifies */
	const char *state_dir; /* where accepted bundles are recorded (fresh_state_dir() by default) */
	/* out */
	int is_signed;			  /* lading.json.minisig was present and parsed */
	int trusted;			  /* its key id is in the trust set */
	int verified;			  /* and the signature and trusted comment verified with that key */
	char key_id[MINISIGN_KEY_ID_HEX]; /* the signer's key id, when is_signed */
	char *trusted_comment;		  /* when is_signed; freed by bundle_sig_check_free */
	const char *signer_path;	  /* the trusted .pub, when trusted (owned by the trust set) */
	struct lerr problem;		  /* why not verified, when insecure let it pass */
	char *name;			  /* the bundle name the trusted comment binds, when verified */
	int64_t created;		  /* and its creation time */
	int64_t expires;		  /* and its expiry, 0 when none */
	char json_sha256[65];		  /* lading.json's sha256, when verified */
};

/* Sets the inputs (strict defaults: nothing expired or older allowed) and clears the results. */
void bundle_sig_check_init(struct bundle_sig_check *check, const struct trust_set *trust, const char *what,
			   int insecure);

/*
 * A bundle_head_fn (ctx is a struct bundle_sig_check): checks sig (NULL when the bundle is
 * unsigned) over the exact lading.json bytes against the trust set, the global signature,
 * and that the trusted comment's sha256 (when it has one) is that of json. Fails with
 * LADING_ERR_SIGNATURE naming the bundle and the key ids, unless check->insecure.
 */
int bundle_sig_check_head(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
			  const struct bundle_manifest *m, struct lerr *err);

/*
 * After the bundle was used (verified, extracted, pushed, served): records its name and
 * creation time as accepted here, so an older bundle of that name is refused later. Does
 * nothing for a bundle that did not verify.
 */
int bundle_sig_check_record(const struct bundle_sig_check *check, struct lerr *err);
/* The same, a failure a warning on lg (the work is done; the message says what is lost). */
void bundle_sig_check_accept(const struct bundle_sig_check *check, const struct logger *lg);

void bundle_sig_check_free(struct bundle_sig_check *check);

#endif
