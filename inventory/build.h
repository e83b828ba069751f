#ifndef LADING_INVENTORY_BUILD_H
#define LADING_INVENTORY_BUILD_H

/*
 * The inventory while it is being read: the YAML and INI readers add groups,
 * hosts, variables and child edges here, with the file position of each, and
 * inv_build_finish computes what struct inventory shows (merged variables,
 * depths, "ungrouped"). Internal to inventory/.
 */
#include <stddef.h>

#include "inventory/inventory.h"
#include "lib/err.h"

/*
 * Bounds on what files may add, so a crafted inventory fails with its position
 * instead of exhausting memory (lading-inventory(5)): distinct hosts, and host
 * listings in groups (a host in three groups is three).
 */
#define INV_HOSTS_MAX 100000
#define INV_ENTRIES_MAX 1000000
/* Levels of groups below "all" (children of children ...). */
#define INV_GROUP_DEPTH_MAX 64

struct inv_pos {
	const char *file; /* owned by the builder */
	int line;
	int col;
};

struct inv_vars {
	struct inv_var *items; /* in order of first setting */
	size_t count;
};

/* A new empty builder holding "all" and "ungrouped". Free with inv_build_free. */
struct inv_build *inv_build_new(void);
void inv_build_free(struct inv_build *b);

/* Interns a file name; the result lives as long as the builder. */
const char *inv_build_file(struct inv_build *b, const char *path);

/* Index of group name, creating it when absent. */
size_t inv_build_group(struct inv_build *b, const char *name);

/* Index of group name, or (size_t)-1. */
size_t inv_build_group_find(const struct inv_build *b, const char *name);

/* Sets a group variable (last setting wins); value is copied. ansible_group_priority sets the priority. */
int inv_build_group_var(struct inv_build *b, size_t group, const char *name, const char *value, enum inv_kind kind,
			struct inv_pos pos, struct lerr *err);

/* Makes child a child group of parent; fails naming pos when that closes a cycle or nests too deep. */
int inv_build_child(struct inv_build *b, size_t parent, size_t child, struct inv_pos pos, struct lerr *err);

/*
 * Adds host to group with its host variables (vars may be NULL); later settings
 * win across groups, but giving the same host twice in one group with a
 * different value for a variable fails naming pos, as does passing
 * INV_HOSTS_MAX hosts or INV_ENTRIES_MAX listings.
 */
int inv_build_host(struct inv_build *b, size_t group, const char *host, const struct inv_vars *vars, struct inv_pos pos,
		   struct lerr *err);

/* Fails naming the child edge that nests groups deeper than INV_GROUP_DEPTH_MAX; readers call it at the end. */
int inv_build_check(const struct inv_build *b, struct lerr *err);

/* Fills inv's public fields from the builder (freeing what they held before). */
void inv_build_finish(struct inv_build *b, struct inventory *inv);

/* Frees inv's public fields only (not inv->build). */
void inv_build_clear(struct inventory *inv);

/* Sets a variable in vars, replacing an earlier one of the same name; takes ownership of value. */
void inv_vars_set(struct inv_vars *vars, const char *name, char *value, enum inv_kind kind);
void inv_vars_free(struct inv_vars *vars);

/* Readers: add one file's content to the builder. */
int inv_yaml_read(struct inv_build *b, const char *path, const char *data, size_t len, struct lerr *err);
int inv_ini_read(struct inv_build *b, const char *path, const char *data, size_t len, struct lerr *err);

#endif
