#ifndef LADING_BUNDLE_PLAN_H
#define LADING_BUNDLE_PLAN_H

/*
 * `bundle create --dry-run`: what a spec would put in a bundle. Charts are
 * fetched (into the cache) because their values.yaml names the images
 * images_from_charts adds; nothing else is fetched and nothing is written.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"

struct bundle_plan {
	char **lines; /* "image REF", "image REF (from chart NAME VERSION)", "chart NAME VERSION SOURCE", ... */
	size_t count;
};

/* Fills plan (free with bundle_plan_free) from the spec at spec_path; errors as for bundle create. */
int bundle_plan_build(const char *spec_path, const struct logger *lg, struct bundle_plan *plan, struct lerr *err);

void bundle_plan_free(struct bundle_plan *plan);

#endif
