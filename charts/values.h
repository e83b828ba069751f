#ifndef LADING_CHARTS_VALUES_H
#define LADING_CHARTS_VALUES_H

/*
 * Helm values as an owned tree: built from a YAML document, merged the way
 * Helm coalesces values (the override wins, maps merge key by key, a null
 * deletes), and looked up by dotted path. Each scalar remembers the file it
 * came from, so a discovered image can name its origin.
 */
#include <stddef.h>

#include "lib/yamltree.h"

enum cvalue_type {
	CVALUE_SCALAR,
	CVALUE_SEQ,
	CVALUE_MAP,
};

struct cvalue {
	enum cvalue_type type;
	char *text;	    /* scalars */
	int plain;	    /* scalars written without quotes */
	const char *origin; /* file it came from; not owned (outlives the tree) */
	size_t count;
	char **keys;	       /* maps: keys[i] names items[i] */
	struct cvalue **items; /* sequence items or map values */
};

/* A deep copy of node (NULL gives NULL); origin is stored as given. Free with cvalue_free. */
struct cvalue *cvalue_from_ynode(const struct ynode *node, const char *origin);

/* A deep copy of value. */
struct cvalue *cvalue_copy(const struct cvalue *value);

/* Merges override into *base (Helm's coalesce: maps merge, anything else replaces, null deletes). */
void cvalue_merge(struct cvalue **base, const struct cvalue *override);

/* The value at key of a map (NULL if value is not a map or has no such key). */
const struct cvalue *cvalue_get(const struct cvalue *map, const char *key);

/* The value at a dotted path ("nfd.enabled"), or NULL. */
const struct cvalue *cvalue_path(const struct cvalue *map, const char *path);

/* The scalar text at key of map when it is non-empty and not null, else NULL. */
const char *cvalue_scalar(const struct cvalue *map, const char *key);

/* 1 for true, 0 for false, -1 when value is not a boolean scalar. */
int cvalue_bool(const struct cvalue *value);

void cvalue_free(struct cvalue *value);

#endif
