#ifndef LADING_IMAGES_FETCH_H
#define LADING_IMAGES_FETCH_H

/*
 * CONTRACT between images/ (implements) and bundle/ (consumes).
 * Resolve image references against registries and bring every manifest,
 * index, config and layer they need into a content-addressed store directory
 * (STORE/blobs/sha256/<hex>, written under a temporary name and renamed only
 * after the digest matched). Knows nothing about tarballs.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"
#include "lib/hostcfg.h"
#include "lib/log.h"

struct image_request {
	const char *ref;	      /* as written: "nginx", "host:5000/a/b:tag", "a/b@sha256:..." */
	const char *const *platforms; /* "linux/amd64", "linux/arm64/v8", "all"; NULL/0 = linux/amd64 */
	size_t platform_count;
	const char *locked_digest; /* from lading.lock ("sha256:..."), or NULL */
};

struct image_result {
	char *ref;		     /* normalised: "docker.io/library/nginx:1.27" (or "...@sha256:...") */
	char *resolved_digest;	     /* what the tag resolved to upstream (goes to lading.lock) */
	char *media_type;	     /* media type of the stored top-level manifest or index */
	char digest[DIGEST_STR_MAX]; /* digest of the stored top-level manifest or index */
	uint64_t size;		     /* its size in bytes */
	char *source_index_digest;   /* the upstream index, stored too, when the top level is not it; else NULL */
	char **platforms;	     /* platforms stored, "os/arch[/variant]" */
	size_t platform_count;
	char **blobs; /* every digest this image needs in the store, top-level included */
	size_t blob_count;
	uint64_t total_size; /* sum of the sizes of blobs */
};

struct image_fetch_opts {
	const char *store_dir;		   /* content-addressed store root */
	const struct host_set *registries; /* per-host TLS settings; may be NULL */
	const char *auth_file;	 /* docker config.json; NULL = $LADING_REGISTRY_AUTH_FILE or ~/.docker/config.json */
	int jobs;		 /* parallel blob downloads (default 4) */
	int locked;		 /* refuse any ref without locked_digest */
	const struct logger *lg; /* progress and -v messages; may be NULL */
	uint64_t max_recv_speed; /* bytes per second per download, 0 = no cap (added by images) */
};

/*
 * Fetches every request; results[i] answers reqs[i]. Fails on the first image
 * that cannot be fetched, naming it; blobs already stored are never fetched
 * again. *results is allocated (free with image_results_free) only on success.
 */
int images_fetch(const struct image_fetch_opts *opts, const struct image_request *reqs, size_t count,
		 struct image_result **results, struct lerr *err);

void image_results_free(struct image_result *results, size_t count);

#endif
