#ifndef LADING_SERVE_BLOB_H
#define LADING_SERVE_BLOB_H

#include <stdint.h>

#include "bundle/format/view.h"

/*
 * What an answer's bytes are, whichever way content was loaded: an open file
 * of a served directory (fd >= 0), or an entry of the bundle file served from
 * (bf and entry set, fd -1). The catalog and trees hand one out per request.
 */
struct serve_blob {
	int fd;
	const struct bundle_view *bf;
	const struct bundle_entry *entry;
	uint64_t size;
};

#endif
