#ifndef LADING_BUNDLE_INSPECT_SOURCES_H
#define LADING_BUNDLE_INSPECT_SOURCES_H

#include "bundle/format/manifest.h"
#include "lib/buf.h"

/* Appends one table per kind (charts, providers, files) listing its rows with sizes; nothing for absent kinds. */
void bundle_inspect_sources_text(const struct bundle_manifest *m, struct buf *out);

#endif
