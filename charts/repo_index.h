#ifndef LADING_CHARTS_REPO_INDEX_H
#define LADING_CHARTS_REPO_INDEX_H

/*
 * A Helm repository's index.yaml (SPECS §3.1): pick the newest version of a
 * chart that satisfies a constraint, as `helm pull --version` does.
 */
#include <stddef.h>

#include "lib/err.h"

#define CHART_INDEX_MAX_BYTES (64u << 20)

struct chart_version {
	char *name;
	char *version;
	char *digest; /* hex sha256 of the .tgz as the index states it, or NULL */
	char **urls;
	size_t url_count;
};

/*
 * Parses the index at path (name used in messages) and fills out with the
 * newest version of chart matching constraint ("" = newest stable); an exact
 * string match wins first. Errors: not YAML (file:line:col), no such chart,
 * no matching version (listing the versions that exist).
 */
int chart_index_select(const char *path, const char *name, const char *chart, const char *constraint,
		       struct chart_version *out, struct lerr *err);

void chart_version_free(struct chart_version *cv);

#endif
