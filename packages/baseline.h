#ifndef LADING_PACKAGES_BASELINE_H
#define LADING_PACKAGES_BASELINE_H

/*
 * The packages a node already has: what the resolver need not bring along.
 * Either a `dpkg-query -W` listing taken on a node, or every Priority:
 * required and Essential: yes package of the index (what debootstrap gives).
 */
#include <stddef.h>

#include "lib/err.h"
#include "packages/index.h"
#include "packages/namemap.h"

struct apt_baseline_entry {
	char *name, *version;
};

/* Initialise with apt_baseline_init; the fields are read-only to callers. */
struct apt_baseline {
	struct apt_baseline_entry *entries;
	size_t count;
	/* internal */
	struct name_map by_name; /* name -> entries[] */
};

void apt_baseline_init(struct apt_baseline *b);

/*
 * Adds name at version; a name already present keeps the higher version.
 * "name:arch" counts as name.
 */
void apt_baseline_add(struct apt_baseline *b, const char *name, const char *version);

/*
 * Adds the packages of a `dpkg-query -W` listing: lines "name<TAB>version"
 * or "name:arch<TAB>version"; a blank version (known, not installed) is
 * skipped. Fails with LADING_ERR_FORMAT naming path:line for a line without
 * a tab or with an invalid version, LADING_ERR_SYSTEM when unreadable.
 */
int apt_baseline_load(struct apt_baseline *b, const char *path, struct lerr *err);

/*
 * Adds what debootstrap would install from idx: every Priority: required and
 * Essential: yes package at its highest version there, and the closure of
 * their dependencies (the required packages alone when it cannot be had).
 */
void apt_baseline_required(struct apt_baseline *b, const struct apt_index *idx);

/* The version of name the node has, or NULL. Owned by b. */
const char *apt_baseline_version(const struct apt_baseline *b, const char *name);

/* Frees what b holds; accepts an initialised, unused baseline. */
void apt_baseline_free(struct apt_baseline *b);

#endif
