#ifndef LADING_INVENTORY_H
#define LADING_INVENTORY_H

/*
 * CONTRACT between inventory/ (implements) and provision/ (consumes).
 * An Ansible-compatible inventory (YAML or INI), with group and host
 * variables merged by Ansible's precedence: host > child group > parent
 * group > all.
 */
#include <stddef.h>

#include "lib/err.h"

struct inv_var {
	char *name;
	char *value; /* scalars as text; lists/maps as their JSON text */
};

struct inv_host {
	char *name;            /* inventory_hostname */
	struct inv_var *vars;  /* merged variables, sorted by name */
	size_t var_count;
	char **groups;         /* every group the host is in, "all" included, sorted */
	size_t group_count;
};

struct inv_group {
	char *name;
	char **children;
	size_t child_count;
	char **hosts;          /* direct members */
	size_t host_count;
};

struct inventory {
	char *path;
	struct inv_host *hosts; /* in file order */
	size_t host_count;
	struct inv_group *groups;
	size_t group_count;
};

/* Loads YAML or INI (detected by content). Errors name file:line:col. Caller frees with inv_free. */
int inv_load(const char *path, struct inventory **out, struct lerr *err);

/* Adds hosts of a second source (e.g. a generated vSphere inventory); same rules as inv_load. */
int inv_merge_file(struct inventory *inv, const char *path, struct lerr *err);

void inv_free(struct inventory *inv);

/* A merged variable of host, or NULL. */
const char *inv_host_var(const struct inv_host *host, const char *name);

/*
 * Selects hosts by an Ansible pattern ("all", "gpu_nodes", "gpu-*", "a:b",
 * "a:&b", "a:!b", "web[0:2]"); NULL or "" means all. *hosts is an allocated
 * array of pointers into inv (free only the array); an unknown name is an error.
 */
int inv_select(const struct inventory *inv, const char *pattern, const struct inv_host ***hosts, size_t *count,
	       struct lerr *err);

#endif
