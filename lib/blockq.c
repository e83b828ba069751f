/*
 * One mutex and two conditions: the producer waits on has_empty, the consumer
 * on has_full. Full buffers wait in a ring of indices (FIFO: the stream's
 * order), empty ones on a stack (the most recently used buffer is the one
 * most likely still in cache).
 */
#include "lib/blockq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

struct blockq {
	pthread_mutex_t lock;
	pthread_cond_t has_empty;
	pthread_cond_t has_full;
	struct blockq_block *blocks;
	size_t count;
	size_t *empty; /* stack of indices, empty_count of them */
	size_t empty_count;
	size_t *full; /* ring of indices: full_count from full_head */
	size_t full_head;
	size_t full_count;
	int finished;
	int cancelled;
	struct lerr failure; /* the producer's reason when failed */
	int failed;
};

int blockq_new(struct blockq **out, size_t count, size_t size, struct lerr *err)
{
	struct blockq *q;
	size_t i;

	if (count == 0 || size == 0)
		return lerr_set(err, LADING_ERR_SYSTEM, "block queue: %zu buffers of %zu bytes", count, size);
	q = xcalloc(1, sizeof(*q));
	if (pthread_mutex_init(&q->lock, NULL) != 0) {
		free(q);
		return lerr_set(err, LADING_ERR_SYSTEM, "block queue: cannot create a lock");
	}
	if (pthread_cond_init(&q->has_empty, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		free(q);
		return lerr_set(err, LADING_ERR_SYSTEM, "block queue: cannot create a condition");
	}
	if (pthread_cond_init(&q->has_full, NULL) != 0) {
		pthread_cond_destroy(&q->has_empty);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return lerr_set(err, LADING_ERR_SYSTEM, "block queue: cannot create a condition");
	}
	q->count = count;
	q->blocks = xcalloc(count, sizeof(*q->blocks));
	q->empty = xcalloc(count, sizeof(*q->empty));
	q->full = xcalloc(count, sizeof(*q->full));
	for (i = 0; i < count; i++) {
		q->blocks[i].data = xmalloc(size);
		q->blocks[i].size = size;
		q->empty[count - 1 - i] = i;
	}
	q->empty_count = count;
	*out = q;
	return 0;
}

static size_t index_of(const struct blockq *q, const struct blockq_block *block)
{
	size_t i = (size_t)(block - q->blocks);

	if (block < q->blocks || i >= q->count)
		abort(); /* not one of ours: a bug in the caller, and memory would be corrupted */
	return i;
}

struct blockq_block *blockq_acquire(struct blockq *q)
{
	struct blockq_block *block = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->empty_count == 0 && !q->cancelled)
		pthread_cond_wait(&q->has_empty, &q->lock);
	if (!q->cancelled) {
		block = &q->blocks[q->empty[--q->empty_count]];
		block->len = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return block;
}

void blockq_push(struct blockq *q, struct blockq_block *block)
{
	size_t i = index_of(q, block);

	pthread_mutex_lock(&q->lock);
	/* Room is certain: a block is in at most one place, and the ring holds them all. */
	q->full[(q->full_head + q->full_count) % q->count] = i;
	q->full_count++;
	pthread_cond_signal(&q->has_full);
	pthread_mutex_unlock(&q->lock);
}

void blockq_finish(struct blockq *q, const struct lerr *err)
{
	pthread_mutex_lock(&q->lock);
	q->finished = 1;
	if (err != NULL) {
		q->failure = *err;
		q->failed = 1;
	}
	pthread_cond_broadcast(&q->has_full);
	pthread_mutex_unlock(&q->lock);
}

int blockq_pop(struct blockq *q, struct blockq_block **block, struct lerr *err)
{
	int rc = 1;

	pthread_mutex_lock(&q->lock);
	while (q->full_count == 0 && !q->finished)
		pthread_cond_wait(&q->has_full, &q->lock);
	if (q->full_count > 0) {
		*block = &q->blocks[q->full[q->full_head]];
		q->full_head = (q->full_head + 1) % q->count;
		q->full_count--;
	} else if (q->failed) {
		if (err != NULL)
			*err = q->failure;
		rc = -1;
	} else {
		rc = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void blockq_release(struct blockq *q, struct blockq_block *block)
{
	size_t i = index_of(q, block);

	pthread_mutex_lock(&q->lock);
	q->empty[q->empty_count++] = i;
	pthread_cond_signal(&q->has_empty);
	pthread_mutex_unlock(&q->lock);
}

void blockq_cancel(struct blockq *q)
{
	pthread_mutex_lock(&q->lock);
	q->cancelled = 1;
	pthread_cond_broadcast(&q->has_empty);
	pthread_mutex_unlock(&q->lock);
}

void blockq_free(struct blockq *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->count; i++)
		free(q->blocks[i].data);
	free(q->blocks);
	free(q->empty);
	free(q->full);
	pthread_cond_destroy(&q->has_full);
	pthread_cond_destroy(&q->has_empty);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
