#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "packages/debversion.h"
#include "packages/depends.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void version_order_follows_the_dpkg_table(void **state)
{
	/* SPECS-2 §1.3, each checked with dpkg --compare-versions, and more. */
	static const struct {
		const char *a;
		int order;
		const char *b;
	} table[] = {
	    {"1.0~rc1", -1, "1.0"},
	    {"1.01", 0, "1.1"},
	    {"1.0~~", -1, "1.0~"},
	    {"1.0-1", -1, "1:0.9"},
	    {"1.0", -1, "1.0a"},
	    {"1.0-1~bpo12+1", -1, "1.0-1"},
	    {"1.0a", -1, "1.0+"},
	    {"1.2.3a", -1, "1.2.3.a"},
	    {"2.10", 1, "2.9"},
	    {"1.0-0", 0, "1.0"},
	    {"0:1.0", 0, "1.0"},
	    {"1.0", -1, "1.0.0"},
	    {"1.0~", -1, "1.0"},
	    {"1.0-1", -1, "1.0-1.1"},
	    {"1.0-1", -1, "1.0-1+deb12u1"},
	    {"1.0-1+b1", 1, "1.0-1"},
	    {"2:1.0", 1, "1:9.9"},
	    {"10:1", 1, "9:99"},
	    {"1.0-a-1", 1, "1.0-a"},
	    {"1.0-a-1", 1, "1.0-1"},
	    {"252.39-1~deb12u2", 1, "252.38-1~deb12u1"},
	    {"1:2.6.2-4+deb12u1", 1, "1:2.6.2-4"},
	    {"000001", 0, "1"},
	    {"1.0z", -1, "1.0."},
	    {"a", 1, "1"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int got = sign(deb_version_cmp(table[i].a, table[i].b));

		if (got != table[i].order)
			fail_msg("%s vs %s: got %d, want %d", table[i].a, table[i].b, got, table[i].order);
		assert_int_equal(sign(deb_version_cmp(table[i].b, table[i].a)), -table[i].order);
	}
}

static void version_validity_matches_dpkg(void **state)
{
	static const char *valid[] = {"1", "1.0", "1:1.0-1", "1.0-1-2", "2:1.0~rc1+dfsg-3~bpo12+1", "0.9a", "1:2:3"};
	static const char *invalid[] = {"", "a1", "1.0-", ":1.0", "x:1.0", "1.0 1", "1.0_1", "1:", "1.0-1_2", "-1"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		if (!deb_version_valid(valid[i]))
			fail_msg("'%s' should be valid", valid[i]);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		if (deb_version_valid(invalid[i]))
			fail_msg("'%s' should be invalid", invalid[i]);
}

static void relations_hold_as_policy_says(void **state)
{
	(void)state;
	assert_true(deb_relation_holds("2.0", DEB_OP_GE, "2.0"));
	assert_true(deb_relation_holds("2.0", DEB_OP_GT, "1.9"));
	assert_false(deb_relation_holds("2.0", DEB_OP_GT, "2.0"));
	assert_true(deb_relation_holds("2.0~rc1", DEB_OP_LT, "2.0"));
	assert_true(deb_relation_holds("2.0", DEB_OP_LE, "2.0-0"));
	assert_true(deb_relation_holds("1:1", DEB_OP_EQ, "1:1-0"));
	assert_false(deb_relation_holds("1.0", DEB_OP_EQ, "1.0-1"));
	assert_true(deb_relation_holds("0", DEB_OP_NONE, NULL));
	assert_string_equal(deb_op_str(DEB_OP_LT), "<<");
	assert_string_equal(deb_op_str(DEB_OP_GE), ">=");
}

/* Returns dpkg's answer (-1, 0, 1) for a and b, or 2 when dpkg could not be run. */
static int dpkg_order(const char *a, const char *b)
{
	static const char *const ops[] = {"lt", "eq", "gt"};
	int i;

	for (i = 0; i < 3; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return 2;
		if (pid == 0) {
			execlp("dpkg", "dpkg", "--compare-versions", a, ops[i], b, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
			return 2;
		if (WEXITSTATUS(status) == 0)
			return i - 1;
	}
	return 2;
}

static void version_order_agrees_with_dpkg(void **state)
{
	/* Pieces put together at random (fixed seed): every pair dpkg answers must get the same answer. */
	static const char *const epochs[] = {"", "1:", "2:", "0:"};
	static const char *const ups[] = {"1.0",       "1.0~rc1", "1.0a", "1.0+dfsg", "1.00", "1.0.1",
					  "1.0~~",     "1a.b",	  "2.9",  "2.10",     "1.0+", "1.0.",
					  "0.9~beta2", "10",	  "1~",	  "1.0z.1"};
	static const char *const revs[] = {"", "-1", "-0", "-1.1", "-1~bpo12+1", "-1+b1", "-2", "-1a", "-10"};
	char a[64], b[64];
	unsigned seed = 12345;
	int i, asked = 0;

	(void)state;
	if (access("/usr/bin/dpkg", X_OK) != 0)
		skip();
	for (i = 0; i < 150; i++) {
		int want;

		seed = seed * 1103515245u + 12345u;
		snprintf(a, sizeof(a), "%s%s%s", epochs[(seed >> 8) % 4 == 0 ? (seed >> 12) % 4 : 0],
			 ups[(seed >> 16) % 16], revs[(seed >> 20) % 9]);
		seed = seed * 1103515245u + 12345u;
		snprintf(b, sizeof(b), "%s%s%s", epochs[(seed >> 8) % 4 == 0 ? (seed >> 12) % 4 : 0],
			 ups[(seed >> 16) % 16], revs[(seed >> 20) % 9]);
		if ((want = dpkg_order(a, b)) == 2)
			continue;
		asked++;
		if (sign(deb_version_cmp(a, b)) != want)
			fail_msg("%s vs %s: dpkg says %d, we say %d", a, b, want, deb_version_cmp(a, b));
	}
	assert_true(asked > 100);
}

static void depends_parse_groups_alternatives_and_relations(void **state)
{
	struct deb_depends d;
	struct lerr err;

	(void)state;
	assert_int_equal(
	    deb_depends_parse("libc6 (>= 2.34), python3:any (<< 3.12)\n  , default-mta | mail-transport-agent,"
			      "  foo:amd64, bar (<<1.0~)",
			      "pkg", "Depends", &d, &err),
	    0);
	assert_int_equal(d.group_count, 5);
	assert_int_equal(d.atom_count, 6);
	assert_string_equal(d.atoms[0].name, "libc6");
	assert_int_equal(d.atoms[0].op, DEB_OP_GE);
	assert_string_equal(d.atoms[0].version, "2.34");
	assert_string_equal(d.atoms[1].name, "python3");
	assert_int_equal(d.atoms[1].arch_qual, DEB_ARCH_ANY);
	assert_int_equal(d.atoms[1].op, DEB_OP_LT);
	assert_int_equal(d.groups[2].first, 2);
	assert_int_equal(d.groups[2].count, 2);
	assert_string_equal(d.atoms[3].name, "mail-transport-agent");
	assert_null(d.atoms[3].version);
	assert_int_equal(d.atoms[4].arch_qual, DEB_ARCH_OTHER);
	assert_string_equal(d.atoms[4].arch_name, "amd64");
	assert_string_equal(d.atoms[5].version, "1.0~");
	deb_depends_free(&d);

	assert_int_equal(deb_depends_parse("a (< 1), b (> 2), c(=3)", "pkg", "Depends", &d, &err), 0);
	assert_int_equal(d.atoms[0].op, DEB_OP_LE);
	assert_int_equal(d.atoms[1].op, DEB_OP_GE);
	assert_int_equal(d.atoms[2].op, DEB_OP_EQ);
	deb_depends_free(&d);

	assert_int_equal(deb_depends_parse("  ", "pkg", "Depends", &d, &err), 0);
	assert_int_equal(d.group_count, 0);
	deb_depends_free(&d);
	assert_int_equal(deb_depends_parse(NULL, "pkg", "Depends", &d, &err), 0);
	deb_depends_free(&d);
}

static void depends_parse_rejects_malformed_fields_naming_package_and_field(void **state)
{
	static const char *bad[] = {
	    "a (>= 1", "a (>= )",    "a (~ 1)",	  "a, , b",	  "a |",	"| a",
	    "a b",     "a (>= 1) c", "a [amd64]", "a <!nocheck>", "a (>= x y)", "a:",
	    "a,",      "a (>= 1 2)", "(>= 1)",	  "a (>= 1))",	  "a (= -1)",
	};
	struct deb_depends d;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (deb_depends_parse(bad[i], "mypkg", "Pre-Depends", &d, &err) == 0)
			fail_msg("'%s' should not parse", bad[i]);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		assert_non_null(strstr(err.msg, "mypkg: Pre-Depends: "));
		assert_null(strchr(err.msg, '\n'));
		assert_null(d.atoms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(version_order_follows_the_dpkg_table),
	    cmocka_unit_test(version_validity_matches_dpkg),
	    cmocka_unit_test(relations_hold_as_policy_says),
	    cmocka_unit_test(version_order_agrees_with_dpkg),
	    cmocka_unit_test(depends_parse_groups_alternatives_and_relations),
	    cmocka_unit_test(depends_parse_rejects_malformed_fields_naming_package_and_field),
	};
	return cmocka_run_group_tests_name("packages_version", tests, NULL, NULL);
}
