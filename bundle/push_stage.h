#ifndef LADING_BUNDLE_PUSH_STAGE_H
#define LADING_BUNDLE_PUSH_STAGE_H

/*
 * Upload workers for `bundle push` pass 2 with a byte budget on what is staged
 * on disk: the reader reserves a blob's size before staging it (waiting while
 * the staged bytes plus it would exceed the budget), hands it to a worker, and
 * the worker releases the bytes once it deleted the staged file. With the
 * budget at the largest blob, any one blob always fits.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Uploads job (then deletes its staged file); fills err and returns -1 on failure. */
typedef int (*stage_job_fn)(void *job, void *arg, struct lerr *err);

struct stage_item;

struct stage_pool {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t *threads;
	int thread_count;
	struct stage_item *head, *tail;
	uint64_t budget, staged, peak;
	size_t running;
	int closing;
	int failed;
	int cancelled; /* the reader gave up: queued jobs skip their upload */
	struct lerr first_err;
	stage_job_fn fn;
	void *arg;
};

/* Starts jobs workers calling fn(job, arg, err). Fails only if a thread cannot start. */
int stage_pool_start(struct stage_pool *pool, int jobs, uint64_t budget, stage_job_fn fn, void *arg, struct lerr *err);

/* Waits until size more bytes fit the budget; -1 (with the first worker error) once a job failed. */
int stage_pool_reserve(struct stage_pool *pool, uint64_t size, struct lerr *err);

/* Gives back bytes reserved for a blob that was not handed over. */
void stage_pool_release(struct stage_pool *pool, uint64_t size);

/* Queues job (size bytes reserved before); the pool frees nothing: fn owns job. */
void stage_pool_submit(struct stage_pool *pool, void *job, uint64_t size);

/* Marks the pool cancelled (the reader failed): queued jobs only clean up. */
void stage_pool_cancel(struct stage_pool *pool);

/* True once a job failed or the pool was cancelled. */
int stage_pool_stopping(struct stage_pool *pool);

/* Waits for every queued job and the workers; returns -1 with the first error. Frees the pool. */
int stage_pool_finish(struct stage_pool *pool, struct lerr *err);

#endif
