#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pool.h"

#define MAX_JOBS 1000
#define MAX_WORKERS 32

/* What the jobs and hooks saw; everything under lock. */
struct seen {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct pool *pool;
	int ran[MAX_JOBS];
	int dropped[MAX_JOBS];
	int ran_total, dropped_total;
	int worker_used[MAX_WORKERS];
	int started[MAX_WORKERS], stopped[MAX_WORKERS];
	int fail_job;	     /* this job fails at once; -1 for none */
	int fail_late_job;   /* this job waits for the pool to stop, then fails too; -1 for none */
	int fail_even;	     /* every even job fails */
	int fail_start_from; /* workers from this index on fail worker_start; -1 for none */
	int gate_closed;     /* job 0 waits while this is set */
	int job0_running;
	int spawn_left; /* spawns that succeed before they all fail; -1 for no limit */
	pthread_t caller;
	int ran_in_caller;
	uint64_t held, max_held; /* budget tests: bytes of jobs not yet finished */
};

struct job {
	int index;
	uint64_t size;
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	s->fail_job = s->fail_late_job = s->fail_start_from = s->spawn_left = -1;
	s->caller = pthread_self();
}

static void seen_destroy(struct seen *s)
{
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int run_job(void *arg, size_t worker, void *ctx, struct lerr *err)
{
	struct job *job = arg;
	struct seen *s = ctx;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	s->ran[job->index]++;
	s->ran_total++;
	s->worker_used[worker]++;
	if (pthread_equal(pthread_self(), s->caller))
		s->ran_in_caller++;
	if (job->index == 0) {
		s->job0_running = 1;
		pthread_cond_broadcast(&s->changed);
		while (s->gate_closed)
			pthread_cond_wait(&s->changed, &s->lock);
	}
	s->held -= job->size;
	pthread_mutex_unlock(&s->lock);
	if (job->index == s->fail_job || (s->fail_even && job->index % 2 == 0))
		r = lerr_set(err, LADING_ERR_NETWORK, "job %d failed", job->index);
	if (job->index == s->fail_late_job) {
		/* A running job polls the cancel flag; its later failure must not replace the first. */
		while (!pool_stopping(s->pool))
			pause_ms(1);
		r = lerr_set(err, LADING_ERR_NETWORK, "job %d failed later", job->index);
	}
	return r;
}

static void drop_job(void *arg, void *ctx)
{
	struct job *job = arg;
	struct seen *s = ctx;

	pthread_mutex_lock(&s->lock);
	s->dropped[job->index]++;
	s->dropped_total++;
	s->held -= job->size;
	pthread_mutex_unlock(&s->lock);
}

static int start_worker(size_t worker, void *ctx, struct lerr *err)
{
	struct seen *s = ctx;

	if (s->fail_start_from >= 0 && (int)worker >= s->fail_start_from)
		return lerr_set(err, LADING_ERR_AUTH, "worker %zu: login refused", worker);
	pthread_mutex_lock(&s->lock);
	s->started[worker]++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void stop_worker(size_t worker, void *ctx)
{
	struct seen *s = ctx;

	pthread_mutex_lock(&s->lock);
	s->stopped[worker]++;
	pthread_mutex_unlock(&s->lock);
}

/* Stands in for pthread_create running out of threads (EAGAIN) after spawn_left successes. */
static struct seen *spawn_seen;

static int limited_spawn(pthread_t *thread, void *(*start)(void *), void *arg)
{
	if (spawn_seen->spawn_left == 0)
		return EAGAIN;
	if (spawn_seen->spawn_left > 0)
		spawn_seen->spawn_left--;
	return pthread_create(thread, NULL, start, arg);
}

static struct pool_opts opts_for(struct seen *s, int workers, enum pool_mode mode)
{
	struct pool_opts o;

	memset(&o, 0, sizeof(o));
	o.workers = workers;
	o.mode = mode;
	o.run = run_job;
	o.drop = drop_job;
	o.worker_start = start_worker;
	o.worker_stop = stop_worker;
	o.ctx = s;
	return o;
}

static struct job *jobs_new(int count)
{
	struct job *jobs = calloc((size_t)count, sizeof(*jobs));
	int i;

	for (i = 0; i < count; i++)
		jobs[i].index = i;
	return jobs;
}

/* Submits jobs[0..count) in order; returns how many were accepted. */
static int submit_all(struct pool *pool, struct job *jobs, int count, struct lerr *err)
{
	int i;

	for (i = 0; i < count; i++)
		if (pool_submit(pool, &jobs[i], 0, err) != 0)
			return i;
	return count;
}

static void every_job_runs_exactly_once(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(MAX_JOBS);
	struct lerr err;
	int i, used = 0;

	(void)state;
	seen_init(&s);
	o = opts_for(&s, 4, POOL_STOP_ON_ERROR);
	s.pool = pool_start(&o);
	assert_int_equal(submit_all(s.pool, jobs, MAX_JOBS, &err), MAX_JOBS);
	assert_int_equal(pool_finish(s.pool, &err), 0);
	for (i = 0; i < MAX_JOBS; i++)
		assert_int_equal(s.ran[i], 1);
	assert_int_equal(s.dropped_total, 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(s.started[i], 1);
		assert_int_equal(s.stopped[i], 1);
		used += s.worker_used[i];
	}
	assert_int_equal(used, MAX_JOBS);
	assert_int_equal(s.ran_in_caller, 0);
	free(jobs);
	seen_destroy(&s);
}

static void the_first_error_wins_and_jobs_not_started_are_dropped(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(100);
	struct lerr err;
	int i, accepted;

	(void)state;
	seen_init(&s);
	s.fail_job = 3;
	o = opts_for(&s, 1, POOL_STOP_ON_ERROR);
	o.queue_max = 2;
	s.pool = pool_start(&o);
	accepted = submit_all(s.pool, jobs, 100, &err);
	assert_true(accepted < 100);
	assert_string_equal(err.msg, "job 3 failed");
	lerr_clear(&err);
	assert_int_equal(pool_finish(s.pool, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NETWORK);
	assert_string_equal(err.msg, "job 3 failed");
	/* One worker takes jobs in order: nothing after the failure ran, everything offered was dropped. */
	assert_int_equal(s.ran_total, 4);
	for (i = 0; i < 100; i++) {
		assert_int_equal(s.ran[i], i <= 3);
		assert_int_equal(s.dropped[i], i > 3 && i <= accepted);
	}
	free(jobs);
	seen_destroy(&s);
}

static void a_later_failure_does_not_replace_the_first(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(2);
	struct lerr err;

	(void)state;
	seen_init(&s);
	s.fail_late_job = 0; /* runs first, waits until job 1 has failed the pool */
	s.fail_job = 1;
	o = opts_for(&s, 2, POOL_STOP_ON_ERROR);
	s.pool = pool_start(&o);
	assert_int_equal(pool_submit(s.pool, &jobs[0], 0, &err), 0);
	/* Job 1 only once job 0 has begun: a job the pool stops before it begins is dropped instead. */
	pthread_mutex_lock(&s.lock);
	while (!s.job0_running)
		pthread_cond_wait(&s.changed, &s.lock);
	pthread_mutex_unlock(&s.lock);
	assert_int_equal(pool_submit(s.pool, &jobs[1], 0, &err), 0);
	assert_int_equal(pool_finish(s.pool, &err), -1);
	assert_string_equal(err.msg, "job 1 failed");
	assert_int_equal(s.ran_total, 2);
	free(jobs);
	seen_destroy(&s);
}

struct producer {
	struct seen *seen;
	struct job *jobs;
	int count;
	int submitted;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct lerr err;
	int i;

	for (i = 0; i < p->count; i++) {
		pool_submit(p->seen->pool, &p->jobs[i], 0, &err);
		pthread_mutex_lock(&p->seen->lock);
		p->submitted++;
		pthread_cond_broadcast(&p->seen->changed);
		pthread_mutex_unlock(&p->seen->lock);
	}
	return NULL;
}

static void submit_blocks_while_the_queue_is_full(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct producer p;
	struct job *jobs = jobs_new(4);
	pthread_t thread;
	struct lerr err;

	(void)state;
	seen_init(&s);
	s.gate_closed = 1;
	o = opts_for(&s, 1, POOL_STOP_ON_ERROR);
	o.queue_max = 2;
	s.pool = pool_start(&o);
	p.seen = &s;
	p.jobs = jobs;
	p.count = 4;
	p.submitted = 0;
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	/* Job 0 holds the only worker; jobs 1 and 2 fill the queue; job 3 must wait. */
	pthread_mutex_lock(&s.lock);
	while (!s.job0_running || p.submitted < 3)
		pthread_cond_wait(&s.changed, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pause_ms(100);
	pthread_mutex_lock(&s.lock);
	assert_int_equal(p.submitted, 3);
	assert_int_equal(s.ran_total, 1);
	s.gate_closed = 0;
	pthread_cond_broadcast(&s.changed);
	pthread_mutex_unlock(&s.lock);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(p.submitted, 4);
	assert_int_equal(pool_finish(s.pool, &err), 0);
	assert_int_equal(s.ran_total, 4);
	free(jobs);
	seen_destroy(&s);
}

static void keep_going_runs_every_job_whatever_fails(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(50);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	s.fail_even = 1;
	o = opts_for(&s, 3, POOL_KEEP_GOING);
	lerr_clear(&err);
	assert_int_equal(pool_run_each(&o, jobs, 50, sizeof(*jobs), &err), 0);
	assert_int_equal(err.code, LADING_OK);
	for (i = 0; i < 50; i++)
		assert_int_equal(s.ran[i], 1);
	assert_int_equal(s.dropped_total, 0);
	free(jobs);
	seen_destroy(&s);
}

static void zero_jobs_start_nothing(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	o = opts_for(&s, 4, POOL_STOP_ON_ERROR);
	assert_int_equal(pool_run_each(&o, NULL, 0, sizeof(struct job), &err), 0);
	for (i = 0; i < MAX_WORKERS; i++)
		assert_int_equal(s.started[i], 0);
	/* A pool given no job: workers come and go, nothing runs. */
	s.pool = pool_start(&o);
	assert_int_equal(pool_finish(s.pool, &err), 0);
	assert_int_equal(s.ran_total, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(s.stopped[i], s.started[i]);
	seen_destroy(&s);
}

static void more_workers_than_jobs_start_only_as_many_as_jobs(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(3);
	struct lerr err;
	int i, started = 0;

	(void)state;
	seen_init(&s);
	o = opts_for(&s, 16, POOL_STOP_ON_ERROR);
	assert_int_equal(pool_run_each(&o, jobs, 3, sizeof(*jobs), &err), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(s.ran[i], 1);
	for (i = 0; i < MAX_WORKERS; i++) {
		started += s.started[i];
		if (i >= 3)
			assert_int_equal(s.worker_used[i], 0);
	}
	assert_int_equal(started, 3);
	free(jobs);
	seen_destroy(&s);
}

static void no_thread_at_all_runs_every_job_in_the_caller(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(20);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	s.spawn_left = 0;
	spawn_seen = &s;
	o = opts_for(&s, 4, POOL_STOP_ON_ERROR);
	o.spawn = limited_spawn;
	assert_int_equal(pool_run_each(&o, jobs, 20, sizeof(*jobs), &err), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(s.ran[i], 1);
	assert_int_equal(s.ran_in_caller, 20);
	assert_int_equal(s.worker_used[0], 20);
	assert_int_equal(s.started[0], 1);
	assert_int_equal(s.stopped[0], 1);
	free(jobs);
	seen_destroy(&s);
}

static void a_job_failing_in_the_caller_still_stops_the_pool(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(10);
	struct lerr err;

	(void)state;
	seen_init(&s);
	s.spawn_left = 0;
	s.fail_job = 2;
	spawn_seen = &s;
	o = opts_for(&s, 2, POOL_STOP_ON_ERROR);
	o.spawn = limited_spawn;
	s.pool = pool_start(&o);
	assert_int_equal(submit_all(s.pool, jobs, 10, &err), 2);
	assert_string_equal(err.msg, "job 2 failed");
	assert_int_equal(pool_finish(s.pool, &err), -1);
	assert_int_equal(s.ran_total, 3);
	free(jobs);
	seen_destroy(&s);
}

static void threads_that_did_start_do_all_the_work(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(200);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	s.spawn_left = 2;
	spawn_seen = &s;
	o = opts_for(&s, 8, POOL_STOP_ON_ERROR);
	o.spawn = limited_spawn;
	assert_int_equal(pool_run_each(&o, jobs, 200, sizeof(*jobs), &err), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(s.ran[i], 1);
	assert_int_equal(s.ran_in_caller, 0);
	assert_int_equal(s.worker_used[0] + s.worker_used[1], 200);
	free(jobs);
	seen_destroy(&s);
}

static void a_worker_that_cannot_start_leaves_its_jobs_to_the_others(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(40);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	s.fail_start_from = 1; /* only worker 0 logs in */
	o = opts_for(&s, 4, POOL_KEEP_GOING);
	assert_int_equal(pool_run_each(&o, jobs, 40, sizeof(*jobs), &err), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(s.ran[i], 1);
	assert_int_equal(s.worker_used[0], 40);
	assert_int_equal(s.stopped[0], 1);
	for (i = 1; i < 4; i++)
		assert_int_equal(s.stopped[i], 0);
	free(jobs);
	seen_destroy(&s);
}

static void no_worker_starting_fails_the_pool_with_its_error(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(10);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	s.fail_start_from = 0;
	o = opts_for(&s, 3, POOL_KEEP_GOING);
	lerr_clear(&err);
	assert_int_equal(pool_run_each(&o, jobs, 10, sizeof(*jobs), &err), -1);
	assert_int_equal(err.code, LADING_ERR_AUTH);
	assert_true(strstr(err.msg, ": login refused") != NULL);
	assert_int_equal(s.ran_total, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(s.dropped[i], 1);
	/* The same when the caller's thread is the only worker. */
	memset(s.dropped, 0, sizeof(s.dropped));
	s.spawn_left = 0;
	spawn_seen = &s;
	o.spawn = limited_spawn;
	assert_int_equal(pool_run_each(&o, jobs, 10, sizeof(*jobs), &err), -1);
	assert_string_equal(err.msg, "worker 0: login refused");
	for (i = 0; i < 10; i++)
		assert_int_equal(s.dropped[i], 1);
	assert_int_equal(s.ran_total, 0);
	free(jobs);
	seen_destroy(&s);
}

static void cancel_drops_what_has_not_started(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(3);
	struct lerr err;

	(void)state;
	seen_init(&s);
	s.gate_closed = 1;
	o = opts_for(&s, 1, POOL_STOP_ON_ERROR);
	s.pool = pool_start(&o);
	assert_int_equal(submit_all(s.pool, jobs, 2, &err), 2);
	pthread_mutex_lock(&s.lock);
	while (!s.job0_running)
		pthread_cond_wait(&s.changed, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pool_cancel(s.pool);
	assert_true(pool_stopping(s.pool));
	assert_int_equal(pool_submit(s.pool, &jobs[2], 0, &err), -1);
	assert_string_equal(err.msg, "cancelled");
	pthread_mutex_lock(&s.lock);
	s.gate_closed = 0;
	pthread_cond_broadcast(&s.changed);
	pthread_mutex_unlock(&s.lock);
	/* A cancel alone is the caller's own doing, not an error. */
	assert_int_equal(pool_finish(s.pool, &err), 0);
	assert_int_equal(s.ran[0], 1);
	assert_int_equal(s.dropped[1], 1);
	assert_int_equal(s.dropped[2], 1);
	free(jobs);
	seen_destroy(&s);
}

/* Reserve, count as held, submit: what bundle push does for each staged blob. */
static int stage(struct seen *s, struct job *job, uint64_t size, struct lerr *err)
{
	if (pool_reserve(s->pool, size, err) != 0)
		return -1;
	job->size = size;
	pthread_mutex_lock(&s->lock);
	s->held += size;
	if (s->held > s->max_held)
		s->max_held = s->held;
	pthread_mutex_unlock(&s->lock);
	return pool_submit(s->pool, job, size, err);
}

static void held_bytes_never_exceed_the_budget(void **state)
{
	static const uint64_t sizes[] = {60, 40, 30, 100, 10, 70, 5, 5, 5, 90, 100, 1, 99};
	const int count = (int)(sizeof(sizes) / sizeof(sizes[0]));
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(count + 1);
	struct lerr err;
	int i;

	(void)state;
	seen_init(&s);
	o = opts_for(&s, 4, POOL_STOP_ON_ERROR);
	o.budget = 100;
	o.queue_max = 100;
	s.pool = pool_start(&o);
	/* Job 0 (nothing held) only so that the others start while bytes are held. */
	for (i = 1; i <= count; i++)
		assert_int_equal(stage(&s, &jobs[i], sizes[i - 1], &err), 0);
	assert_true(pool_reserved_peak(s.pool) <= 100);
	assert_int_equal(pool_finish(s.pool, &err), 0);
	assert_int_equal(s.ran_total, count);
	assert_true(s.max_held <= 100);
	assert_int_equal(s.held, 0);
	free(jobs);
	seen_destroy(&s);
}

static void a_job_larger_than_the_budget_goes_alone(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(4);
	struct lerr err;

	(void)state;
	seen_init(&s);
	o = opts_for(&s, 2, POOL_STOP_ON_ERROR);
	o.budget = 10;
	s.pool = pool_start(&o);
	assert_int_equal(stage(&s, &jobs[1], 3, &err), 0);
	assert_int_equal(stage(&s, &jobs[2], 50, &err), 0);
	assert_int_equal(stage(&s, &jobs[3], 3, &err), 0);
	assert_int_equal(pool_reserved_peak(s.pool), 50);
	assert_int_equal(pool_finish(s.pool, &err), 0);
	assert_int_equal(s.max_held, 50);
	assert_int_equal(s.ran_total, 3);
	free(jobs);
	seen_destroy(&s);
}

static void a_failure_stops_reserving(void **state)
{
	struct seen s;
	struct pool_opts o;
	struct job *jobs = jobs_new(5);
	struct lerr err;
	int i, refused = 0;

	(void)state;
	seen_init(&s);
	s.fail_job = 1;
	o = opts_for(&s, 1, POOL_STOP_ON_ERROR);
	o.budget = 10;
	s.pool = pool_start(&o);
	assert_int_equal(stage(&s, &jobs[1], 7, &err), 0);
	/* Each of these waits for the one before (budget 10): the failure is seen at the latest here. */
	for (i = 2; i < 5 && !refused; i++)
		refused = stage(&s, &jobs[i], 10, &err) != 0;
	assert_true(refused);
	assert_string_equal(err.msg, "job 1 failed");
	lerr_clear(&err);
	assert_int_equal(pool_finish(s.pool, &err), -1);
	assert_string_equal(err.msg, "job 1 failed");
	assert_int_equal(s.ran_total, 1);
	/* Every byte reserved and handed over came back through a run or a drop. */
	assert_int_equal(s.held, 0);
	free(jobs);
	seen_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_job_runs_exactly_once),
	    cmocka_unit_test(the_first_error_wins_and_jobs_not_started_are_dropped),
	    cmocka_unit_test(a_later_failure_does_not_replace_the_first),
	    cmocka_unit_test(submit_blocks_while_the_queue_is_full),
	    cmocka_unit_test(keep_going_runs_every_job_whatever_fails),
	    cmocka_unit_test(zero_jobs_start_nothing),
	    cmocka_unit_test(more_workers_than_jobs_start_only_as_many_as_jobs),
	    cmocka_unit_test(no_thread_at_all_runs_every_job_in_the_caller),
	    cmocka_unit_test(a_job_failing_in_the_caller_still_stops_the_pool),
	    cmocka_unit_test(threads_that_did_start_do_all_the_work),
	    cmocka_unit_test(a_worker_that_cannot_start_leaves_its_jobs_to_the_others),
	    cmocka_unit_test(no_worker_starting_fails_the_pool_with_its_error),
	    cmocka_unit_test(cancel_drops_what_has_not_started),
	    cmocka_unit_test(held_bytes_never_exceed_the_budget),
	    cmocka_unit_test(a_job_larger_than_the_budget_goes_alone),
	    cmocka_unit_test(a_failure_stops_reserving),
	};
	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
