/* lib/digestmemo: one hash per unchanged file, shared by threads; a changed file is hashed again. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/digestmemo.h"

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/lading-test-memo.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void rewrite(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_reuses_unchanged_file(void **state)
{
	struct digest_memo *m = digest_memo_new();
	char *path = write_temp("abc");
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	uint64_t size = 0, hashed, reused;
	struct lerr err;

	(void)state;
	assert_int_equal(digest_memo_file(m, path, a, &size, &err), 0);
	assert_string_equal(a, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(size, 3);
	assert_int_equal(digest_memo_file(m, path, b, &size, &err), 0);
	assert_string_equal(a, b);
	digest_memo_counts(m, &hashed, &reused);
	assert_int_equal(hashed, 1);
	assert_int_equal(reused, 1);
	unlink(path);
	free(path);
	digest_memo_free(m);
}

static void test_changed_file_is_hashed_again(void **state)
{
	struct digest_memo *m = digest_memo_new();
	char *path = write_temp("abc");
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 1000000000, .tv_nsec = 0}};
	uint64_t hashed, reused;
	struct lerr err;

	(void)state;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(digest_memo_file(m, path, a, NULL, &err), 0);
	/* Same size and the same mtime put back: ctime still tells. */
	rewrite(path, "abd");
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(digest_memo_file(m, path, b, NULL, &err), 0);
	assert_string_not_equal(a, b);
	digest_memo_counts(m, &hashed, &reused);
	assert_int_equal(hashed, 2);
	assert_int_equal(reused, 0);
	unlink(path);
	free(path);
	digest_memo_free(m);
}

static void test_missing_file_names_it_and_is_not_remembered(void **state)
{
	struct digest_memo *m = digest_memo_new();
	char hex[SHA256_HEX_LEN + 1];
	uint64_t hashed, reused;
	struct lerr err;

	(void)state;
	assert_int_equal(digest_memo_file(m, "/nonexistent/lading-memo", hex, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/lading-memo"));
	digest_memo_counts(m, &hashed, &reused);
	assert_int_equal(hashed + reused, 0);
	digest_memo_free(m);
}

struct racer {
	struct digest_memo *m;
	const char *path;
	char hex[SHA256_HEX_LEN + 1];
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lerr err;

	r->rc = digest_memo_file(r->m, r->path, r->hex, NULL, &err);
	return NULL;
}

static void test_threads_share_one_hash(void **state)
{
	struct digest_memo *m = digest_memo_new();
	char *path = write_temp("");
	struct racer racers[16];
	pthread_t threads[16];
	uint64_t hashed, reused;
	FILE *f = fopen(path, "w");
	size_t i;

	(void)state;
	/* 8 MiB: long enough that the other threads arrive while the first hashes. */
	for (i = 0; i < 8 * 1024; i++)
		fprintf(f, "%01023zu\n", i);
	fclose(f);
	for (i = 0; i < 16; i++) {
		racers[i] = (struct racer){.m = m, .path = path};
		assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
	}
	for (i = 0; i < 16; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(racers[i].rc, 0);
		assert_string_equal(racers[i].hex, racers[0].hex);
	}
	digest_memo_counts(m, &hashed, &reused);
	assert_int_equal(hashed, 1);
	assert_int_equal(reused, 15);
	unlink(path);
	free(path);
	digest_memo_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuses_unchanged_file),
	    cmocka_unit_test(test_changed_file_is_hashed_again),
	    cmocka_unit_test(test_missing_file_names_it_and_is_not_remembered),
	    cmocka_unit_test(test_threads_share_one_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
