#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle/push_stage.h"

/* What the upload workers saw: bytes held by jobs not yet finished, and its maximum. */
struct seen {
	pthread_mutex_t lock;
	uint64_t held, max_held;
	int fail_size; /* a job of this size fails */
	int ran;
};

struct job {
	struct seen *seen;
	uint64_t size;
};

static int run_job(void *arg, void *ctx, struct lerr *err)
{
	struct job *job = arg;
	struct seen *seen = ctx;
	struct timespec pause = {0, 2000000};
	int r = 0;

	nanosleep(&pause, NULL);
	pthread_mutex_lock(&seen->lock);
	seen->ran++;
	seen->held -= job->size;
	if ((int)job->size == seen->fail_size)
		r = lerr_set(err, LADING_ERR_NETWORK, "upload of %d bytes failed", (int)job->size);
	pthread_mutex_unlock(&seen->lock);
	free(job);
	return r;
}

/* Reserve, count as held, submit: what the push does for each staged blob. */
static int stage(struct stage_pool *pool, struct seen *seen, uint64_t size, struct lerr *err)
{
	struct job *job;

	if (stage_pool_reserve(pool, size, err) != 0)
		return -1;
	job = calloc(1, sizeof(*job));
	job->seen = seen;
	job->size = size;
	pthread_mutex_lock(&seen->lock);
	seen->held += size;
	if (seen->held > seen->max_held)
		seen->max_held = seen->held;
	pthread_mutex_unlock(&seen->lock);
	stage_pool_submit(pool, job, size);
	return 0;
}

static void staged_bytes_never_exceed_the_budget(void **state)
{
	static const uint64_t sizes[] = {60, 40, 30, 100, 10, 70, 5, 5, 5, 90, 100, 1, 99};
	struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, 0};
	struct stage_pool pool;
	struct lerr err;
	size_t i;

	(void)state;
	assert_int_equal(stage_pool_start(&pool, 4, 100, run_job, &seen, &err), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		assert_int_equal(stage(&pool, &seen, sizes[i], &err), 0);
	assert_true(pool.peak <= 100);
	assert_int_equal(stage_pool_finish(&pool, &err), 0);
	assert_int_equal(seen.ran, (int)(sizeof(sizes) / sizeof(sizes[0])));
	assert_true(seen.max_held <= 100);
	assert_int_equal(seen.held, 0);
}

static void a_blob_larger_than_the_budget_goes_alone(void **state)
{
	struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, 0};
	struct stage_pool pool;
	struct lerr err;

	(void)state;
	assert_int_equal(stage_pool_start(&pool, 2, 10, run_job, &seen, &err), 0);
	assert_int_equal(stage(&pool, &seen, 3, &err), 0);
	assert_int_equal(stage(&pool, &seen, 50, &err), 0);
	assert_int_equal(stage(&pool, &seen, 3, &err), 0);
	assert_int_equal(stage_pool_finish(&pool, &err), 0);
	assert_int_equal(seen.max_held, 50);
	assert_int_equal(seen.ran, 3);
}

static void the_first_failure_stops_staging(void **state)
{
	struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 7, 0};
	struct stage_pool pool;
	struct lerr err;
	int i, refused = 0;

	(void)state;
	assert_int_equal(stage_pool_start(&pool, 1, 10, run_job, &seen, &err), 0);
	assert_int_equal(stage(&pool, &seen, 7, &err), 0);
	/* Each of these waits for the one before (budget 10): the failure is seen at the latest here. */
	for (i = 0; i < 3 && !refused; i++)
		refused = stage(&pool, &seen, 10, &err) != 0;
	assert_true(refused);
	assert_string_equal(err.msg, "upload of 7 bytes failed");
	lerr_clear(&err);
	assert_int_equal(stage_pool_finish(&pool, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NETWORK);
	assert_string_equal(err.msg, "upload of 7 bytes failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(staged_bytes_never_exceed_the_budget),
	    cmocka_unit_test(a_blob_larger_than_the_budget_goes_alone),
	    cmocka_unit_test(the_first_failure_stops_staging),
	};
	return cmocka_run_group_tests_name("bundle_push_stage", tests, NULL, NULL);
}
