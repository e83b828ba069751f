#ifndef LADING_SERVE_CONTENT_H
#define LADING_SERVE_CONTENT_H

/*
 * Everything one `lading serve` answers from, loaded once at start from a
 * directory laid out like an extracted bundle: oci/ (OCI image layout),
 * charts/ (index.yaml + tgz), providers/ (network mirror JSON + zips), modules/
 * (normalized module archives), files/,
 * apt/ (apt repositories), git/ (git bundles).
 * Read-only afterwards: the server threads share it without locks.
 */
#include <stddef.h>

#include "images/naming.h"
#include "lib/err.h"
#include "lib/log.h"
#include "bundle/format/view.h"
#include "serve/catalog.h"
#include "serve/tree.h"

struct serve_git;

struct serve_content {
	struct serve_catalog *catalog; /* NULL when there is no oci/ */
	struct serve_tree *charts;
	struct serve_tree *providers;
	struct serve_tree *modules; /* modules/HOST/NS/NAME/SYSTEM/VERSION.tar.gz (serve/modules.c) */
	struct serve_tree *files;
	struct serve_tree *apt; /* apt/NAME/…: repositories a node's apt reads, InRelease from upstream */
	struct serve_git *git;	/* git/NAME.bundle as repositories under /git/ (serve/git.c) */
	char *helm_index;	/* charts/index.yaml as read, or NULL */
	size_t helm_index_len;
};

/*
 * Loads root; fails when root is missing, holds none of the four parts, or a
 * part is inconsistent (a manifest's digest, a missing blob, a chart URL that
 * names no file; with verify_blobs, a blob whose bytes do not hash to its
 * name). The git/ repositories are cloned under cache_dir (NULL: the
 * default, serve_git_load). Free with serve_content_free (also after a failure).
 */
int serve_content_load(const char *root, const struct naming_opts *naming, int verify_blobs, const char *cache_dir,
		       const struct logger *lg, struct serve_content *out, struct lerr *err);
/*
 * The same from a bundle served from its file (bf must outlive content): the
 * parts are its entries under oci/, charts/, …; oci/index.json, the manifests
 * and charts/index.yaml are read (and checked chunk by chunk) now, blobs and
 * files per request.
 */
int serve_content_load_bundle(const struct bundle_view *bf, const struct naming_opts *naming, const char *cache_dir,
			      const struct logger *lg, struct serve_content *out, struct lerr *err);
void serve_content_free(struct serve_content *content);

#endif
