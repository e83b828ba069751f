/* inventory/range.c and value.c: host ranges, host:port, YAML 1.1 and Python-literal typing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/range.h"
#include "inventory/value.h"

/* Expansion joined with spaces, or "ERROR@offset: message". */
static const char *expand(const char *pattern)
{
	static char out[LERR_MSG_MAX + 64];
	char **names = NULL;
	size_t count = 0, bad = 0, i;
	struct lerr err;

	if (inv_range_expand(pattern, &names, &count, &bad, &err) != 0) {
		snprintf(out, sizeof(out), "ERROR@%zu: %s", bad, err.msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < count; i++) {
		strncat(out, i ? " " : "", sizeof(out) - strlen(out) - 1);
		strncat(out, names[i], sizeof(out) - strlen(out) - 1);
	}
	inv_range_free(names, count);
	return out;
}

static void range_numbers_keep_zero_padding(void **state)
{
	(void)state;
	assert_string_equal(expand("gpu-[01:03]"), "gpu-01 gpu-02 gpu-03");
	assert_string_equal(expand("gpu-[8:11]"), "gpu-8 gpu-9 gpu-10 gpu-11");
	assert_string_equal(expand("n[098:101].lab"), "n098.lab n099.lab n100.lab n101.lab");
	assert_string_equal(expand("10.0.1.[30:32]"), "10.0.1.30 10.0.1.31 10.0.1.32");
	assert_string_equal(expand("h[:2]"), "h0 h1 h2");
	assert_string_equal(expand("plain"), "plain");
	assert_string_equal(expand("[1:2]x"), "[1:2]x"); /* Ansible: a range never starts the name */
}

static void range_letters_and_strides(void **state)
{
	(void)state;
	assert_string_equal(expand("rack-[a:d]"), "rack-a rack-b rack-c rack-d");
	assert_string_equal(expand("r[y:B]"), "ry rz rA rB");
	assert_string_equal(expand("gpu-[01:09:4]"), "gpu-01 gpu-05 gpu-09");
	assert_string_equal(expand("x[a:e:2]"), "xa xc xe");
	assert_string_equal(expand("r[1:2]-n[a:b]"), "r1-na r1-nb r2-na r2-nb");
}

static void range_errors_point_at_the_bracket(void **state)
{
	(void)state;
	assert_string_equal(
	    expand("gpu-[01:100]"),
	    "ERROR@4: bad host range '[01:100]': a zero-padded begin and its end must have the same width");
	assert_string_equal(expand("n-[5:1]"), "ERROR@2: bad host range '[5:1]': begin is after end");
	assert_string_equal(expand("n-[1:]"), "ERROR@2: bad host range '[1:]': no end value");
	assert_string_equal(expand("ok[1:2]-n-[1:2:0]"),
			    "ERROR@10: bad host range '[1:2:0]': step must be a positive integer");
	assert_string_equal(expand("n[1:x]"), "ERROR@1: bad host range '[1:x]': end must be a number or a letter");
	assert_string_equal(expand("n[1:2:3:4]"),
			    "ERROR@1: bad host range '[1:2:3:4]': expected [begin:end] or [begin:end:step]");
	assert_string_equal(expand("n[0:999999]-[0:9]"), "ERROR@1: host range expands to more than 100000 names");
	assert_string_equal(expand("n[0:99999999]"), "ERROR@1: host range expands to more than 100000 names");
}

static void host_port_forms(void **state)
{
	char *host = NULL;
	int port = -1;
	struct lerr err;

	(void)state;
	assert_int_equal(inv_host_port("web:2222", &host, &port, &err), 0);
	assert_string_equal(host, "web");
	assert_int_equal(port, 2222);
	free(host);
	assert_int_equal(inv_host_port("gpu-[01:04]:22", &host, &port, &err), 0);
	assert_string_equal(host, "gpu-[01:04]");
	assert_int_equal(port, 22);
	free(host);
	assert_int_equal(inv_host_port("[fd00::1]:2022", &host, &port, &err), 0);
	assert_string_equal(host, "fd00::1");
	assert_int_equal(port, 2022);
	free(host);
	assert_int_equal(inv_host_port("fd00::1", &host, &port, &err), 0);
	assert_string_equal(host, "fd00::1");
	assert_int_equal(port, 0);
	free(host);
	assert_int_equal(inv_host_port("web:99999", &host, &port, &err), -1);
	assert_string_equal(err.msg, "bad port '99999': expected 1 to 65535");
	assert_int_equal(inv_host_port("web:", &host, &port, &err), -1);
}

static void check_yaml(const char *text, int plain, const char *want, enum inv_kind want_kind)
{
	enum inv_kind kind;
	char *out;

	inv_value_yaml_scalar(text, plain, &out, &kind);
	if (strcmp(out, want) != 0 || kind != want_kind)
		fail_msg("yaml '%s': got '%s' kind %d, want '%s' kind %d", text, out, kind, want, want_kind);
	free(out);
}

static void yaml_scalars_resolve_like_pyyaml(void **state)
{
	(void)state;
	check_yaml("yes", 1, "true", INV_BOOL);
	check_yaml("Off", 1, "false", INV_BOOL);
	check_yaml("yes", 0, "yes", INV_STRING);
	check_yaml("~", 1, "", INV_NULL);
	check_yaml("", 1, "", INV_NULL);
	check_yaml("22", 1, "22", INV_INT);
	check_yaml("-1_000", 1, "-1000", INV_INT);
	check_yaml("010", 1, "8", INV_INT); /* YAML 1.1 octal */
	check_yaml("0x1F", 1, "31", INV_INT);
	check_yaml("0b101", 1, "5", INV_INT);
	check_yaml("1.5", 1, "1.5", INV_FLOAT);
	check_yaml("10.0.0.1", 1, "10.0.0.1", INV_STRING);
	check_yaml("1e3", 1, "1e3", INV_STRING); /* PyYAML wants a dot */
	check_yaml("y", 1, "y", INV_STRING);
}

static void check_python(const char *text, const char *want, enum inv_kind want_kind)
{
	enum inv_kind kind;
	char *out;

	inv_value_python(text, &out, &kind);
	if (strcmp(out, want) != 0 || kind != want_kind)
		fail_msg("python '%s': got '%s' kind %d, want '%s' kind %d", text, out, kind, want, want_kind);
	free(out);
}

static void ini_values_read_like_literal_eval(void **state)
{
	(void)state;
	check_python("80", "80", INV_INT);
	check_python("007", "007", INV_STRING); /* a syntax error in Python 3 */
	check_python("00", "0", INV_INT);
	check_python("0x10", "16", INV_INT);
	check_python("-5", "-5", INV_INT);
	check_python("1_000", "1000", INV_INT);
	check_python("1.5e3", "1500", INV_FLOAT);
	check_python("True", "true", INV_BOOL);
	check_python("true", "true", INV_STRING);
	check_python("None", "", INV_NULL);
	check_python("'a b'", "a b", INV_STRING);
	check_python("\"x\\ty\" 'z'",
		     "x\ty"
		     "z",
		     INV_STRING);
	check_python("'\\u00e9'", "\xc3\xa9", INV_STRING);
	check_python("[1, 'a', (2,), {'k': None}]", "[1,\"a\",[2],{\"k\":null}]", INV_JSON);
	check_python("{1: True}", "{\"1\":true}", INV_JSON);
	check_python("(7)", "7", INV_INT);
	check_python("1 # comment", "1", INV_INT);
	check_python("hello world", "hello world", INV_STRING);
	check_python("[1, 2", "[1, 2", INV_STRING);
	check_python("10.0.0.1", "10.0.0.1", INV_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(range_numbers_keep_zero_padding),	 cmocka_unit_test(range_letters_and_strides),
	    cmocka_unit_test(range_errors_point_at_the_bracket), cmocka_unit_test(host_port_forms),
	    cmocka_unit_test(yaml_scalars_resolve_like_pyyaml),	 cmocka_unit_test(ini_values_read_like_literal_eval),
	};
	return cmocka_run_group_tests_name("inv_value", tests, NULL, NULL);
}
