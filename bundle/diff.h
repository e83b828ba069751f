#ifndef LADING_BUNDLE_DIFF_H
#define LADING_BUNDLE_DIFF_H

/*
 * `lading bundle diff OLD NEW` (issue 17): what changed between two bills of
 * lading, from their heads alone. Images are matched by reference: added,
 * removed, updated (same reference, another digest) or retagged (a reference
 * new to NEW whose digest OLD held under another one). Blobs are matched by
 * digest: how many, and how many bytes, NEW adds, drops and shares with OLD —
 * what a delta bundle against OLD would carry. Every other entry (charts,
 * providers, files, packages) is matched by path: added, removed, or changed
 * (another sha256).
 */
#include <jansson.h>

#include "bundle/format/manifest.h"
#include "lib/buf.h"
#include "lib/err.h"

/*
 * The differences as one JSON object: {"old", "new", "images": {"added",
 * "removed", "updated", "retagged", "unchanged"}, "blobs": {"added",
 * "removed", "shared"} (each {"count", "bytes"}), "entries": {"added",
 * "removed", "changed"} (each a list of {"path", "kind", "size"...}),
 * "identical"}. The caller owns it.
 */
json_t *bundle_diff(const struct bundle_manifest *old, const struct bundle_manifest *new);

/* The human listing of what bundle_diff returned. */
void bundle_diff_text(const json_t *diff, struct buf *out);

#endif
