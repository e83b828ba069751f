#ifndef LADING_BUNDLE_LAYOUT_H
#define LADING_BUNDLE_LAYOUT_H

/*
 * The oci/ part of a bundle: an OCI image layout (oci-layout, index.json with
 * one descriptor per image named by org.opencontainers.image.ref.name, and
 * blobs/sha256/<hex> each blob once however many images share it).
 */
#include <stddef.h>

#include "bundle/format/manifest.h"
#include "images/fetch.h"
#include "lib/err.h"

#define BUNDLE_OCI_REF_ANNOTATION "org.opencontainers.image.ref.name"
/*
 * On an image's index.json descriptor: the upstream index its top level was
 * chosen from, carried in blobs/ as it came, with the children of the carried
 * platforms (others absent). Served and pushed by its digest too.
 */
#define BUNDLE_OCI_UPSTREAM_ANNOTATION "io.lading.upstream-index"

/*
 * Adds the rows (with their sources in store_dir) and one bundle_image per
 * result to m. Blob sizes come from the store; their digests are checked
 * again by the writer as it streams them. Fails when a blob is missing from
 * the store or two images have the same normalised reference.
 */
int bundle_layout_add_images(struct bundle_manifest *m, const char *store_dir, const struct image_result *results,
			     size_t count, struct lerr *err);

#endif
