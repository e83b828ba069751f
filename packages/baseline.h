#ifndef LADING_PACKAGES_BASELINE_H
#define LADING_PACKAGES_BASELINE_H

/*
 * The packages a node already has: what the resolver need not bring along,
 * and (resolve.h) what it must upgrade when a chosen package breaks them.
 * Either a node's dpkg status file, a `dpkg-query -W` listing taken on a
 * node, or every Priority: required and Essential: yes package of the index
 * (what debootstrap gives).
 */
#include <stddef.h>

#include "lib/err.h"
#include "packages/index.h"
#include "packages/namemap.h"

struct apt_baseline_entry {
	char *name, *version;
	/* The stanza dpkg installed it from (its relationships as installed), from a status file; else NULL. */
	const struct apt_pkg *stanza;
};

/* Initialise with apt_baseline_init; the fields are read-only to callers. */
struct apt_baseline {
	struct apt_baseline_entry *entries;
	size_t count;
	struct apt_index status; /* the installed stanzas of a status file (empty for a listing) */
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
 * Adds the packages of path: a dpkg status file (its first line starts with
 * "Package:"; every stanza dpkg has unpacked counts, with its Depends,
 * Provides, Breaks and Conflicts as installed) or a `dpkg-query -W` listing
 * (lines "name<TAB>version" or "name:arch<TAB>version"; a blank version,
 * known but not installed, is skipped). Fails with LADING_ERR_FORMAT naming
 * path:line for a malformed line or stanza or an invalid version,
 * LADING_ERR_SYSTEM when unreadable.
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
