#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "lib/err.h"

static void exit_status_follows_the_class(void **state)
{
	struct lerr err;

	(void)state;
	lerr_clear(&err);
	assert_int_equal(lerr_exit_code(&err), 0);
	lerr_set(&err, LADING_ERR_USAGE, "bad option");
	assert_int_equal(lerr_exit_code(&err), 2);
	lerr_set(&err, LADING_ERR_NETWORK, "registry down");
	assert_int_equal(lerr_exit_code(&err), 1);
	lerr_set(&err, LADING_ERR_FORMAT, "site.yaml:3:1: not a map");
	assert_int_equal(lerr_exit_code(&err), 1);
	lerr_input(&err);
	assert_int_equal(lerr_exit_code(&err), 2);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_int_equal(lerr_exit_code(NULL), 0);
}

static void recode_keeps_message_and_subject(void **state)
{
	struct lerr err;

	(void)state;
	lerr_about(&err, LADING_ERR_USAGE, "nginx", "bad reference");
	lerr_recode(&err, LADING_ERR_FORMAT);
	assert_int_equal(lerr_exit_code(&err), 1);
	assert_string_equal(err.msg, "nginx: bad reference");
	assert_int_equal(err.subject_len, strlen("nginx"));
}

static void about_names_its_subject(void **state)
{
	struct lerr err;

	(void)state;
	lerr_about(&err, LADING_ERR_AUTH, "127.0.0.1:5000", "credentials refused (status %d)", 401);
	assert_string_equal(err.msg, "127.0.0.1:5000: credentials refused (status 401)");
	assert_true(lerr_named(&err));
	assert_int_equal(err.subject_len, strlen("127.0.0.1:5000"));
	assert_string_equal(err.msg + err.subject_len, ": credentials refused (status 401)");
}

static void name_prefixes_only_an_unnamed_message(void **state)
{
	struct lerr err;

	(void)state;
	lerr_set(&err, LADING_ERR_SIGNATURE, "sha256:ab: digest mismatch");
	assert_false(lerr_named(&err));
	assert_int_equal(err.subject_len, 0);
	lerr_name(&err, "%s", "nginx:1.27");
	assert_string_equal(err.msg, "nginx:1.27: sha256:ab: digest mismatch");
	assert_int_equal(err.subject_len, strlen("nginx:1.27"));
	lerr_name(&err, "%s", "other");
	assert_string_equal(err.msg, "nginx:1.27: sha256:ab: digest mismatch");
	lerr_prefix(&err, "%s", "push");
	assert_string_equal(err.msg, "push: nginx:1.27: sha256:ab: digest mismatch");
	assert_int_equal(err.subject_len, strlen("push"));
}

static void sys_appends_strerror(void **state)
{
	struct lerr err;

	(void)state;
	errno = ENOENT;
	lerr_sys(&err, "cannot open '%s'", "x");
	assert_string_equal(err.msg, "cannot open 'x': No such file or directory");
	assert_int_equal(err.code, LADING_ERR_SYSTEM);
	assert_int_equal(lerr_exit_code(&err), 1);
}

static void long_messages_are_cut_not_overrun(void **state)
{
	char big[2 * LERR_MSG_MAX];
	struct lerr err;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lerr_set(&err, LADING_ERR_FORMAT, "%s", big);
	assert_int_equal(strlen(err.msg), LERR_MSG_MAX - 1);
	lerr_prefix(&err, "%s", "subject");
	assert_int_equal(strlen(err.msg), LERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "subject: ", 9);
	lerr_about(&err, LADING_ERR_FORMAT, big, "x");
	assert_int_equal(strlen(err.msg), LERR_MSG_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exit_status_follows_the_class), cmocka_unit_test(recode_keeps_message_and_subject),
	    cmocka_unit_test(about_names_its_subject),	     cmocka_unit_test(name_prefixes_only_an_unnamed_message),
	    cmocka_unit_test(sys_appends_strerror),	     cmocka_unit_test(long_messages_are_cut_not_overrun),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
