/*
 * A Helm repository's index.yaml as fetched from a chart repository
 * (charts/repo_index.c: chart_index_select, the YAML walk, entry fields and the
 * semver constraint match). The input is CHART NUL CONSTRAINT NUL INDEX: the
 * chart name and version constraint as a lading.yaml would give them, then the
 * file's bytes (a missing part is an empty string).
 */
#include "tests/fuzz/common.h"

#include "charts/repo_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest, *index;
	size_t rest_len, index_len;
	char *chart, *constraint;
	struct chart_version cv;
	struct lerr err;

	if (size > (1u << 20))
		return 0;
	chart = fuzz_split(data, size, &rest, &rest_len);
	constraint = fuzz_split(rest, rest_len, &index, &index_len);
	memset(&cv, 0, sizeof(cv));
	if (chart_index_select(fuzz_tmp_file(index, index_len, ".yaml"), "index.yaml", chart, constraint, &cv, &err) ==
	    0) {
		/* a chosen version always has a name, a version and at least one URL */
		if (cv.name == NULL || cv.version == NULL || cv.url_count == 0 || cv.urls == NULL || cv.urls[0] == NULL)
			abort();
		chart_version_free(&cv);
	}
	free(constraint);
	free(chart);
	return 0;
}
