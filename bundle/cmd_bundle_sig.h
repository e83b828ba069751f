#ifndef LADING_CMD_BUNDLE_SIG_H
#define LADING_CMD_BUNDLE_SIG_H

/*
 * The signing half of `lading bundle`, kept apart from cmd_bundle.c: the trust
 * options of verify/extract/inspect, `create --sign`, and the `sign` verb.
 * These print (command layer) and return exit statuses or 0/-1 as noted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bundle/create.h"
#include "sign/signature.h"
#include "sign/trust.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define BUNDLE_PUBKEYS_MAX 64

/* The signature options shared by the verbs (filled by their option parsers). */
struct bundle_sig_opts {
	const char *sign_key; /* create --sign KEY */
	char *pubkeys[BUNDLE_PUBKEYS_MAX];
	size_t pubkey_count; /* --pubkey FILE, repeatable */
	int insecure;	     /* --insecure-skip-signature */
	int allow_expired;   /* --allow-expired */
	int allow_downgrade; /* --allow-downgrade */
	int64_t expires;     /* create --sign / sign: --expires, as seconds since the epoch; 0: none */
};

/* The help text of the options every verb that reads a bundle takes. */
#define BUNDLE_SIG_ALLOW_EXPIRED_HELP "accept a bundle whose signature has expired (--expires when signed)"
#define BUNDLE_SIG_ALLOW_DOWNGRADE_HELP "accept a bundle older than one of the same name accepted here before"
#define BUNDLE_SIG_EXPIRES_HELP "the signature expires after D (90d, 12h, 2w) or at a UTC time (2027-03-01T00:00:00Z)"

/* Sets so->expires from --expires TEXT (a duration from now or a UTC time); -1 with a usage error in err. */
int bundle_sig_opts_expires(struct bundle_sig_opts *so, const char *text, struct lerr *err);

/* Adds one --pubkey; returns -1 (printing nothing) past BUNDLE_PUBKEYS_MAX. */
int bundle_sig_opts_add_pubkey(struct bundle_sig_opts *so, char *path);

/* State of a verify/extract run: the trust set and the head check handed to the reader. */
struct bundle_sig_run {
	struct trust_set trust;
	struct bundle_sig_check check;
	char *what;
};

/*
 * Loads the trust set for file and prepares the head check. Returns 0, or -1 with err set.
 */
int bundle_sig_run_begin(struct bundle_sig_run *run, const struct bundle_sig_opts *so, const char *file,
			 struct lerr *err);
/* One line: who signed (on out), or the --insecure-skip-signature warning with why (on stderr). */
void bundle_sig_run_report(const struct bundle_sig_run *run, FILE *out);
/*
 * After the bundle was used: records it as accepted here ($LADING_STATE), so an older bundle
 * of its name is refused later. A failure to record is a warning on lg, not an error: the
 * work is done, and the message says what is lost.
 */
void bundle_sig_run_accept(const struct bundle_sig_run *run, const struct logger *lg);
void bundle_sig_run_end(struct bundle_sig_run *run);

/* State of `create --sign`: the loaded key and the lading.json it signed. */
struct bundle_sig_create {
	struct bundle_signer signer;
	char *json;
	size_t json_len;
	int loaded;
};

/* Loads the key (asking for its password now, before any download) and sets opts->sign. */
int bundle_sig_create_begin(struct bundle_sig_create *sc, const struct bundle_sig_opts *so,
			    struct bundle_create_opts *opts, struct lerr *err);
/* After a successful create: writes out_path.minisig (the detached signature of the whole file). */
int bundle_sig_create_finish(struct bundle_sig_create *sc, const char *out_path, struct lerr *err);
void bundle_sig_create_end(struct bundle_sig_create *sc);

/* For inspect: appends "signer" lines (text) describing file's signature against the trust set. */
int bundle_sig_describe(const char *file, const struct bundle_sig_opts *so, struct buf *text, json_t **json,
			struct lerr *err);

/* `lading bundle sign FILE --key KEY`: parses its own options; returns the exit status. */
int bundle_sig_verb_sign(int argc, char **argv);

#endif
