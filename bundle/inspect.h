#ifndef LADING_BUNDLE_INSPECT_H
#define LADING_BUNDLE_INSPECT_H

/* What a bundle holds, from its head alone: lading.json is the first entry, so nothing else is read. */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/manifest.h"
#include "lib/buf.h"
#include "lib/err.h"

struct bundle_info {
	struct bundle_manifest manifest;
	int is_signed;		/* lading.json.minisig is the second entry */
	uint64_t file_size;	/* bytes of the .tar.zst */
	uint64_t content_bytes; /* sum of every row's size */
	size_t blob_count;	/* oci-blob rows */
	uint64_t blob_bytes;
	size_t base_entries; /* a delta's rows left to its base */
	uint64_t base_bytes;
};

/* Reads the head of path into info (free with bundle_info_free); fails like bundle_reader_open. */
int bundle_inspect(const char *path, struct bundle_info *info, struct lerr *err);

/* Appends the human listing (images with platforms and sizes, totals) to out. */
void bundle_inspect_text(const struct bundle_info *info, struct buf *out);

/* The same as one JSON object (one line, newline-terminated); the caller frees it. */
char *bundle_inspect_json(const struct bundle_info *info);

void bundle_info_free(struct bundle_info *info);

#endif
