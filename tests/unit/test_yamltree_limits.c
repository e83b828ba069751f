/*
 * Resource bounds of the YAML readers (issue 15): nesting depth checked before
 * libyaml's per-token cost explodes (200 000-deep inputs would take minutes),
 * alias expansion counted where it lands, one document per file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/yamltree.h"
#include "serve/helmindex.h"

#define DEEP 200000

/* prefix, then open repeated n times, then middle, then close n times; caller frees. */
static char *nested(const char *prefix, const char *open, const char *middle, const char *close, size_t n)
{
	size_t len = strlen(prefix) + n * (strlen(open) + strlen(close)) + strlen(middle) + 2, i;
	char *text = malloc(len), *p = text;

	assert_non_null(text);
	p += sprintf(p, "%s", prefix);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", open);
	p += sprintf(p, "%s", middle);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", close);
	sprintf(p, "\n");
	return text;
}

static void load_fails(const char *text, int code, const char *msg)
{
	struct ydoc doc;
	struct lerr err;

	lerr_clear(&err);
	assert_int_equal(ydoc_load_string(&doc, "site.yaml", text, strlen(text), &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
}

static void deep_flow_sequence_is_refused_at_level_65(void **state)
{
	char *text = nested("", "[", "", "]", DEEP);

	(void)state;
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:1:65: nesting deeper than 64 levels of mappings and sequences");
	free(text);
}

static void deep_flow_mapping_is_refused(void **state)
{
	char *text = nested("", "{a: ", "1", "}", DEEP);

	(void)state;
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:1:257: nesting deeper than 64 levels of mappings and sequences");
	free(text);
}

static void deep_flow_on_many_lines_is_refused(void **state)
{
	char *text = nested("x:\n", "  [\n", "", "  ]\n", DEEP);

	(void)state;
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:65:3: nesting deeper than 64 levels of mappings and sequences");
	free(text);
}

static void deep_block_sequence_is_refused(void **state)
{
	char *text = nested("", "- ", "x", "", DEEP);

	(void)state;
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:1:129: nesting deeper than 64 levels of mappings and sequences");
	free(text);
}

static void deep_block_mapping_is_refused(void **state)
{
	char text[16384], *p = text;
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		p += sprintf(p, "%*sk:\n", i, "");
	sprintf(p, "%*sv\n", i, "");
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:65:65: nesting deeper than 64 levels of mappings and sequences");
}

static void sixty_four_levels_load(void **state)
{
	char *text = nested("", "[", "x", "]", 64);
	struct ydoc doc;
	struct lerr err;
	const struct ynode *node;
	int depth = 0;

	(void)state;
	assert_int_equal(ydoc_load_string(&doc, "ok.yaml", text, strlen(text), &err), 0);
	for (node = doc.root; node->type == YNODE_SEQ; node = node->items[0])
		depth++;
	assert_int_equal(depth, 64);
	assert_string_equal(node->value, "x");
	ydoc_free(&doc);
	free(text);
}

static void alias_counts_depth_where_it_lands(void **state)
{
	char *anchored = nested("a: &a ", "[", "", "]", 60);
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%sb: [[[[[*a]]]]]\n", anchored);
	load_fails(text, LADING_ERR_LIMIT, "site.yaml:2:9: nesting deeper than 64 levels of mappings and sequences");
	free(anchored);
}

static void aliases_copy_their_anchor(void **state)
{
	static const char text[] = "a: &x {k: v, l: [1, 2]}\nb: *x\nc: &s plain\nd: *s\n";
	const struct ynode *b, *d;
	struct ydoc doc;
	struct lerr err;

	(void)state;
	assert_int_equal(ydoc_load_string(&doc, "f.yaml", text, strlen(text), &err), 0);
	b = ynode_get(doc.root, "b");
	assert_int_equal(b->type, YNODE_MAP);
	assert_string_equal(ynode_get(b, "k")->value, "v");
	assert_int_equal(ynode_get(b, "l")->count, 2);
	d = ynode_get(doc.root, "d");
	assert_string_equal(d->value, "plain");
	assert_true(d->plain);
	ydoc_free(&doc);
	load_fails("a: *nope\n", LADING_ERR_FORMAT, "site.yaml:1:4: alias '*nope' names no anchor defined before it");
	load_fails("a: &x 1\nb: &x 2\n", LADING_ERR_FORMAT,
		   "site.yaml:2:4: anchor '&x' is defined twice (first at line 1)");
}

static void second_document_is_an_error(void **state)
{
	(void)state;
	load_fails("a: 1\n---\nb: 2\n", LADING_ERR_FORMAT,
		   "site.yaml:2:1: a second YAML document starts here; lading reads one document per file");
	load_fails("a: 1\n...\n# comment\n--- {b: 2}\n", LADING_ERR_FORMAT,
		   "site.yaml:4:1: a second YAML document starts here; lading reads one document per file");
	load_fails("---\na: 1\n---\n", LADING_ERR_FORMAT,
		   "site.yaml:3:1: a second YAML document starts here; lading reads one document per file");
}

static void one_document_with_markers_loads(void **state)
{
	static const char *const texts[] = {"---\na: 1\n...\n", "a: 1\n...\n# done\n", "# only a comment\n", ""};
	struct ydoc doc;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(ydoc_load_string(&doc, "f.yaml", texts[i], strlen(texts[i]), &err), 0);
		if (i < 2)
			assert_string_equal(ynode_get(doc.root, "a")->value, "1");
		else
			assert_null(doc.root);
		ydoc_free(&doc);
	}
}

static void mapping_key_must_be_scalar(void **state)
{
	(void)state;
	load_fails("? [a]\n: 1\n", LADING_ERR_FORMAT, "site.yaml:1:3: mapping keys must be scalars");
}

static void helm_index_deep_flow_is_refused(void **state)
{
	char *text = nested("entries:\n  x: ", "[", "", "]", DEEP);
	struct buf out = BUF_INIT(0);
	struct lerr err;

	(void)state;
	assert_int_equal(helm_index_rewrite("index.yaml", text, strlen(text), "http://h", &out, &err), -1);
	assert_int_equal(err.code, LADING_ERR_LIMIT);
	assert_string_equal(err.msg, "index.yaml:2:68: nesting deeper than 64 levels of mappings and sequences");
	buf_free(&out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(deep_flow_sequence_is_refused_at_level_65),
	    cmocka_unit_test(deep_flow_mapping_is_refused),
	    cmocka_unit_test(deep_flow_on_many_lines_is_refused),
	    cmocka_unit_test(deep_block_sequence_is_refused),
	    cmocka_unit_test(deep_block_mapping_is_refused),
	    cmocka_unit_test(sixty_four_levels_load),
	    cmocka_unit_test(alias_counts_depth_where_it_lands),
	    cmocka_unit_test(aliases_copy_their_anchor),
	    cmocka_unit_test(second_document_is_an_error),
	    cmocka_unit_test(one_document_with_markers_loads),
	    cmocka_unit_test(mapping_key_must_be_scalar),
	    cmocka_unit_test(helm_index_deep_flow_is_refused),
	};

	return cmocka_run_group_tests_name("yamltree_limits", tests, NULL, NULL);
}
