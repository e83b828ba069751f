#ifndef LADING_BUNDLE_FORMAT_EXTRACT_H
#define LADING_BUNDLE_FORMAT_EXTRACT_H

#include "bundle/format/reader.h"
#include "lib/err.h"
#include "lib/log.h"

struct bundle_extract_opts {
	bundle_head_fn head; /* checks lading.json (signature) before any data; may be NULL */
	void *head_ctx;
	const struct logger *lg;
	const char *base; /* a delta's base bundle (--base), or NULL */
	int stored_only;  /* a delta: only what the file holds, without its base (bundle sign rewrites it) */
};

/*
 * Extracts the bundle at path into dest_dir, which must not exist or be an
 * empty directory. Entries are verified while they are written into a staging
 * directory next to dest_dir, which is renamed to dest_dir only when every
 * entry matched lading.json; on any failure the staging directory is removed
 * and dest_dir is left as it was. Refuses absolute paths, '..', links, device
 * files and entries not listed in lading.json. lading.json (and its signature)
 * are extracted too. A delta (lading.json names a base) needs opts->base:
 * the entries it leaves to its base are read from there, after checking that
 * the base's lading.json has the sha256 the delta names and that each entry
 * has the sha256 the delta lists, so the result is the whole bundle.
 */
int bundle_extract(const char *path, const char *dest_dir, const struct bundle_extract_opts *opts, struct lerr *err);

#endif
