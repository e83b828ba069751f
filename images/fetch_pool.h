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
	const char *mount_from;		/* push: repository to mount the blob from, or NULL */
};

struct blob_jobs {
	struct blob_job *items;
	size_t count;
};

/* Adds a blob unless the list already has that digest. */
void blob_jobs_add(struct blob_jobs *jobs, const char *digest, uint64_t size, struct registry_client *origin);
/* Adds a job unconditionally (the caller deduplicates). */
void blob_jobs_append(struct blob_jobs *jobs, const char *digest, uint64_t size, struct registry_client *origin,
		      const char *mount_from);
void blob_jobs_free(struct blob_jobs *jobs);

/* Does one job with the worker's own client; progress may be called from any worker. */
typedef int (*blob_job_fn)(struct registry_client *c, const struct blob_job *job, registry_progress_fn progress,
			   void *progress_arg, void *arg, struct lerr *err);

/*
 * Runs fn for every job with up to workers threads (one client, so one HTTP
 * session, per worker and repository), one progress line ("what") for all.
 * Stops taking new jobs after the first failure and returns that error.
 */
int blob_jobs_run(const struct blob_jobs *jobs, int workers, const char *what, blob_job_fn fn, void *arg,
		  const struct logger *lg, struct lerr *err);

/* blob_jobs_run with registry_blob_fetch into the store directory. */
int blob_jobs_fetch(const struct blob_jobs *jobs, const char *store, int workers, const struct logger *lg,
		    struct lerr *err);

#endif
