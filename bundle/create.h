#ifndef LADING_BUNDLE_CREATE_H
#define LADING_BUNDLE_CREATE_H

/*
 * `bundle create`: spec → lock → images_fetch into the cache → one bundle.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/writer.h"
#include "bundle/spec.h"
#include "lib/err.h"
#include "lib/log.h"

struct bundle_create_opts {
	const char *spec_path;	 /* lading.yaml */
	const char *out_path;	 /* NULL: "<name>.tar.zst" in the current directory */
	int level;		 /* zstd level; 0 = default 3 */
	int jobs;		 /* parallel downloads; 0 = default 4 */
	int locked;		 /* fetch exactly lading.lock, resolve nothing */
	int update_hashes;	 /* files without sha256: fetch and write the hash into the spec */
	const char *images_file; /* --images-file: more image references (bundle/image_list.h), or NULL */
	char **platforms;	 /* --platform: for images that name none; NULL-terminated, or NULL */
	const char *since;	 /* --since: write a delta on this bundle (or lading.json), or NULL */
	bundle_sign_fn sign;	 /* optional signing hook (see writer.h) */
	void *sign_ctx;
	const struct logger *lg;
};

struct bundle_create_result {
	char *out_path; /* what was written; freed by bundle_create_result_free */
	size_t image_count;
	size_t entry_count;	/* rows in lading.json */
	uint64_t content_bytes; /* sum of the rows' sizes */
	uint64_t file_bytes;	/* size of the .tar.zst */
};

/*
 * Creates the bundle. created = $SOURCE_DATE_EPOCH when set, else now.
 * lading.lock next to the spec is rewritten with the resolved digests
 * (not with locked). Fails with LADING_ERR_USAGE for spec, lock and output
 * path problems, else with the fetch or write error; never leaves a file
 * under the output name on failure. Fills result only on success.
 */
int bundle_create(const struct bundle_create_opts *opts, struct bundle_create_result *result, struct lerr *err);

void bundle_create_result_free(struct bundle_create_result *result);

/*
 * Loads the spec for create and --dry-run: lading.yaml, then its
 * images_from: files and images_file (may be NULL). Errors as for create.
 */
int bundle_create_load_spec(const char *path, const char *images_file, struct bundle_spec *spec, struct lerr *err);

#endif
