#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/range.h"

static void expect_range(const char *header, uint64_t size, uint64_t want_start, uint64_t want_length)
{
	uint64_t start = 99, length = 99;

	assert_int_equal(http_range_parse(header, size, &start, &length), HTTP_RANGE_OK);
	assert_int_equal(start, want_start);
	assert_int_equal(length, want_length);
}

static void range_reads_the_three_forms(void **state)
{
	(void)state;
	expect_range("bytes=0-99", 1000, 0, 100);
	expect_range("bytes=100-", 1000, 100, 900);
	expect_range("bytes=-10", 1000, 990, 10);
	expect_range("BYTES= 5 - 5 ", 1000, 5, 1);
}

static void range_clamps_to_the_end(void **state)
{
	(void)state;
	expect_range("bytes=990-5000", 1000, 990, 10);
	expect_range("bytes=-5000", 1000, 0, 1000);
}

static void range_unsatisfiable_past_the_end(void **state)
{
	uint64_t start, length;

	(void)state;
	assert_int_equal(http_range_parse("bytes=1000-", 1000, &start, &length), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(http_range_parse("bytes=5000-6000", 1000, &start, &length), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(http_range_parse("bytes=-0", 1000, &start, &length), HTTP_RANGE_UNSATISFIABLE);
	assert_int_equal(http_range_parse("bytes=0-", 0, &start, &length), HTTP_RANGE_UNSATISFIABLE);
}

static void range_ignores_what_it_does_not_serve(void **state)
{
	uint64_t start, length;

	(void)state;
	assert_int_equal(http_range_parse(NULL, 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("items=0-1", 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("bytes=0-1,4-5", 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("bytes=5-1", 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("bytes=-", 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("bytes=99999999999999999999-", 10, &start, &length), HTTP_RANGE_NONE);
	assert_int_equal(http_range_parse("bytes=1x-2", 10, &start, &length), HTTP_RANGE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(range_reads_the_three_forms),
	    cmocka_unit_test(range_clamps_to_the_end),
	    cmocka_unit_test(range_unsatisfiable_past_the_end),
	    cmocka_unit_test(range_ignores_what_it_does_not_serve),
	};

	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
