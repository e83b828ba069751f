#include "images/fetch_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/log.h"
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

struct pool {
	const struct blob_jobs *jobs;
	blob_job_fn fn;
	void *arg;
	pthread_mutex_t lock;
	size_t next;
	int failed;
	struct lerr first_err;
	struct progress progress;
};

static void on_progress(uint64_t bytes, void *arg)
{
	struct pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	progress_add(&pool->progress, bytes);
	pthread_mutex_unlock(&pool->lock);
}

/* Takes the next job, or NULL when all are taken or one failed. */
static const struct blob_job *take_job(struct pool *pool)
{
	const struct blob_job *job = NULL;

	pthread_mutex_lock(&pool->lock);
	if (!pool->failed && pool->next < pool->jobs->count)
		job = &pool->jobs->items[pool->next++];
	pthread_mutex_unlock(&pool->lock);
	return job;
}

static void *worker(void *arg)
{
	struct pool *pool = arg;
	const struct blob_job *job;
	struct registry_client *client = NULL;
	const struct registry_client *client_origin = NULL;
	struct lerr err;

	while ((job = take_job(pool)) != NULL) {
		/* One HTTP session per worker and repository, carrying the origin's token. */
		if (client_origin != job->origin) {
			registry_client_free(client);
			client = registry_client_clone(job->origin);
			client_origin = job->origin;
		}
		lerr_clear(&err);
		if (pool->fn(client, job, on_progress, pool, pool->arg, &err) != 0) {
			pthread_mutex_lock(&pool->lock);
			if (!pool->failed) {
				pool->failed = 1;
				pool->first_err = err;
			}
			pthread_mutex_unlock(&pool->lock);
		}
	}
	registry_client_free(client);
	return NULL;
}

int blob_jobs_run(const struct blob_jobs *jobs, int workers, const char *what, blob_job_fn fn, void *arg,
		  const struct logger *lg, struct lerr *err)
{
	struct pool pool;
	pthread_t *threads;
	uint64_t total = 0;
	int started = 0, i;

	if (jobs->count == 0)
		return 0;
	memset(&pool, 0, sizeof(pool));
	pool.jobs = jobs;
	pool.fn = fn;
	pool.arg = arg;
	pthread_mutex_init(&pool.lock, NULL);
	for (i = 0; (size_t)i < jobs->count; i++)
		total += jobs->items[i].size;
	progress_start(&pool.progress, lg, what, total);
	if (workers < 1)
		workers = 1;
	if ((size_t)workers > jobs->count)
		workers = (int)jobs->count;
	threads = xcalloc((size_t)workers, sizeof(*threads));
	for (i = 0; i < workers; i++) {
		if (pthread_create(&threads[i], NULL, worker, &pool) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(&pool);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	progress_end(&pool.progress);
	free(threads);
	pthread_mutex_destroy(&pool.lock);
	if (pool.failed) {
		*err = pool.first_err;
		return -1;
	}
	return 0;
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
