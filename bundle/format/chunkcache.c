/* A bounded, shared cache of verified chunks (see chunkcache.h). */
#include "bundle/format/chunkcache.h"

#include <pthread.h>
#include <stdlib.h>

#include "lib/xmalloc.h"

enum slot_state { SLOT_EMPTY, SLOT_LOADING, SLOT_READY };

struct slot {
	const struct bundle_entry *entry;
	uint64_t index;
	enum slot_state state;
	unsigned pins;
	uint64_t used; /* clock of its last pin, for least recently used */
	unsigned char *data;
	size_t len;
};

struct chunk_cache {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct slot *slots;
	size_t slot_count;
	struct bundle_chunk_reader **readers; /* the free ones are readers[0, free_readers) */
	size_t reader_count, free_readers;
	uint64_t clock;
	struct chunk_cache_stats stats;
};

struct chunk_cache *chunk_cache_new(size_t slots, size_t readers)
{
	struct chunk_cache *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->slot_count = slots > 0 ? slots : 1;
	c->reader_count = readers > 0 ? readers : 1;
	c->slots = xcalloc(c->slot_count, sizeof(*c->slots));
	c->readers = xcalloc(c->reader_count, sizeof(*c->readers));
	for (i = 0; i < c->reader_count; i++)
		c->readers[i] = bundle_chunk_reader_new();
	c->free_readers = c->reader_count;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, NULL);
	return c;
}

void chunk_cache_free(struct chunk_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->slot_count; i++)
		free(c->slots[i].data);
	for (i = 0; i < c->reader_count; i++)
		bundle_chunk_reader_free(c->readers[i]);
	free(c->slots);
	free(c->readers);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->changed);
	free(c);
}

static struct slot *find(struct chunk_cache *c, const struct bundle_entry *e, uint64_t index)
{
	size_t i;

	for (i = 0; i < c->slot_count; i++)
		if (c->slots[i].state != SLOT_EMPTY && c->slots[i].entry == e && c->slots[i].index == index)
			return &c->slots[i];
	return NULL;
}

/* An unpinned slot that is not loading, empty ones first, then the least recently used; NULL if none. */
static struct slot *victim(struct chunk_cache *c)
{
	struct slot *best = NULL;
	size_t i;

	for (i = 0; i < c->slot_count; i++) {
		struct slot *s = &c->slots[i];

		if (s->state == SLOT_EMPTY)
			return s;
		if (s->state == SLOT_READY && s->pins == 0 && (best == NULL || s->used < best->used))
			best = s;
	}
	return best;
}

static void pin(struct chunk_cache *c, struct slot *s, struct chunk_ref *ref)
{
	s->pins++;
	s->used = ++c->clock;
	ref->data = s->data;
	ref->len = s->len;
	ref->start = s->index * BUNDLE_CHUNK_SIZE;
	ref->slot = s;
}

/* Decompresses and checks the chunk into s, claimed by the caller, outside the lock. */
static int load(struct chunk_cache *c, struct slot *s, int fd, const char *name, const struct seektable *t,
		struct lerr *err)
{
	struct bundle_chunk_reader *cr = c->readers[--c->free_readers];
	int r;

	c->stats.loads++;
	pthread_mutex_unlock(&c->lock);
	if (s->data == NULL)
		s->data = xmalloc(BUNDLE_CHUNK_SIZE);
	r = bundle_chunk_read(cr, fd, name, t, s->entry, s->index, s->data, &s->len, err);
	pthread_mutex_lock(&c->lock);
	c->readers[c->free_readers++] = cr;
	s->state = r == 0 ? SLOT_READY : SLOT_EMPTY;
	if (r != 0) {
		s->entry = NULL;
		s->pins = 0;
	}
	pthread_cond_broadcast(&c->changed);
	return r;
}

int chunk_cache_get(struct chunk_cache *c, int fd, const char *name, const struct seektable *t,
		    const struct bundle_entry *e, uint64_t index, struct chunk_ref *ref, struct lerr *err)
{
	struct slot *s;
	int r = 0;

	ref->slot = NULL;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		s = find(c, e, index);
		if (s != NULL && s->state == SLOT_READY) {
			c->stats.hits++;
			pin(c, s, ref);
			break;
		}
		if (s == NULL && c->free_readers > 0 && (s = victim(c)) != NULL) {
			s->entry = e;
			s->index = index;
			s->state = SLOT_LOADING;
			s->pins = 1;
			s->len = 0;
			if ((r = load(c, s, fd, name, t, err)) == 0) {
				s->pins--;
				pin(c, s, ref);
			}
			break;
		}
		/* Being loaded by another caller, or nothing free: wait for a load or a put to end. */
		c->stats.waits++;
		pthread_cond_wait(&c->changed, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void chunk_cache_put(struct chunk_cache *c, struct chunk_ref *ref)
{
	struct slot *s = ref->slot;

	if (s == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (--s->pins == 0)
		pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	ref->slot = NULL;
}

int chunk_cache_owns(const struct chunk_cache *c, const struct chunk_ref *ref)
{
	const struct slot *s = ref->slot;

	return s != NULL && s >= c->slots && s < c->slots + c->slot_count;
}

void chunk_cache_stats(struct chunk_cache *c, struct chunk_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
