#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"

static void buf_appends_and_terminates(void **state)
{
	struct buf b = BUF_INIT(0);
	struct lerr err;

	(void)state;
	assert_int_equal(buf_addstr(&b, "hello", &err), 0);
	assert_int_equal(buf_addf(&b, &err, " %d", 42), 0);
	assert_string_equal(b.data, "hello 42");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void buf_refuses_past_its_cap(void **state)
{
	struct buf b = BUF_INIT(4);
	struct lerr err;

	(void)state;
	assert_int_equal(buf_addstr(&b, "abcd", &err), 0);
	assert_int_equal(buf_addstr(&b, "e", &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
	assert_string_equal(b.data, "abcd");
	buf_free(&b);
}

static void lerr_prefix_keeps_the_message(void **state)
{
	struct lerr err;

	(void)state;
	lerr_set(&err, LADING_ERR_FORMAT, "bad digest");
	lerr_prefix(&err, "nginx:%s", "1.27");
	assert_string_equal(err.msg, "nginx:1.27: bad digest");
	assert_int_equal(lerr_exit_code(&err), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_appends_and_terminates),
	    cmocka_unit_test(buf_refuses_past_its_cap),
	    cmocka_unit_test(lerr_prefix_keeps_the_message),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
