#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "serve/helmindex.h"

static const char index_yaml[] = "apiVersion: v1\n"
				 "entries:\n"
				 "  demo:\n"
				 "  - apiVersion: v2\n"
				 "    name: demo\n"
				 "    version: 1.0.0\n"
				 "    deprecated: false\n"
				 "    urls:\n"
				 "    - https://charts.example.org/stable/demo-1.0.0.tgz?token=x\n"
				 "    - demo-1.0.0.tgz\n"
				 "    digest: abc\n"
				 "  other:\n"
				 "  - name: other\n"
				 "    version: \"2.0\"\n"
				 "    urls: [other-2.0.tgz]\n"
				 "    sources:\n"
				 "    - https://example.org/src/urls\n"
				 "generated: \"2026-11-23T00:00:00Z\"\n";

static void rewrite_points_chart_urls_here(void **state)
{
	struct buf out = BUF_INIT(0);
	struct lerr err;

	(void)state;
	assert_int_equal(
	    helm_index_rewrite("index.yaml", index_yaml, strlen(index_yaml), "http://127.0.0.1:5000", &out, &err), 0);
	assert_non_null(strstr(out.data, "- http://127.0.0.1:5000/charts/demo-1.0.0.tgz\n"));
	assert_non_null(strstr(out.data, "http://127.0.0.1:5000/charts/other-2.0.tgz"));
	assert_null(strstr(out.data, "charts.example.org"));
	assert_null(strstr(out.data, "token"));
	/* everything else passes through untouched, styles included */
	assert_non_null(strstr(out.data, "https://example.org/src/urls"));
	assert_non_null(strstr(out.data, "version: \"2.0\""));
	assert_non_null(strstr(out.data, "deprecated: false"));
	assert_non_null(strstr(out.data, "digest: abc"));
	buf_free(&out);
}

static int count_files(const char *file, void *arg)
{
	int *count = arg;

	(*count)++;
	return strcmp(file, "missing.tgz") == 0 ? -1 : 0;
}

static void each_file_lists_chart_files(void **state)
{
	const char bad[] = "entries:\n  x:\n  - urls: [http://h/missing.tgz]\n";
	struct lerr err;
	int count = 0;

	(void)state;
	assert_int_equal(helm_index_each_file("index.yaml", index_yaml, strlen(index_yaml), count_files, &count, &err),
			 0);
	assert_int_equal(count, 3);
	assert_int_equal(helm_index_each_file("index.yaml", bad, strlen(bad), count_files, &count, &err), -1);
	assert_non_null(strstr(err.msg, "index.yaml:3:"));
	assert_non_null(strstr(err.msg, "missing.tgz"));
}

static void rewrite_reports_yaml_errors_with_position(void **state)
{
	const char broken[] = "entries:\n  x: [a, b\n";
	struct buf out = BUF_INIT(0);
	struct lerr err;

	(void)state;
	assert_int_equal(helm_index_rewrite("index.yaml", broken, strlen(broken), "http://h", &out, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "index.yaml:"));
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rewrite_points_chart_urls_here),
	    cmocka_unit_test(each_file_lists_chart_files),
	    cmocka_unit_test(rewrite_reports_yaml_errors_with_position),
	};

	return cmocka_run_group_tests_name("helmindex", tests, NULL, NULL);
}
