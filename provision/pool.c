#include "provision/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "lib/xmalloc.h"

struct pool {
	pthread_mutex_t lock;
	size_t next;
	size_t count;
	void (*fn)(size_t index, void *ctx);
	void *ctx;
};

static void *pool_worker(void *arg)
{
	struct pool *pool = arg;
	size_t index;

	for (;;) {
		pthread_mutex_lock(&pool->lock);
		index = pool->next < pool->count ? pool->next++ : pool->count;
		pthread_mutex_unlock(&pool->lock);
		if (index == pool->count)
			return NULL;
		pool->fn(index, pool->ctx);
	}
}

void prov_pool_run(size_t count, int workers, void (*fn)(size_t index, void *ctx), void *ctx)
{
	struct pool pool = { PTHREAD_MUTEX_INITIALIZER, 0, count, fn, ctx };
	pthread_t *threads;
	size_t started = 0, i, wanted;

	wanted = workers < 1 ? 1 : (size_t)workers;
	if (wanted > count)
		wanted = count;
	threads = xcalloc(wanted ? wanted : 1, sizeof(*threads));
	for (i = 0; i < wanted; i++)
		if (pthread_create(&threads[started], NULL, pool_worker, &pool) == 0)
			started++;
	/* When no thread could start, the caller's thread does the work. */
	if (started == 0)
		pool_worker(&pool);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_mutex_destroy(&pool.lock);
}
