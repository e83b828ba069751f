#ifndef LADING_SERVE_CATALOG_H
#define LADING_SERVE_CATALOG_H

/*
 * What the registry side of `lading serve` knows, built once at start from an
 * OCI image layout (oci/index.json + blobs/sha256): repositories named by the
 * push mapping (images/naming.h), their tags, and for each repository the set
 * of digests its images reference (manifests, indexes, configs, layers). A
 * request can only ever reach a blob in that set. Read-only after load, so the
 * server threads share it without locks.
 */
#include <stddef.h>
#include <stdint.h>

#include "images/naming.h"
#include "lib/err.h"
#include "lib/log.h"
#include "serve/blob.h"

struct serve_catalog;

struct serve_catalog_stats {
	size_t images; /* descriptors in index.json that were mapped */
	size_t repositories;
	size_t blobs;	/* distinct digests referenced */
	uint64_t bytes; /* their total size */
};

/*
 * Loads the layout in oci_dir: checks every manifest's digest, every blob's
 * presence and size (and, with verify_blobs, its digest: a directory that no
 * bundle verification covered), and that no two refs map to the same
 * repository:tag. *out is set on success (free with serve_catalog_free). Fails
 * with LADING_ERR_FORMAT/NOTFOUND/SIGNATURE naming the file or digest.
 */
int serve_catalog_load(const char *oci_dir, const struct naming_opts *naming, int verify_blobs, const struct logger *lg,
		       struct serve_catalog **out, struct lerr *err);
/*
 * The same from the oci/ entries of a bundle served from its file (bf must
 * outlive the catalog): nothing is hashed at load, each entry is checked
 * chunk by chunk whenever it is read (manifests now, blobs per request).
 */
int serve_catalog_load_bundle(const struct bundle_view *bf, const struct naming_opts *naming, const struct logger *lg,
			      struct serve_catalog **out, struct lerr *err);
void serve_catalog_free(struct serve_catalog *cat);

void serve_catalog_stats(const struct serve_catalog *cat, struct serve_catalog_stats *stats);

/* True when the repository exists. */
int serve_catalog_has_repo(const struct serve_catalog *cat, const char *repo);

/* The digest a tag points to in repo, or NULL. Owned by the catalog. */
const char *serve_catalog_tag(const struct serve_catalog *cat, const char *repo, const char *tag);

/* The media type of a manifest or index referenced by repo, or NULL when digest is none of its manifests. */
const char *serve_catalog_manifest_type(const struct serve_catalog *cat, const char *repo, const char *digest);

/* True when digest is referenced by an image of repo (any blob, manifests included). */
int serve_catalog_blob_in_repo(const struct serve_catalog *cat, const char *repo, const char *digest);

/*
 * Opens the blob file of a validated "sha256:<hex>" digest (never any other
 * path) read-only; sets *fd (caller closes) and *size. Fails with LADING_ERR_NOTFOUND.
 */
int serve_catalog_open_blob(const struct serve_catalog *cat, const char *digest, int *fd, uint64_t *size,
			    struct lerr *err);

/*
 * The blob of a validated digest, from the directory (b->fd open, the caller
 * closes it) or the bundle file (b->entry). Fails with LADING_ERR_NOTFOUND.
 */
int serve_catalog_blob(const struct serve_catalog *cat, const char *digest, struct serve_blob *b, struct lerr *err);

/*
 * Sorted names: every repository, or the tags of repo. Returns a newly
 * allocated NULL-terminated vector of strings owned by the catalog (the caller
 * frees the vector only); *count gets the number of names.
 */
const char **serve_catalog_repo_names(const struct serve_catalog *cat, size_t *count);
const char **serve_catalog_tag_names(const struct serve_catalog *cat, const char *repo, size_t *count);

#endif
