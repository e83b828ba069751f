/* A bundle entry streamed from the file to an upload (see push_source.h). */
#include "bundle/push_source.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

struct push_stream {
	const struct bundle_view *view;
	const struct bundle_entry *entry;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running;		   /* thread started and not yet joined */
	uint64_t pos;		   /* offset of the next byte handed out */
	const unsigned char *data; /* verified bytes handed over and not yet taken (the view's chunk) */
	size_t len;
	int finished; /* the thread's read returned */
	int result;   /* what it returned */
	int stop;     /* the reader wants the thread to end */
	struct lerr err;
};

/* The view's callback, on the thread: hands a verified chunk over and waits until it was all taken. */
static int hand_over(void *arg, const void *data, size_t len, struct lerr *err)
{
	struct push_stream *s = arg;
	int stopped;

	pthread_mutex_lock(&s->lock);
	s->data = data;
	s->len = len;
	pthread_cond_broadcast(&s->cond);
	while (s->len > 0 && !s->stop)
		pthread_cond_wait(&s->cond, &s->lock);
	stopped = s->stop;
	pthread_mutex_unlock(&s->lock);
	if (stopped)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: read stopped", s->entry->path);
	return 0;
}

static void *produce(void *arg)
{
	struct push_stream *s = arg;
	struct lerr err;
	uint64_t from;
	int r;

	lerr_clear(&err);
	pthread_mutex_lock(&s->lock);
	from = s->pos;
	pthread_mutex_unlock(&s->lock);
	r = bundle_view_read_range(s->view, s->entry, from, s->entry->size - from, hand_over, s, &err);
	pthread_mutex_lock(&s->lock);
	s->finished = 1;
	s->result = r;
	s->err = err;
	s->data = NULL;
	s->len = 0;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void stop_thread(struct push_stream *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = 0;
}

/* (Re)starts the thread at offset; the caller holds no lock. */
static int start_at(struct push_stream *s, uint64_t offset, struct lerr *err)
{
	stop_thread(s);
	s->pos = offset;
	s->data = NULL;
	s->len = 0;
	s->finished = 0;
	s->result = 0;
	s->stop = 0;
	lerr_clear(&s->err);
	if (pthread_create(&s->thread, NULL, produce, s) != 0)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot start a thread to read %s",
				bundle_view_path(s->view), s->entry->path);
	s->running = 1;
	return 0;
}

struct push_stream *push_stream_new(const struct bundle_view *view, const struct bundle_entry *e)
{
	struct push_stream *s = xcalloc(1, sizeof(*s));

	s->view = view;
	s->entry = e;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return s;
}

long push_stream_read(void *stream, uint64_t offset, void *buf, size_t len, struct lerr *err)
{
	struct push_stream *s = stream;
	long got = -1;

	if (offset >= s->entry->size || len == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: no byte %llu to read", bundle_view_path(s->view),
				s->entry->path, (unsigned long long)offset);
	if ((!s->running || offset != s->pos) && start_at(s, offset, err) != 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	while (s->len == 0 && !s->finished)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->len > 0) {
		if (len > s->len)
			len = s->len;
		memcpy(buf, s->data, len);
		s->data += len;
		s->len -= len;
		s->pos += len;
		if (s->len == 0)
			pthread_cond_broadcast(&s->cond);
		got = (long)len;
	} else if (s->result != 0) {
		*err = s->err;
	} else {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s ends before byte %llu", bundle_view_path(s->view),
			 s->entry->path, (unsigned long long)offset);
	}
	pthread_mutex_unlock(&s->lock);
	return got;
}

void push_stream_free(struct push_stream *s)
{
	if (s == NULL)
		return;
	stop_thread(s);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
