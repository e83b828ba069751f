#ifndef LADING_BUNDLE_INSPECT_SOURCES_H
#define LADING_BUNDLE_INSPECT_SOURCES_H

#include <jansson.h>

#include "bundle/format/manifest.h"
#include "lib/buf.h"

/* The .debs under apt/: [{source, name, version, arch, path, size, sha256}], in bundle order. */
json_t *bundle_inspect_packages_json(const struct bundle_manifest *m);

/* The normalized module archives under modules/: [{source, version, path, size, sha256}], in bundle order. */
json_t *bundle_inspect_modules_json(const struct bundle_manifest *m);

/* The git/NAME.bundle rows as [{name, url, path, size, sha256, head, refs: {REF: ID}}]; a new reference. */
json_t *bundle_inspect_git_json(const struct bundle_manifest *m);

/* Appends one table per kind (charts, providers, modules, files, packages) listing its rows with sizes; nothing for
 * absent kinds. */
void bundle_inspect_sources_text(const struct bundle_manifest *m, struct buf *out);

/* Appends an IMAGE ORIGIN table (where the spec named each image) when lading.json records origins. */
void bundle_inspect_origins_text(const struct bundle_manifest *m, struct buf *out);

#endif
