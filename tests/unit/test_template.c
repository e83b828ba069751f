/* inventory/template.c: {{ var }} substitution, default(), and errors naming file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory/template.h"

static const char *lookup(void *ctx, const char *name)
{
	static const char *const vars[][2] = {
	    {"host", "gpu-01"}, {"port", "5000"}, {"empty", ""}, {"_x1", "under"}, {NULL, NULL},
	};
	int i;

	(void)ctx;
	for (i = 0; vars[i][0] != NULL; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

/* Renders text; returns the output or "ERROR: message" (static buffer). */
static const char *render(const char *text, size_t cap)
{
	static char result[LERR_MSG_MAX + 64];
	struct buf out = BUF_INIT(cap);
	struct lerr err;

	if (tmpl_render(text, strlen(text), "site.yaml", 10, lookup, NULL, &out, &err) != 0)
		snprintf(result, sizeof(result), "ERROR: %s", err.msg);
	else
		snprintf(result, sizeof(result), "%s", out.data != NULL ? out.data : "");
	buf_free(&out);
	return result;
}

static void template_substitutes_with_any_spacing(void **state)
{
	(void)state;
	assert_string_equal(render("{{host}}:{{ port }} {{   _x1\t}}", 0), "gpu-01:5000 under");
	assert_string_equal(render("no braces here { } }} x", 0), "no braces here { } }} x");
	assert_string_equal(render("[{{ empty }}]", 0), "[]");
	assert_string_equal(render("", 0), "");
	assert_string_equal(render("shell ${#var} {x}", 0), "shell ${#var} {x}");
}

static void template_default_filter_applies_only_when_undefined(void **state)
{
	(void)state;
	assert_string_equal(render("{{ ntp | default('10.0.0.1') }}", 0), "10.0.0.1");
	assert_string_equal(render("{{ntp|default(\"a b\")}}", 0), "a b");
	assert_string_equal(render("{{ port | default('1') }}", 0), "5000");
	assert_string_equal(render("{{ empty | d('x') }}", 0), "");
	assert_string_equal(render("{{ nope | default('') }}!", 0), "!");
}

static void template_whitespace_control_trims_like_jinja(void **state)
{
	(void)state;
	assert_string_equal(render("a  \n  {{- host }} b", 0), "agpu-01 b");
	assert_string_equal(render("{{ host -}}\n\n  x", 0), "gpu-01x");
	assert_string_equal(render("[{{ host }} {{- port -}} ]", 0), "[gpu-015000]");
	assert_string_equal(render("x{ {{- host }}", 0), "x{gpu-01");
}

static void template_undefined_variable_names_it_and_its_line(void **state)
{
	(void)state;
	assert_string_equal(render("a\nb\n  {{ ntp_server }}", 0),
			    "ERROR: site.yaml:12: undefined variable 'ntp_server'");
	assert_string_equal(render("{{ host }} {{ missing }}", 0), "ERROR: site.yaml:10: undefined variable 'missing'");
}

static void template_malformed_expressions_are_errors(void **state)
{
	(void)state;
	assert_string_equal(render("x\n{{ host", 0), "ERROR: site.yaml:11: '{{' without its closing '}}'");
	assert_string_equal(render("{{ host | upper }}", 0), "ERROR: site.yaml:10: cannot read '{{ host | upper }}': "
							     "expected {{ name }} or {{ name | default('text') }}");
	assert_string_equal(
	    render("{{ }}", 0),
	    "ERROR: site.yaml:10: cannot read '{{ }}': expected {{ name }} or {{ name | default('text') }}");
	assert_string_equal(
	    render("{{ a.b }}", 0),
	    "ERROR: site.yaml:10: cannot read '{{ a.b }}': expected {{ name }} or {{ name | default('text') }}");
	assert_string_equal(render("{% if x %}", 0), "ERROR: site.yaml:10: '{%' statements are not supported (only {{ "
						     "name }} and {{ name | default('text') }})");
}

static void template_output_cap_is_a_limit_error(void **state)
{
	(void)state;
	assert_string_equal(render("{{ host }}{{ host }}", 8), "ERROR: site.yaml: data larger than the 8-byte limit");
}

static void template_file_counts_lines_from_one(void **state)
{
	char path[] = "/tmp/lading-test-template.XXXXXX";
	struct buf out = BUF_INIT(0);
	struct lerr err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "server {{ host }}\nport {{ nope }}\n", 34), 34);
	close(fd);
	assert_int_equal(tmpl_render_file(path, 1024, lookup, NULL, &out, &err), -1);
	assert_non_null(strstr(err.msg, ":2: undefined variable 'nope'"));
	assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
	buf_free(&out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(template_substitutes_with_any_spacing),
	    cmocka_unit_test(template_default_filter_applies_only_when_undefined),
	    cmocka_unit_test(template_whitespace_control_trims_like_jinja),
	    cmocka_unit_test(template_undefined_variable_names_it_and_its_line),
	    cmocka_unit_test(template_malformed_expressions_are_errors),
	    cmocka_unit_test(template_output_cap_is_a_limit_error),
	    cmocka_unit_test(template_file_counts_lines_from_one),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
