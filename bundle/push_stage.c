/* The staging budget and upload workers of `bundle push` (see push_stage.h). */
#include "bundle/push_stage.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

struct stage_item {
	void *job;
	uint64_t size;
	struct stage_item *next;
};

static void *worker(void *arg)
{
	struct stage_pool *pool = arg;
	struct stage_item *item;
	struct lerr err;
	int r;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->head == NULL && !pool->closing)
			pthread_cond_wait(&pool->changed, &pool->lock);
		if ((item = pool->head) == NULL)
			break;
		pool->head = item->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		pool->running++;
		pthread_mutex_unlock(&pool->lock);
		lerr_clear(&err);
		/* After a failure the queued jobs still run their cleanup through fn, which skips the upload. */
		r = pool->fn(item->job, pool->arg, &err);
		pthread_mutex_lock(&pool->lock);
		pool->running--;
		pool->staged -= item->size;
		if (r != 0 && !pool->failed) {
			pool->failed = 1;
			pool->first_err = err;
		}
		free(item);
		pthread_cond_broadcast(&pool->changed);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int stage_pool_start(struct stage_pool *pool, int jobs, uint64_t budget, stage_job_fn fn, void *arg, struct lerr *err)
{
	int i;

	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->changed, NULL);
	pool->budget = budget;
	pool->fn = fn;
	pool->arg = arg;
	pool->threads = xcalloc((size_t)jobs, sizeof(*pool->threads));
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0) {
			lerr_set(err, LADING_ERR_SYSTEM, "cannot start upload thread %d", i + 1);
			stage_pool_finish(pool, NULL);
			return -1;
		}
		pool->thread_count = i + 1;
	}
	return 0;
}

int stage_pool_reserve(struct stage_pool *pool, uint64_t size, struct lerr *err)
{
	int r = 0;

	pthread_mutex_lock(&pool->lock);
	while (!pool->failed && pool->staged > 0 && pool->staged + size > pool->budget)
		pthread_cond_wait(&pool->changed, &pool->lock);
	if (pool->failed) {
		*err = pool->first_err;
		r = -1;
	} else {
		pool->staged += size;
		if (pool->staged > pool->peak)
			pool->peak = pool->staged;
	}
	pthread_mutex_unlock(&pool->lock);
	return r;
}

void stage_pool_release(struct stage_pool *pool, uint64_t size)
{
	pthread_mutex_lock(&pool->lock);
	pool->staged -= size;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

void stage_pool_submit(struct stage_pool *pool, void *job, uint64_t size)
{
	struct stage_item *item = xcalloc(1, sizeof(*item));

	item->job = job;
	item->size = size;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail != NULL)
		pool->tail->next = item;
	else
		pool->head = item;
	pool->tail = item;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

void stage_pool_cancel(struct stage_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->cancelled = 1;
	pthread_mutex_unlock(&pool->lock);
}

int stage_pool_stopping(struct stage_pool *pool)
{
	int stopping;

	pthread_mutex_lock(&pool->lock);
	stopping = pool->failed || pool->cancelled;
	pthread_mutex_unlock(&pool->lock);
	return stopping;
}

int stage_pool_finish(struct stage_pool *pool, struct lerr *err)
{
	int i, r;

	pthread_mutex_lock(&pool->lock);
	pool->closing = 1;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	r = pool->failed ? -1 : 0;
	if (r != 0 && err != NULL)
		*err = pool->first_err;
	free(pool->threads);
	pool->threads = NULL;
	pthread_cond_destroy(&pool->changed);
	pthread_mutex_destroy(&pool->lock);
	return r;
}
