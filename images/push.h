#ifndef LADING_IMAGES_PUSH_H
#define LADING_IMAGES_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "images/fetch.h"
#include "lib/err.h"
#include "lib/log.h"

/*
 * Push images from the content-addressed store (STORE/blobs/sha256/<hex>) into
 * registries: blobs first (HEAD and skip, cross-repository mount for a blob
 * another image of the same push already put on that registry, monolithic or
 * chunked upload), then child manifests, then each top-level manifest or index
 * under its tag. Digests never change.
 */
struct image_push_request {
	const char *dest_ref; /* "host[:port]/repo[:tag]"; without a tag the image is pushed by digest only */
	const char *digest;   /* top-level manifest or index in the store */
};

struct image_push_opts {
	const char *store_dir;
	const struct host_set *registries; /* per-host TLS settings; may be NULL */
	const char *auth_file;		   /* see images_fetch */
	int jobs;			   /* parallel blob uploads (default 4) */
	uint64_t chunk_size;
	uint64_t max_speed;
	/* bytes per second per upload, 0 = no cap */ /* blobs above it go in PATCH chunks (0 = 16 MiB) */
	const struct logger *lg;
};

struct image_push_stats {
	size_t images;
	size_t manifests_sent;
	size_t manifests_present;
	size_t blobs_sent;
	size_t blobs_present;
	size_t blobs_mounted;
	uint64_t bytes_sent;
};

/*
 * Pushes every request; fails on the first error, naming the image and the
 * digest. stats (may be NULL) counts what was sent and what was already there.
 */
int images_push(const struct image_push_opts *opts, const struct image_push_request *reqs, size_t count,
		struct image_push_stats *stats, struct lerr *err);

#endif
