#ifndef LADING_BUNDLE_PLAN_H
#define LADING_BUNDLE_PLAN_H

/*
 * `bundle create --dry-run`: what a spec would put in a bundle. Charts are
 * fetched (into the cache) because they name the images images_from_charts
 * adds; image references are checked as create checks them; nothing else is
 * fetched and nothing is written.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"

struct bundle_plan {
	char **lines; /* "image REF (lading.yaml:L:C)", "image REF (from chart NAME VERSION: SOURCE)", "chart ..." */
	size_t count;
	/* For images (else NULL): the reference and where it came from (the same for --json). */
	char **refs;
	char **sources; /* "lading.yaml:3:5", "chart web 1.0.0 web/values.yaml:image" */
};

/*
 * Fills plan (free with bundle_plan_free) from the spec at spec_path and
 * images_file (may be NULL: create's --images-file); errors as for bundle create.
 */
int bundle_plan_build(const char *spec_path, const char *images_file, const struct logger *lg, struct bundle_plan *plan,
		      struct lerr *err);

void bundle_plan_free(struct bundle_plan *plan);

#endif
