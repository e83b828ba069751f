/* inventory/pattern.c: Ansible host patterns (union, intersection, exclusion, globs, subscripts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory/inventory.h"
#include "lib/fsutil.h"

static char tmpdir[] = "/tmp/lading-test-pattern.XXXXXX";

static const char inventory_text[] = "all:\n"
				     "  hosts:\n"
				     "    lone:\n"
				     "  children:\n"
				     "    gpu:\n"
				     "      hosts:\n"
				     "        gpu-[01:04]:\n"
				     "      children:\n"
				     "        a100:\n"
				     "          hosts: {gpu-03: , gpu-04: }\n"
				     "    web:\n"
				     "      hosts: {web-1: , web-2: , gpu-01: }\n"
				     "    db:\n"
				     "      hosts: {db-1: }\n";

static int setup(void **state)
{
	struct inventory *inv = NULL;
	struct lerr err;
	FILE *f;

	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0)
		return -1;
	f = fopen("inv.yml", "w");
	if (f == NULL || fputs(inventory_text, f) < 0 || fclose(f) != 0)
		return -1;
	if (inv_load("inv.yml", &inv, &err) != 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	*state = inv;
	return 0;
}

static int teardown(void **state)
{
	struct lerr err;

	inv_free(*state);
	if (chdir("/") != 0)
		return -1;
	return fs_remove_tree(tmpdir, &err);
}

/* The selected host names joined with spaces, or "ERROR: message". */
static const char *sel(void **state, const char *pattern)
{
	static char out[LERR_MSG_MAX + 64];
	const struct inv_host **hosts = NULL;
	struct lerr err;
	size_t count = 0, i;

	if (inv_select(*state, pattern, &hosts, &count, &err) != 0) {
		snprintf(out, sizeof(out), "ERROR: %s", err.msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < count; i++) {
		strncat(out, i ? " " : "", sizeof(out) - strlen(out) - 1);
		strncat(out, hosts[i]->name, sizeof(out) - strlen(out) - 1);
	}
	free(hosts);
	return out;
}

static void pattern_all_and_empty_select_everything_in_inventory_order(void **state)
{
	const char *all = "lone gpu-01 gpu-02 gpu-03 gpu-04 web-1 web-2 db-1";

	assert_string_equal(sel(state, NULL), all);
	assert_string_equal(sel(state, ""), all);
	assert_string_equal(sel(state, "all"), all);
	assert_string_equal(sel(state, "*"), all);
}

static void pattern_group_includes_child_groups(void **state)
{
	assert_string_equal(sel(state, "gpu"), "gpu-01 gpu-02 gpu-03 gpu-04");
	assert_string_equal(sel(state, "a100"), "gpu-03 gpu-04");
	assert_string_equal(sel(state, "ungrouped"), "lone");
}

static void pattern_union_with_colon_and_comma_keeps_inventory_order(void **state)
{
	assert_string_equal(sel(state, "db:a100"), "gpu-03 gpu-04 db-1");
	assert_string_equal(sel(state, "db,lone"), "lone db-1");
	assert_string_equal(sel(state, "web:gpu"), "gpu-01 gpu-02 gpu-03 gpu-04 web-1 web-2");
}

static void pattern_intersection_and_exclusion(void **state)
{
	assert_string_equal(sel(state, "gpu:&web"), "gpu-01");
	assert_string_equal(sel(state, "gpu:!a100"), "gpu-01 gpu-02");
	assert_string_equal(sel(state, "!gpu"), "lone web-1 web-2 db-1");
	/* exclusions apply after unions, wherever they are written */
	assert_string_equal(sel(state, "!a100:gpu"), "gpu-01 gpu-02");
	assert_string_equal(sel(state, "all:!gpu:&web"), "web-1 web-2");
}

static void pattern_globs_and_regex_match_hosts_and_groups(void **state)
{
	assert_string_equal(sel(state, "web-*"), "web-1 web-2");
	assert_string_equal(sel(state, "gpu-0[1-2]"), "gpu-01 gpu-02");
	assert_string_equal(sel(state, "a1*"), "gpu-03 gpu-04");
	assert_string_equal(sel(state, "~^(db|lone)"), "lone db-1");
	assert_string_equal(sel(state, "nothing-*"), "");
}

static void pattern_subscripts_count_in_inventory_order(void **state)
{
	assert_string_equal(sel(state, "gpu[0]"), "gpu-01");
	assert_string_equal(sel(state, "gpu[-1]"), "gpu-04");
	assert_string_equal(sel(state, "gpu[1:2]"), "gpu-02 gpu-03");
	assert_string_equal(sel(state, "gpu[2:]"), "gpu-03 gpu-04");
	assert_string_equal(sel(state, "gpu[:1]"), "gpu-01 gpu-02");
	assert_string_equal(sel(state, "gpu[9]"), "ERROR: pattern 'gpu[9]': subscript out of range (4 hosts)");
}

static void pattern_unknown_plain_name_is_an_error_naming_it(void **state)
{
	assert_string_equal(sel(state, "web:gpus"), "ERROR: pattern 'gpus' matches no group or host in the inventory");
	assert_string_equal(sel(state, "all:!nope"), "ERROR: pattern 'nope' matches no group or host in the inventory");
	assert_string_equal(sel(state, "web-1"), "web-1");
	assert_string_equal(sel(state, "web:!"), "ERROR: pattern 'web:!': '!' must be followed by a name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pattern_all_and_empty_select_everything_in_inventory_order),
	    cmocka_unit_test(pattern_group_includes_child_groups),
	    cmocka_unit_test(pattern_union_with_colon_and_comma_keeps_inventory_order),
	    cmocka_unit_test(pattern_intersection_and_exclusion),
	    cmocka_unit_test(pattern_globs_and_regex_match_hosts_and_groups),
	    cmocka_unit_test(pattern_subscripts_count_in_inventory_order),
	    cmocka_unit_test(pattern_unknown_plain_name_is_an_error_naming_it),
	};
	return cmocka_run_group_tests_name("inv_pattern", tests, setup, teardown);
}
