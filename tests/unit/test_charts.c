#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charts/chart_archive.h"
#include "charts/repo_index.h"
#include "lib/fsutil.h"

static const char index_yaml[] = "apiVersion: v1\n"
				 "entries:\n"
				 "  demo:\n"
				 "  - {name: demo, version: 1.2.0, urls: [demo-1.2.0.tgz], digest: aa}\n"
				 "  - {name: demo, version: 1.10.1, urls: [demo-1.10.1.tgz], digest: \"sha256:bb\"}\n"
				 "  - {name: demo, version: 2.0.0-rc.1, urls: [demo-2.0.0-rc.1.tgz]}\n"
				 "  - {name: demo, version: 1.3.0}\n"
				 "  - {name: demo, version: 2.1.0, urls: [https://x.example/demo-2.1.0.tgz]}\n";

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/lading-index-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void index_picks_newest_match(void **state)
{
	struct chart_version cv;
	struct lerr err;
	char *path = write_temp(index_yaml);

	(void)state;
	assert_int_equal(chart_index_select(path, "repo", "demo", "~1.2", &cv, &err), 0);
	assert_string_equal(cv.version, "1.2.0");
	chart_version_free(&cv);
	assert_int_equal(chart_index_select(path, "repo", "demo", "^1", &cv, &err), 0);
	assert_string_equal(cv.version, "1.10.1");
	assert_string_equal(cv.digest, "bb");
	assert_string_equal(cv.urls[0], "demo-1.10.1.tgz");
	chart_version_free(&cv);
	assert_int_equal(chart_index_select(path, "repo", "demo", "", &cv, &err), 0);
	assert_string_equal(cv.version, "2.1.0");
	chart_version_free(&cv);
	assert_int_equal(chart_index_select(path, "repo", "demo", "2.0.0-rc.1", &cv, &err), 0);
	assert_string_equal(cv.version, "2.0.0-rc.1");
	chart_version_free(&cv);
	unlink(path);
	free(path);
}

/* Helm skips an entry with no usable URL; one whose urls hold no string is no better (fuzz_helmindex). */
static void index_skips_entries_without_string_urls(void **state)
{
	struct chart_version cv;
	struct lerr err;
	char *path =
	    write_temp("apiVersion: v1\nentries:\n  demo:\n  - {name: demo, version: 2.0.0, urls: [[a.tgz], {}]}\n"
		       "  - {name: demo, version: 1.0.0, urls: [demo-1.0.0.tgz]}\n");

	(void)state;
	assert_int_equal(chart_index_select(path, "repo", "demo", "", &cv, &err), 0);
	assert_string_equal(cv.version, "1.0.0");
	chart_version_free(&cv);
	unlink(path);
	free(path);
}

static void index_errors_say_what_exists(void **state)
{
	struct chart_version cv;
	struct lerr err;
	char *path = write_temp(index_yaml);
	char *bad = write_temp("apiVersion: v1\nentries: [\n");

	(void)state;
	assert_int_equal(chart_index_select(path, "https://charts.test", "demo", ">=3", &cv, &err), -1);
	assert_non_null(strstr(err.msg, "no version matches '>=3'"));
	assert_non_null(strstr(err.msg, "1.10.1"));
	assert_int_equal(chart_index_select(path, "https://charts.test", "nope", "1", &cv, &err), -1);
	assert_non_null(strstr(err.msg, "no chart named 'nope'"));
	assert_int_equal(chart_index_select(bad, "https://charts.test/index.yaml", "demo", "1", &cv, &err), -1);
	assert_true(strncmp(err.msg, "https://charts.test/index.yaml:", 31) == 0);
	unlink(path);
	unlink(bad);
	free(path);
	free(bad);
}

static void values_images_are_found(void **state)
{
	static const char values[] = "image: {repository: nginx, tag: \"1.27\"}\n"
				     "operator:\n"
				     "  image: {registry: nvcr.io, repository: nvidia/gpu-operator, version: v24.9.0}\n"
				     "sidecars:\n"
				     "  - name: a\n"
				     "    image: busybox:1.36\n"
				     "  - image: {repository: ghcr.io/x/y}\n"
				     "pinned:\n"
				     "  image: {repository: quay.io/p/q, digest: \"sha256:abc\"}\n"
				     "dup:\n"
				     "  image: busybox:1.36\n";
	char **images = NULL;
	size_t count = 0, i;
	struct lerr err;

	(void)state;
	assert_int_equal(chart_values_images("values.yaml", values, strlen(values), "9.9", &images, &count, &err), 0);
	assert_int_equal(count, 5);
	assert_string_equal(images[0], "nginx:1.27");
	assert_string_equal(images[1], "nvcr.io/nvidia/gpu-operator:v24.9.0");
	assert_string_equal(images[2], "busybox:1.36");
	assert_string_equal(images[3], "ghcr.io/x/y:9.9");
	assert_string_equal(images[4], "quay.io/p/q@sha256:abc");
	for (i = 0; i < count; i++)
		free(images[i]);
	free(images);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(index_picks_newest_match),
	    cmocka_unit_test(index_skips_entries_without_string_urls),
	    cmocka_unit_test(index_errors_say_what_exists),
	    cmocka_unit_test(values_images_are_found),
	};
	return cmocka_run_group_tests_name("charts", tests, NULL, NULL);
}
