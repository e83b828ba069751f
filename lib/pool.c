/* The worker pool (see pool.h): one lock and one condition guard the queue, the budget and the state. */
#include "lib/pool.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

struct pool_item {
	void *job;
	uint64_t reserved;
};

struct pool_worker {
	struct pool *pool;
	size_t index;
};

struct pool {
	struct pool_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* the queue, the bytes held or the state changed */
	pthread_t *threads;
	struct pool_worker *workers;
	size_t thread_count;	 /* threads created */
	size_t starting;	 /* workers that may still take jobs but have not started */
	size_t live;		 /* workers that started and take jobs */
	int caller_runs;	 /* no thread could be created: the caller is worker 0 */
	int caller_started;	 /* and its worker_start succeeded */
	struct pool_item *queue; /* a ring of opts.queue_max */
	size_t head, queued;
	uint64_t held, peak;
	int closing;
	int cancelled;
	int failed;
	struct lerr first_err;
	struct lerr start_err; /* the first failed worker_start */
};

static int default_spawn(pthread_t *thread, void *(*start)(void *), void *arg)
{
	return pthread_create(thread, NULL, start, arg);
}

/* Under the lock: the first failure is kept, later ones are not. */
static void fail(struct pool *pool, const struct lerr *err)
{
	if (!pool->failed) {
		pool->failed = 1;
		pool->first_err = *err;
	}
	pthread_cond_broadcast(&pool->changed);
}

/* Under the lock. */
static int stopping(const struct pool *pool)
{
	return pool->failed || pool->cancelled;
}

/* Under the lock: why a stopped pool refuses more work. */
static int stopped_error(const struct pool *pool, struct lerr *err)
{
	if (!pool->failed)
		return lerr_set(err, LADING_ERR_SYSTEM, "cancelled");
	if (err != NULL)
		*err = pool->first_err;
	return -1;
}

/* Under the lock: a worker that will never take a job; the last one out with none live stops the pool. */
static void worker_gone(struct pool *pool)
{
	pool->starting--;
	if (pool->starting == 0 && pool->live == 0 && pool->thread_count > 0)
		fail(pool, &pool->start_err);
}

