#ifndef LADING_POOL_H
#define LADING_POOL_H

/*
 * The one worker pool for parallel work (blob downloads and uploads, hosts,
 * VMs): a fixed number of threads take jobs, in the order they were
 * submitted, from a bounded queue. A producer that streams (bundle push's
 * reader) waits in pool_submit while the queue is full, and in pool_reserve
 * while the bytes its jobs hold would pass a budget, so memory and disk stay
 * flat however long the stream is.
 *
 * Two modes. POOL_STOP_ON_ERROR: the first job that fails wins, its error is
 * what pool_finish returns, and the pool stops: jobs not started are dropped
 * (never run), running jobs may poll pool_stopping to end early.
 * POOL_KEEP_GOING: a job's failure is its own result, written by the job into
 * the caller's results array; nothing is cancelled and job errors are not
 * returned (one host failing never stops the others).
 *
 * Threads that cannot be created are done without: the pool runs with those
 * that started, and when none did, every job runs in the caller's thread,
 * inside pool_submit, as worker 0. A worker whose worker_start fails takes no
 * jobs; when no worker starts, the pool stops (in either mode) with that
 * worker's error.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct pool;

enum pool_mode {
	POOL_STOP_ON_ERROR,
	POOL_KEEP_GOING,
};

/* Does one job on worker number worker (0 to workers - 1, for per-thread state); -1 with err fails it. */
typedef int (*pool_run_fn)(void *job, size_t worker, void *ctx, struct lerr *err);

struct pool_opts {
	int workers;	  /* threads; fewer than 1 means 1 */
	size_t queue_max; /* jobs waiting before pool_submit blocks; 0 means twice the workers */
	enum pool_mode mode;
	uint64_t budget; /* bytes held at once through pool_reserve; 0 means no budget */
	pool_run_fn run;
	void (*drop)(void *job, void *ctx); /* frees a job that will not run; NULL when jobs own nothing */
	/* On the worker's own thread, before its first job and after its last; both optional. */
	int (*worker_start)(size_t worker, void *ctx, struct lerr *err);
	void (*worker_stop)(size_t worker, void *ctx);
	void *ctx;
	/* Creates one thread like pthread_create; NULL means pthread_create. Tests make it fail. */
	int (*spawn)(pthread_t *thread, void *(*start)(void *), void *arg);
};

/* Starts the workers (see above for threads that fail to start); never NULL. End with pool_finish. */
struct pool *pool_start(const struct pool_opts *opts);

/*
 * Queues job, waiting while the queue is full; the pool owns it from here and
 * either runs it or drops it. reserved: bytes taken with pool_reserve for
 * this job, given back once it ran or was dropped. Returns -1 with the first
 * job's error (or "cancelled") once the pool has stopped; job is dropped then.
 */
int pool_submit(struct pool *pool, void *job, uint64_t reserved, struct lerr *err);

/*
 * Waits until bytes more fit the budget (a job larger than the budget waits
 * until nothing is held, then goes alone); -1 with the first error once the
 * pool has stopped. Hand the bytes to pool_submit, or back with pool_release.
 */
int pool_reserve(struct pool *pool, uint64_t bytes, struct lerr *err);
void pool_release(struct pool *pool, uint64_t bytes);
/* The most bytes held at once so far. */
uint64_t pool_reserved_peak(struct pool *pool);

/* Stops the pool from the caller's side (its producer failed): jobs not started are dropped. */
void pool_cancel(struct pool *pool);
/* True once a job failed (POOL_STOP_ON_ERROR), no worker could start, or the pool was cancelled. */
int pool_stopping(struct pool *pool);

/*
 * Waits for every queued job and the workers, then frees the pool. Returns -1
 * with the first job's error (POOL_STOP_ON_ERROR) or the error of a pool no
 * worker could start; a cancel alone is not an error.
 */
int pool_finish(struct pool *pool, struct lerr *err);

/*
 * Runs every element of items (count of item_size bytes) as a job, with no
 * more workers than elements; elements not run are passed to drop. Returns as
 * pool_finish does; 0 at once when count is 0.
 */
int pool_run_each(const struct pool_opts *opts, void *items, size_t count, size_t item_size, struct lerr *err);

#endif
