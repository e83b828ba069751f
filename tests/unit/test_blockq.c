#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/blockq.h"

/* A producer thread that pushes blocks numbered 0 .. count-1 (each filled with its number), then finishes. */
struct producer {
	struct blockq *q;
	size_t count;
	size_t pushed;
	int fail_at_end; /* finish with an error instead of cleanly */
	int stopped;	 /* blockq_acquire returned NULL: the consumer cancelled */
	int dirty;	 /* an acquired buffer was not empty (checked in main: cmocka asserts only there) */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct blockq_block *b;
	struct lerr err;

	for (p->pushed = 0; p->pushed < p->count; p->pushed++) {
		if ((b = blockq_acquire(p->q)) == NULL) {
			p->stopped = 1;
			break;
		}
		if (b->len != 0)
			p->dirty = 1;
		memset(b->data, (int)(p->pushed & 0xff), b->size);
		b->len = b->size - p->pushed % 3; /* some short */
		b->offset = p->pushed;
		blockq_push(p->q, b);
	}
	lerr_set(&err, LADING_ERR_FORMAT, "bundle.tar.zst: damaged zstd data near offset 1234");
	blockq_finish(p->q, p->fail_at_end && !p->stopped ? &err : NULL);
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void blocks_arrive_in_order_while_two_are_held(void **state)
{
	struct producer p = {0};
	struct blockq_block *held[2] = {NULL, NULL}, *b;
	pthread_t thread;
	struct lerr err;
	size_t i, got = 0;
	int rc;

	(void)state;
	assert_int_equal(blockq_new(&p.q, 3, 1000, &err), 0);
	p.count = 500;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	while ((rc = blockq_pop(p.q, &b, &err)) == 1) {
		assert_int_equal(b->offset, got);
		assert_int_equal(b->len, 1000 - got % 3);
		for (i = 0; i < b->len; i++)
			assert_int_equal(b->data[i], got & 0xff);
		/* Like zstdin: the block before stays valid until the next one is taken. */
		if (held[got % 2] != NULL)
			blockq_release(p.q, held[got % 2]);
		held[got % 2] = b;
		got++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got, 500);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_false(p.stopped);
	assert_false(p.dirty);
	blockq_release(p.q, held[0]);
	blockq_release(p.q, held[1]);
	blockq_free(p.q);
}

static void the_producer_error_comes_after_its_blocks(void **state)
{
	struct producer p = {0};
	struct blockq_block *b;
	pthread_t thread;
	struct lerr err;
	size_t got = 0;
	int rc;

	(void)state;
	assert_int_equal(blockq_new(&p.q, 2, 64, &err), 0);
	p.count = 7;
	p.fail_at_end = 1;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	while ((rc = blockq_pop(p.q, &b, &err)) == 1) {
		assert_int_equal(b->offset, got++);
		blockq_release(p.q, b);
	}
	assert_int_equal(rc, -1);
	assert_int_equal(got, 7);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_string_equal(err.msg, "bundle.tar.zst: damaged zstd data near offset 1234");
	/* The end is sticky: asking again gives it again, never waits. */
	assert_int_equal(blockq_pop(p.q, &b, &err), -1);
	assert_int_equal(pthread_join(thread, NULL), 0);
	blockq_free(p.q);
}

static void the_producer_waits_when_every_buffer_is_taken(void **state)
{
	struct producer p = {0};
	struct blockq_block *b[4];
	pthread_t thread;
	struct lerr err;
	size_t i;

	(void)state;
	assert_int_equal(blockq_new(&p.q, 4, 16, &err), 0);
	p.count = 100;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	/* The consumer holds all four buffers: a fifth block cannot be made, however long the producer tries. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(blockq_pop(p.q, &b[i], &err), 1);
		assert_int_equal(b[i]->offset, i);
	}
	pause_ms(50);
	blockq_cancel(p.q);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(p.stopped);
	assert_int_equal(p.pushed, 4);
	assert_false(p.dirty);
	assert_int_equal(blockq_pop(p.q, &b[0], &err), 0);
	blockq_free(p.q);
}

/* The consumer stops early (a sha256 mismatch): the producer, waiting for a buffer, ends; nothing hangs or leaks. */
static void an_early_stop_ends_a_waiting_producer(void **state)
{
	struct producer p = {0};
	struct blockq_block *b, *kept;
	pthread_t thread;
	struct lerr err;

	(void)state;
	assert_int_equal(blockq_new(&p.q, 3, 4096, &err), 0);
	p.count = 1000000;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	assert_int_equal(blockq_pop(p.q, &kept, &err), 1);
	assert_int_equal(blockq_pop(p.q, &b, &err), 1);
	blockq_release(p.q, b);
	blockq_cancel(p.q);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(p.stopped);
	assert_true(p.pushed < 10);
	/* What was pushed before the stop can still be taken, then the end; the held buffer is freed with q. */
	while (blockq_pop(p.q, &b, &err) == 1)
		blockq_release(p.q, b);
	assert_int_equal(blockq_pop(p.q, &b, &err), 0);
	(void)kept;
	blockq_free(p.q);
}

/* Cancelled before the producer ever asked: its first acquire returns NULL at once. */
static void a_stop_before_the_start_is_seen_at_once(void **state)
{
	struct producer p = {0};
	pthread_t thread;
	struct blockq_block *b;
	struct lerr err;

	(void)state;
	assert_int_equal(blockq_new(&p.q, 2, 8, &err), 0);
	blockq_cancel(p.q);
	p.count = 10;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(p.stopped);
	assert_int_equal(p.pushed, 0);
	assert_int_equal(blockq_pop(p.q, &b, &err), 0);
	blockq_free(p.q);
}

/* The consumer waits in pop while the producer has nothing: finishing wakes it. */
static void *finish_later(void *arg)
{
	pause_ms(100);
	blockq_finish(arg, NULL);
	return NULL;
}

static void a_waiting_consumer_sees_the_end(void **state)
{
	struct blockq *q;
	struct blockq_block *b;
	pthread_t thread;
	struct lerr err;

	(void)state;
	assert_int_equal(blockq_new(&q, 1, 8, &err), 0);
	assert_int_equal(pthread_create(&thread, NULL, finish_later, q), 0);
	assert_int_equal(blockq_pop(q, &b, &err), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	blockq_free(q);
}

static void bad_sizes_are_refused(void **state)
{
	struct blockq *q = NULL;
	struct lerr err;

	(void)state;
	assert_int_equal(blockq_new(&q, 0, 8, &err), -1);
	assert_null(q);
	assert_int_equal(blockq_new(&q, 2, 0, &err), -1);
	assert_null(q);
	blockq_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(blocks_arrive_in_order_while_two_are_held),
	    cmocka_unit_test(the_producer_error_comes_after_its_blocks),
	    cmocka_unit_test(the_producer_waits_when_every_buffer_is_taken),
	    cmocka_unit_test(an_early_stop_ends_a_waiting_producer),
	    cmocka_unit_test(a_stop_before_the_start_is_seen_at_once),
	    cmocka_unit_test(a_waiting_consumer_sees_the_end),
	    cmocka_unit_test(bad_sizes_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
