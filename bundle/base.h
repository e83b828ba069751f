#ifndef LADING_BUNDLE_BASE_H
#define LADING_BUNDLE_BASE_H

/*
 * A bill of lading read to compare against (bundle diff) or to build a delta
 * on (bundle create --since): from a bundle's head, or from a lading.json on
 * its own, with the sha256 of its exact bytes, which is how a delta names its
 * base.
 */
#include "bundle/format/manifest.h"
#include "lib/err.h"

/* "sha256:" and 64 hex digits, NUL-terminated. */
#define BUNDLE_BASE_DIGEST_LEN (7 + SHA256_HEX_LEN + 1)

/*
 * Reads path: a bundle (only its head: lading.json is checked as every reader
 * does; the signature is not, this is a comparison, nothing of it is used) or
 * a lading.json file. Fills m (the caller frees it) and, when digest is not
 * NULL, "sha256:<hex>" of the lading.json bytes.
 */
int bundle_base_load(const char *path, struct bundle_manifest *m, char *digest, struct lerr *err);

/* What a delta leaves to its base. */
struct bundle_base_savings {
	size_t entries;
	uint64_t bytes;
};

/*
 * Makes m (sorted) a delta on base (whose lading.json has digest): every entry
 * whose path and sha256 base carries itself (not one base has from its own
 * base) is marked in_base, to be listed but not written, except the image
 * layout's oci/index.json and oci/oci-layout, which every reader opens first; m gets base's name
 * and digest and format BUNDLE_FORMAT_DELTA. Images stay listed in full.
 */
void bundle_base_apply(struct bundle_manifest *m, const struct bundle_manifest *base, const char *digest,
		       struct bundle_base_savings *saved);

#endif
