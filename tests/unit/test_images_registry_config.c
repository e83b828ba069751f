#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/hostcfg.h"
#include "lib/err.h"
#include "lib/yamltree.h"

static int parse(const char *text, struct host_set *set, struct lerr *err)
{
	struct ydoc doc;
	int r;

	assert_int_equal(ydoc_load_string(&doc, "conf/lading.yaml", text, strlen(text), err), 0);
	r = host_set_parse(ynode_get(doc.root, "registries"), set, err);
	ydoc_free(&doc);
	return r;
}

static void registries_list_parses(void **state)
{
	static const char text[] = "registries:\n"
				   "  - host: 127.0.0.1:5000\n"
				   "    plain_http: true\n"
				   "  - host: lab.example\n"
				   "    ca_file: certs/ca.pem\n"
				   "  - host: other.example\n"
				   "    ca_file: /etc/ca.pem\n"
				   "    insecure_skip_verify: yes\n";
	struct host_set set;
	struct lerr err;
	const struct host_config *rc;

	(void)state;
	assert_int_equal(parse(text, &set, &err), 0);
	assert_int_equal(set.count, 3);
	rc = host_set_find(&set, "127.0.0.1:5000");
	assert_non_null(rc);
	assert_true(rc->plain_http);
	assert_null(rc->ca_file);
	rc = host_set_find(&set, "lab.example");
	assert_string_equal(rc->ca_file, "conf/certs/ca.pem");
	assert_false(rc->insecure_skip_verify);
	rc = host_set_find(&set, "other.example");
	assert_string_equal(rc->ca_file, "/etc/ca.pem");
	assert_true(rc->insecure_skip_verify);
	assert_null(host_set_find(&set, "127.0.0.1:5001"));
	host_set_free(&set);
}

static void bad_entries_name_file_line_col(void **state)
{
	struct host_set set;
	struct lerr err;

	(void)state;
	assert_int_equal(parse("registries:\n  - host: a\n    plain: true\n", &set, &err), -1);
	assert_string_equal(err.msg, "conf/lading.yaml:3:5: unknown key 'plain' in registries entry");
	assert_int_equal(parse("registries:\n  - plain_http: true\n", &set, &err), -1);
	assert_non_null(strstr(err.msg, "conf/lading.yaml:2:"));
	assert_non_null(strstr(err.msg, "'host' is required"));
	assert_int_equal(parse("registries:\n  - host: a\n    plain_http: maybe\n", &set, &err), -1);
	assert_non_null(strstr(err.msg, "conf/lading.yaml:3:17"));
	assert_int_equal(parse("registries:\n  - host: https://a\n", &set, &err), -1);
	assert_non_null(strstr(err.msg, "without a scheme"));
	assert_int_equal(parse("registries:\n  - host: a\n  - host: a\n", &set, &err), -1);
	assert_non_null(strstr(err.msg, "listed twice"));
	assert_int_equal(parse("registries: {host: a}\n", &set, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(registries_list_parses),
	    cmocka_unit_test(bad_entries_name_file_line_col),
	};
	return cmocka_run_group_tests_name("images_registry_config", tests, NULL, NULL);
}