/* Runs one item, or drops it when the pool has stopped; gives back its bytes. Called without the lock. */
static void run_item(struct pool *pool, struct pool_item item, size_t worker)
{
	const struct pool_opts *o = &pool->opts;
	struct lerr err;
	int stop, r = 0;

	pthread_mutex_lock(&pool->lock);
	stop = stopping(pool);
	pthread_mutex_unlock(&pool->lock);
	lerr_clear(&err);
	if (stop) {
		if (o->drop != NULL)
			o->drop(item.job, o->ctx);
	} else {
		r = o->run(item.job, worker, o->ctx, &err);
	}
	pthread_mutex_lock(&pool->lock);
	pool->held -= item.reserved;
	if (r != 0 && o->mode == POOL_STOP_ON_ERROR)
		fail(pool, &err);
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

/* worker_start, with a message of our own should it fail without one. */
static int start_worker(struct pool *pool, size_t worker, struct lerr *err)
{
	lerr_clear(err);
	if (pool->opts.worker_start == NULL || pool->opts.worker_start(worker, pool->opts.ctx, err) == 0)
		return 0;
	if (err->code == LADING_OK)
		lerr_set(err, LADING_ERR_SYSTEM, "worker %zu could not start", worker + 1);
	return -1;
}

static void *worker_main(void *arg)
{
	struct pool_worker *w = arg;
	struct pool *pool = w->pool;
	const struct pool_opts *o = &pool->opts;
	struct lerr err;
	int started;

	started = start_worker(pool, w->index, &err) == 0;
	pthread_mutex_lock(&pool->lock);
	if (!started) {
		if (pool->start_err.code == LADING_OK)
			pool->start_err = err;
		worker_gone(pool);
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	pool->starting--;
	pool->live++;
	for (;;) {
		struct pool_item item;

		while (pool->queued == 0 && !pool->closing)
			pthread_cond_wait(&pool->changed, &pool->lock);
		if (pool->queued == 0)
			break;
		item = pool->queue[pool->head];
		pool->head = (pool->head + 1) % o->queue_max;
		pool->queued--;
		pthread_cond_broadcast(&pool->changed);
		pthread_mutex_unlock(&pool->lock);
		run_item(pool, item, w->index);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	if (o->worker_stop != NULL)
		o->worker_stop(w->index, o->ctx);
	return NULL;
}

/* No thread at all: the caller's thread becomes worker 0, jobs run inside pool_submit. */
static void caller_start(struct pool *pool)
{
	struct lerr err;

	pool->caller_runs = 1;
	if (start_worker(pool, 0, &err) != 0) {
		pthread_mutex_lock(&pool->lock);
		fail(pool, &err);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->caller_started = 1;
}

struct pool *pool_start(const struct pool_opts *opts)
{
	struct pool *pool = xcalloc(1, sizeof(*pool));
	int (*spawn)(pthread_t *, void *(*)(void *), void *) = opts->spawn ? opts->spawn : default_spawn;
	size_t count, i;

	pool->opts = *opts;
	if (pool->opts.workers < 1)
		pool->opts.workers = 1;
	count = (size_t)pool->opts.workers;
	if (pool->opts.queue_max == 0)
		pool->opts.queue_max = 2 * count;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->changed, NULL);
	lerr_clear(&pool->first_err);
	lerr_clear(&pool->start_err);
	pool->queue = xcalloc(pool->opts.queue_max, sizeof(*pool->queue));
	pool->threads = xcalloc(count, sizeof(*pool->threads));
	pool->workers = xcalloc(count, sizeof(*pool->workers));
	pool->starting = count;
	for (i = 0; i < count; i++) {
		pool->workers[i].pool = pool;
		pool->workers[i].index = i;
		/* Under the lock: a worker that fails its start reads thread_count. */
		pthread_mutex_lock(&pool->lock);
		if (spawn(&pool->threads[pool->thread_count], worker_main, &pool->workers[i]) == 0)
			pool->thread_count++;
		else
			worker_gone(pool);
		pthread_mutex_unlock(&pool->lock);
	}
	if (pool->thread_count == 0)
		caller_start(pool);
	return pool;
}

int pool_submit(struct pool *pool, void *job, uint64_t reserved, struct lerr *err)
{
	struct pool_item item = {job, reserved};
	int r = 0;

	pthread_mutex_lock(&pool->lock);
	while (!pool->caller_runs && !stopping(pool) && pool->queued == pool->opts.queue_max)
		pthread_cond_wait(&pool->changed, &pool->lock);
	if (stopping(pool)) {
		r = stopped_error(pool, err);
	} else if (!pool->caller_runs) {
		pool->queue[(pool->head + pool->queued) % pool->opts.queue_max] = item;
		pool->queued++;
		pthread_cond_broadcast(&pool->changed);
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pthread_mutex_unlock(&pool->lock);
	/* Dropped when stopped, else run here by the caller as worker 0. */
	run_item(pool, item, 0);
	if (r == 0 && pool_stopping(pool)) {
		pthread_mutex_lock(&pool->lock);
		r = stopped_error(pool, err);
		pthread_mutex_unlock(&pool->lock);
	}
	return r;
}

int pool_reserve(struct pool *pool, uint64_t bytes, struct lerr *err)
{
	int r = 0;

	pthread_mutex_lock(&pool->lock);
	while (!stopping(pool) && pool->opts.budget > 0 && pool->held > 0 && pool->held + bytes > pool->opts.budget)
		pthread_cond_wait(&pool->changed, &pool->lock);
	if (stopping(pool)) {
		r = stopped_error(pool, err);
	} else {
		pool->held += bytes;
		if (pool->held > pool->peak)
			pool->peak = pool->held;
	}
	pthread_mutex_unlock(&pool->lock);
	return r;
}

void pool_release(struct pool *pool, uint64_t bytes)
{
	pthread_mutex_lock(&pool->lock);
	pool->held -= bytes;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

uint64_t pool_reserved_peak(struct pool *pool)
{
	uint64_t peak;

	pthread_mutex_lock(&pool->lock);
	peak = pool->peak;
	pthread_mutex_unlock(&pool->lock);
	return peak;
}

void pool_cancel(struct pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->cancelled = 1;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
}

int pool_stopping(struct pool *pool)
{
	int r;

	pthread_mutex_lock(&pool->lock);
	r = stopping(pool);
	pthread_mutex_unlock(&pool->lock);
	return r;
}

int pool_finish(struct pool *pool, struct lerr *err)
{
	const struct pool_opts *o = &pool->opts;
	size_t i;
	int r;

	pthread_mutex_lock(&pool->lock);
	pool->closing = 1;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	/* Jobs no worker was left to take (none could start): dropped, like any job of a stopped pool. */
	for (; pool->queued > 0; pool->queued--) {
		if (o->drop != NULL)
			o->drop(pool->queue[pool->head].job, o->ctx);
		pool->held -= pool->queue[pool->head].reserved;
		pool->head = (pool->head + 1) % o->queue_max;
	}
	if (pool->caller_started && o->worker_stop != NULL)
		o->worker_stop(0, o->ctx);
	r = pool->failed ? -1 : 0;
	if (r != 0 && err != NULL)
		*err = pool->first_err;
	pthread_cond_destroy(&pool->changed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->queue);
	free(pool->threads);
	free(pool->workers);
	free(pool);
	return r;
}

int pool_run_each(const struct pool_opts *opts, void *items, size_t count, size_t item_size, struct lerr *err)
{
	struct pool_opts o = *opts;
	struct pool *pool;
	size_t i = 0;

	if (count == 0)
		return 0;
	if ((size_t)o.workers > count)
		o.workers = (int)count;
	pool = pool_start(&o);
	while (i < count && pool_submit(pool, (char *)items + i * item_size, 0, NULL) == 0)
		i++;
	/* pool_submit dropped the element it refused; the ones after it were never offered. */
	for (i++; i < count && o.drop != NULL; i++)
		o.drop((char *)items + i * item_size, o.ctx);
	return pool_finish(pool, err);
}
