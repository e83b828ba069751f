#ifndef LADING_PACKAGES_RESOLVE_H
#define LADING_PACKAGES_RESOLVE_H

/*
 * The closure of an install list over Depends and Pre-Depends, as apt would
 * choose it on a node that has the baseline: for each need the highest
 * version that satisfies it (alternatives in order, preferring one already
 * chosen or installed; virtual packages through Provides), minus what the
 * baseline already satisfies. Recommends and Suggests are not followed.
 * Like apt 2.6, it also upgrades the installed packages the closure breaks
 * (their own Depends pin a replaced version, or a chosen package Breaks or
 * Conflicts them) and the installed binaries of a chosen package's source,
 * with what those upgrades need.
 */
#include <stddef.h>

#include "lib/err.h"
#include "packages/baseline.h"
#include "packages/index.h"

/*
 * Resolves install[0..n-1] ("name" or "name=version") against idx. base may
 * be NULL (an empty node). *out gets the packages to bring, sorted by name
 * (caller frees the array with free(); the packages belong to idx), *count
 * their number. Fails with LADING_ERR_USAGE naming source and the chain that
 * needs what cannot be had: "SOURCE: a -> b (>= 2) -> c: no such package",
 * "…: no version satisfies (have 1.0)", a conflict between two chosen
 * packages, or an installed package the archive has no upgrade for. *out is
 * set only on success.
 */
int apt_resolve(const struct apt_index *idx, const struct apt_baseline *base, const char *const *install, size_t n,
		const char *source, const struct apt_pkg ***out, size_t *count, struct lerr *err);

#endif
