#ifndef LADING_IMAGES_FETCH_POOL_H
#define LADING_IMAGES_FETCH_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "images/registry.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/log.h"

/* Blobs to download, each once, with the client (repository) that serves it. */
struct blob_job {
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	struct registry_client *origin; /* owned by the caller; cloned per worker */
};

struct blob_jobs {
	struct blob_job *items;
	size_t count;
};

/* Adds a blob unless the list already has that digest. */
void blob_jobs_add(struct blob_jobs *jobs, const char *digest, uint64_t size, struct registry_client *origin);
void blob_jobs_free(struct blob_jobs *jobs);

/*
 * Downloads every job into the store with up to workers threads (one HTTP
 * session each), one progress line for all. Stops taking new jobs after the
 * first failure and returns that error.
 */
int blob_jobs_run(const struct blob_jobs *jobs, const char *store, int workers, const struct logger *lg,
		  struct lerr *err);

#endif
