#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/yamltree.h"

static void yaml_unknown_key_names_line_and_column(void **state)
{
	static const char text[] = "name: x\nimages: []\nbogus: 1\n";
	static const char *const allowed[] = {"name", "images", NULL};
	struct ydoc doc;
	struct lerr err;

	(void)state;
	assert_int_equal(ydoc_load_string(&doc, "lading.yaml", text, strlen(text), &err), 0);
	assert_int_equal(ynode_check_keys(doc.root, allowed, "the bundle spec", &err), -1);
	assert_string_equal(err.msg, "lading.yaml:3:1: unknown key 'bogus' in the bundle spec");
	ydoc_free(&doc);
}

static void yaml_syntax_error_names_position(void **state)
{
	static const char text[] = "a: [1, 2\nb: 3\n";
	struct ydoc doc;
	struct lerr err;

	(void)state;
	assert_int_equal(ydoc_load_string(&doc, "f.yaml", text, strlen(text), &err), -1);
	assert_non_null(strstr(err.msg, "f.yaml:"));
}

static void yaml_typed_scalars(void **state)
{
	static const char text[] = "on: yes\nn: 12\nq: \"12\"\nlist: [a, b]\n";
	struct ydoc doc;
	struct lerr err;
	long long n = 0;
	int flag = 0;

	(void)state;
	assert_int_equal(ydoc_load_string(&doc, "f.yaml", text, strlen(text), &err), 0);
	assert_int_equal(ynode_bool(ynode_get(doc.root, "on"), "on", &flag, &err), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(ynode_int(ynode_get(doc.root, "n"), "n", 0, 100, &n, &err), 0);
	assert_int_equal(n, 12);
	assert_int_equal(ynode_int(ynode_get(doc.root, "q"), "q", 0, 100, &n, &err), -1);
	assert_int_equal(ynode_get(doc.root, "list")->count, 2);
	ydoc_free(&doc);
}

static void yaml_alias_bomb_is_capped(void **state)
{
	/* Each level doubles: 2^30 nodes if expanded blindly. */
	char text[4096];
	struct ydoc doc;
	struct lerr err;
	size_t len = 0;
	int i;

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "a0: &a0 [x, x]\n");
	for (i = 1; i < 30; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "a%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
	assert_int_equal(ydoc_load_string(&doc, "bomb.yaml", text, len, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(yaml_unknown_key_names_line_and_column),
	    cmocka_unit_test(yaml_syntax_error_names_position),
	    cmocka_unit_test(yaml_typed_scalars),
	    cmocka_unit_test(yaml_alias_bomb_is_capped),
	};
	return cmocka_run_group_tests_name("yamltree", tests, NULL, NULL);
}
