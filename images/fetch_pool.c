#include "images/fetch_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xmalloc.h"

void blob_jobs_append(struct blob_jobs *jobs, const char *digest, uint64_t size, struct registry_client *origin,
		      const char *mount_from)
{
	struct blob_job *job;

	jobs->items = grow_array(jobs->items, jobs->count, sizeof(*jobs->items));
	job = &jobs->items[jobs->count++];
	snprintf(job->digest, DIGEST_STR_MAX, "%s", digest);
	job->size = size;
	job->origin = origin;
	job->mount_from = mount_from;
}

void blob_jobs_add(struct blob_jobs *jobs, const char *digest, uint64_t size, struct registry_client *origin)
{
	size_t i;

	for (i = 0; i < jobs->count; i++)
		if (strcmp(jobs->items[i].digest, digest) == 0)
			return;
	blob_jobs_append(jobs, digest, size, origin, NULL);
}

void blob_jobs_free(struct blob_jobs *jobs)
{
	free(jobs->items);
	memset(jobs, 0, sizeof(*jobs));
}

/* The worker's HTTP session: a clone of the client of the repository it last served. */
struct worker_client {
	struct registry_client *client;
	const struct registry_client *origin;
};

struct blob_run {
	blob_job_fn fn;
	void *arg;
	struct worker_client *clients; /* one per worker */
	pthread_mutex_t lock;	       /* the progress line, from every worker */
	struct progress progress;
};

static void on_progress(uint64_t bytes, void *arg)
{
	struct blob_run *run = arg;

	pthread_mutex_lock(&run->lock);
	progress_add(&run->progress, bytes);
	pthread_mutex_unlock(&run->lock);
}

static int run_job(void *item, size_t worker, void *ctx, struct lerr *err)
{
	const struct blob_job *job = item;
	struct blob_run *run = ctx;
	struct worker_client *wc = &run->clients[worker];

	/* One HTTP session per worker and repository, carrying the origin's token. */
	if (wc->origin != job->origin) {
		registry_client_free(wc->client);
		wc->client = registry_client_clone(job->origin);
		wc->origin = job->origin;
	}
	return run->fn(wc->client, job, on_progress, run, run->arg, err);
}

int blob_jobs_run(const struct blob_jobs *jobs, int workers, const char *what, blob_job_fn fn, void *arg,
		  const struct logger *lg, struct lerr *err)
{
	struct blob_run run = {fn, arg, NULL, PTHREAD_MUTEX_INITIALIZER, {0}};
	struct pool_opts opts = {0};
	uint64_t total = 0;
	size_t i;
	int r;

	if (jobs->count == 0)
		return 0;
	for (i = 0; i < jobs->count; i++)
		total += jobs->items[i].size;
	opts.workers = workers < 1 ? 1 : workers;
	opts.mode = POOL_STOP_ON_ERROR;
	opts.run = run_job;
	opts.ctx = &run;
	run.clients = xcalloc((size_t)opts.workers, sizeof(*run.clients));
	progress_start(&run.progress, lg, what, total);
	r = pool_run_each(&opts, jobs->items, jobs->count, sizeof(*jobs->items), err);
	progress_end(&run.progress);
	for (i = 0; i < (size_t)opts.workers; i++)
		registry_client_free(run.clients[i].client);
	free(run.clients);
	pthread_mutex_destroy(&run.lock);
	return r;
}

static int fetch_job(struct registry_client *c, const struct blob_job *job, registry_progress_fn progress,
		     void *progress_arg, void *arg, struct lerr *err)
{
	return registry_blob_fetch(c, arg, job->digest, job->size, progress, progress_arg, err);
}

int blob_jobs_fetch(const struct blob_jobs *jobs, const char *store, int workers, const struct logger *lg,
		    struct lerr *err)
{
	return blob_jobs_run(jobs, workers, "fetching blobs", fetch_job, (void *)store, lg, err);
}
