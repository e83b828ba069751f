#ifndef LADING_SERVE_SOURCE_H
#define LADING_SERVE_SOURCE_H

/*
 * What `lading serve` serves from: a directory (an extracted bundle, its
 * signature and files checked in place), or a bundle file that is verified
 * (trusted signature over lading.json, then every entry's size and sha256) and
 * extracted once into a private cache directory while it is read. Nothing is
 * served from a bundle or directory that fails any check; an unsigned one is
 * served only with --insecure-skip-signature.
 *
 * With from_file, a format 2 bundle whose lading.json lists offsets and chunk
 * values is not extracted: its signature and seek table are checked and it is
 * served from the file (bundle/format/view.h), every chunk verified as it is
 * read. Other bundles fall back to extraction.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"

struct serve_source_opts {
	char *const *pubkeys; /* --pubkey files; none = $LADING_TRUST_DIR or /etc/lading/trust.d */
	size_t pubkey_count;
	const char *cache_dir;	     /* where extractions go; NULL = $LADING_CACHE/serve (~/.cache/lading/serve) */
	int insecure_skip_signature; /* --insecure-skip-signature: serve an unsigned/untrusted bundle, warning */
	const struct logger *lg;
	int allow_expired;	  /* --allow-expired */
	int allow_downgrade;	  /* --allow-downgrade: older than the bundle of its name accepted before */
	int from_file;		  /* serve a seekable bundle from its file (not --verify-all) */
	unsigned chunk_cache_mib; /* verified chunks kept when served from the file; 0 = the view's default */
	const char *base;	  /* --base: the bundle a delta leaves entries to, or NULL */
};

struct bundle_view;

struct serve_source {
	char *dir;		    /* the directory to serve, or NULL when bundle is set */
	struct bundle_view *bundle; /* served from this file (from_file), or NULL */
	char *extracted;	    /* the extraction to remove at the end, or NULL for a plain directory */
	int verified; /* every served file was (or, from the file, is as it is read) checked against a signed
			 lading.json */
};

/*
 * Fills src for path. A bundle is verified and extracted to a new directory
 * under the cache dir; a directory's lading.json.minisig and files are checked
 * in place (serve/dirsig.h). Fails with LADING_ERR_SIGNATURE (unsigned,
 * untrusted or altered), LADING_ERR_FORMAT, LADING_ERR_SYSTEM, leaving nothing behind.
 * Free with serve_source_free.
 */
int serve_source_prepare(const char *path, const struct serve_source_opts *opts, struct serve_source *src,
			 struct lerr *err);

/* Removes the extraction (if any) and frees src; accepts a zeroed src. */
void serve_source_free(struct serve_source *src, const struct logger *lg);

#endif
