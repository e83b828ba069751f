/* Unit tests for the pieces of charts/providers/files that need no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/files.h"
#include "charts/fetch.h"
#include "charts/repo_index.h"
#include "charts/repo_write.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "providers/registry.h"

static void file_names_must_stay_inside_files(void **state)
{
	static const char *const bad[] = {"../x", "a/../b", "/etc/passwd", "a//b", "a/", ".", "a/./b", "a\\b", ""};
	struct lerr err;
	char *name = NULL;
	size_t i;

	(void)state;
	assert_int_equal(file_name_resolve("https://h/d/driver.run?x=1", NULL, &name, &err), 0);
	assert_string_equal(name, "driver.run");
	free(name);
	assert_int_equal(file_name_resolve("https://h/d/x", "nvidia/driver.run", &name, &err), 0);
	assert_string_equal(name, "nvidia/driver.run");
	free(name);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(file_name_resolve("https://h/x", bad[i], &name, &err), -1);
		assert_int_equal(err.code, LADING_ERR_USAGE);
	}
	assert_int_equal(file_name_resolve("https://h/dir/", NULL, &name, &err), -1);
}

static void provider_sources_split_like_terraform(void **state)
{
	char *host, *ns, *type;
	struct lerr err;

	(void)state;
	assert_int_equal(provider_source_parse("hashicorp/vsphere", &host, &ns, &type, &err), 0);
	assert_string_equal(host, "registry.terraform.io");
	assert_string_equal(ns, "hashicorp");
	assert_string_equal(type, "vsphere");
	free(host), free(ns), free(type);
	assert_int_equal(provider_source_parse("127.0.0.1:8080/Example/Null", &host, &ns, &type, &err), 0);
	assert_string_equal(host, "127.0.0.1:8080");
	assert_string_equal(ns, "example");
	assert_string_equal(type, "null");
	free(host), free(ns), free(type);
	assert_int_equal(provider_source_parse("vsphere", &host, &ns, &type, &err), -1);
	assert_int_equal(provider_source_parse("a/b/c/d", &host, &ns, &type, &err), -1);
	assert_int_equal(provider_source_parse("a//b", &host, &ns, &type, &err), -1);
	assert_int_equal(provider_source_parse("ns/ty:pe", &host, &ns, &type, &err), -1);
}

static void chart_versions_pick_the_newest_match(void **state)
{
	char *versions[] = {"1.0.0", "1.2.4", "1.2.3", "2.0.0-rc.1", "1.10.0", "notsemver"};
	const char *chosen;
	struct lerr err;

	(void)state;
	assert_int_equal(chart_pick_version("c", versions, 6, "~1.2", &chosen, &err), 0);
	assert_string_equal(chosen, "1.2.4");
	assert_int_equal(chart_pick_version("c", versions, 6, "", &chosen, &err), 0);
	assert_string_equal(chosen, "1.10.0");
	assert_int_equal(chart_pick_version("c", versions, 6, "notsemver", &chosen, &err), 0);
	assert_string_equal(chosen, "notsemver");
	assert_int_equal(chart_pick_version("c", versions, 6, ">=2.0.0-0", &chosen, &err), 0);
	assert_string_equal(chosen, "2.0.0-rc.1");
	assert_int_equal(chart_pick_version("c", versions, 6, "^3", &chosen, &err), -1);
	assert_non_null(strstr(err.msg, "available: 1.0.0, 1.2.4"));
}

/* What chart_repo_index_render writes, chart_index_select (Helm's rules) reads back. */
static void rendered_index_reads_back(void **state)
{
	struct chart_repo_entry entries[] = {
	    {"web", "1.0.0", "1.0", "v2", "a \"quoted\": description", "aa"},
	    {"web", "1.10.0", NULL, NULL, NULL, "bb"},
	    {"ray", "0.3.0+build.1", NULL, "v2", NULL, "cc"},
	};
	struct buf text = BUF_INIT(0);
	struct chart_version cv = {0};
	char path[] = "/tmp/lading-index-XXXXXX";
	struct lerr err;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	chart_repo_index_render(entries, 3, 0, &text);
	assert_non_null(strstr(text.data, "generated: \"1970-01-01T00:00:00Z\""));
	assert_true(strstr(text.data, "\"1.10.0\"") < strstr(text.data, "\"1.0.0\"")); /* newest first */
	assert_int_equal(fs_write_file(path, text.data, text.len, 0644, &err), 0);
	assert_int_equal(chart_index_select(path, "index.yaml", "web", "~1.0", &cv, &err), 0);
	assert_string_equal(cv.version, "1.0.0");
	assert_string_equal(cv.digest, "aa");
	assert_string_equal(cv.urls[0], "web-1.0.0.tgz");
	chart_version_free(&cv);
	assert_int_equal(chart_index_select(path, "index.yaml", "ray", "", &cv, &err), 0);
	assert_string_equal(cv.urls[0], "ray-0.3.0+build.1.tgz");
	chart_version_free(&cv);
	unlink(path);
	buf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(file_names_must_stay_inside_files),
	    cmocka_unit_test(provider_sources_split_like_terraform),
	    cmocka_unit_test(chart_versions_pick_the_newest_match),
	    cmocka_unit_test(rendered_index_reads_back),
	};
	return cmocka_run_group_tests_name("sources", tests, NULL, NULL);
}
