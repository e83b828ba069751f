#ifndef LADING_LIB_SEMVER_H
#define LADING_LIB_SEMVER_H

/*
 * Semantic versions and Masterminds/semver v3 constraints as Helm uses them
 * (SPECS §3.5): partial versions, a leading v, wildcards, ~ ^ ranges, hyphen
 * ranges, || alternatives. Terraform's dialect is semver_tf_constraint_*.
 */
#include <stdint.h>

#include "lib/err.h"

struct semver {
	uint64_t major;
	uint64_t minor;
	uint64_t patch;
	char pre[128]; /* prerelease without '-', "" when none; build metadata is dropped */
};

/* Parses "1", "v1.2", "1.2.3-rc.1+build"; returns -1 (with a message naming text) when invalid. */
int semver_parse(const char *text, struct semver *out, struct lerr *err);

/* <0, 0, >0 by SemVer 2.0 precedence (build metadata ignored). */
int semver_compare(const struct semver *a, const struct semver *b);

struct semver_constraint;

/* Parses a Masterminds constraint ("~1.2", "^2", ">=1.0 <2.0", "1.2.x", "1.0 - 1.4", "a || b", "" = "*"). */
int semver_constraint_parse(const char *text, struct semver_constraint **out, struct lerr *err);
/* True when v satisfies the constraint; prereleases only match groups that mention one. */
int semver_constraint_check(const struct semver_constraint *c, const struct semver *v);
void semver_constraint_free(struct semver_constraint *c);

#endif
