#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/semver.h"

static int matches(const char *constraint, const char *version)
{
	struct semver_constraint *c = NULL;
	struct semver v;
	struct lerr err;
	int r;

	if (semver_constraint_parse(constraint, &c, &err) != 0) {
		fprintf(stderr, "parse %s: %s\n", constraint, err.msg);
		return -1;
	}
	if (semver_parse(version, &v, &err) != 0) {
		semver_constraint_free(c);
		return -2;
	}
	r = semver_constraint_check(c, &v);
	semver_constraint_free(c);
	return r;
}

static void semver_orders_by_precedence(void **state)
{
	static const char *ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
					"1.0.0-beta",  "1.0.0-beta.2",	"1.0.0-beta.11",
					"1.0.0-rc.1",  "1.0.0",		"1.0.1",
					"1.1.0",       "2.0.0"};
	struct semver a, b;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i + 1 < sizeof(ordered) / sizeof(ordered[0]); i++) {
		assert_int_equal(semver_parse(ordered[i], &a, &err), 0);
		assert_int_equal(semver_parse(ordered[i + 1], &b, &err), 0);
		assert_true(semver_compare(&a, &b) < 0);
		assert_true(semver_compare(&b, &a) > 0);
	}
	assert_int_equal(semver_parse("v1.2", &a, &err), 0);
	assert_int_equal(semver_parse("1.2.0+build.5", &b, &err), 0);
	assert_int_equal(semver_compare(&a, &b), 0);
	assert_int_equal(semver_parse("1.02.0", &a, &err), -1);
	assert_int_equal(semver_parse("banana", &a, &err), -1);
	assert_int_equal(semver_parse("1.x", &a, &err), -1);
}

static void semver_constraints_follow_masterminds(void **state)
{
	(void)state;
	assert_int_equal(matches("~1.2.3", "1.2.9"), 1);
	assert_int_equal(matches("~1.2.3", "1.3.0"), 0);
	assert_int_equal(matches("~1.2", "1.2.0"), 1);
	assert_int_equal(matches("~1", "1.9.9"), 1);
	assert_int_equal(matches("~1", "2.0.0"), 0);
	assert_int_equal(matches("^1.2.3", "1.9.0"), 1);
	assert_int_equal(matches("^1.2.3", "2.0.0"), 0);
	assert_int_equal(matches("^1.2.3", "1.2.2"), 0);
	assert_int_equal(matches("^0.2.3", "0.2.9"), 1);
	assert_int_equal(matches("^0.2.3", "0.3.0"), 0);
	assert_int_equal(matches("^0.0.3", "0.0.4"), 0);
	assert_int_equal(matches("^0", "0.9.0"), 1);
	assert_int_equal(matches("^0", "1.0.0"), 0);
	assert_int_equal(matches("^2", "2.5.1"), 1);
	assert_int_equal(matches(">=1.0 <2.0", "1.5.0"), 1);
	assert_int_equal(matches(">=1.0, <2.0", "2.0.0"), 0);
	assert_int_equal(matches(">= 1.0, < 2.0", "0.9.0"), 0);
	assert_int_equal(matches("1.2.x", "1.2.7"), 1);
	assert_int_equal(matches("1.2.x", "1.3.0"), 0);
	assert_int_equal(matches("*", "3.1.4"), 1);
	assert_int_equal(matches("", "3.1.4"), 1);
	assert_int_equal(matches("<=2.x", "2.9.0"), 1);
	assert_int_equal(matches("<=2.x", "3.0.0"), 0);
	assert_int_equal(matches("1.2 - 1.4.5", "1.4.5"), 1);
	assert_int_equal(matches("1.2 - 1.4.5", "1.4.6"), 0);
	assert_int_equal(matches("1.2 - 1.4.5", "1.1.9"), 0);
	assert_int_equal(matches("1.2.3", "1.2.3"), 1);
	assert_int_equal(matches("=1.2.3", "1.2.4"), 0);
	assert_int_equal(matches("!=1.2.3", "1.2.4"), 1);
	assert_int_equal(matches(">1.2.x", "1.2.9"), 0);
	assert_int_equal(matches(">1.2.x", "1.3.0"), 1);
	assert_int_equal(matches("<1.0 || >=3", "3.2.0"), 1);
	assert_int_equal(matches("<1.0 || >=3", "2.0.0"), 0);
}

static void semver_prereleases_need_a_prerelease_constraint(void **state)
{
	(void)state;
	assert_int_equal(matches(">=1.0.0", "1.5.0-beta.1"), 0);
	assert_int_equal(matches(">=1.2.3-0", "1.5.0-beta.1"), 1);
	assert_int_equal(matches("*", "1.0.0-rc.1"), 0);
}

static void semver_bad_constraint_names_itself(void **state)
{
	struct semver_constraint *c = NULL;
	struct lerr err;

	(void)state;
	assert_int_equal(semver_constraint_parse(">=banana", &c, &err), -1);
	assert_non_null(strstr(err.msg, "banana"));
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(semver_orders_by_precedence),
	    cmocka_unit_test(semver_constraints_follow_masterminds),
	    cmocka_unit_test(semver_prereleases_need_a_prerelease_constraint),
	    cmocka_unit_test(semver_bad_constraint_names_itself),
	};
	return cmocka_run_group_tests_name("semver", tests, NULL, NULL);
}
