#ifndef LADING_INVENTORY_H
#define LADING_INVENTORY_H

/*
 * inventory/: Ansible-compatible inventories (YAML and INI), host patterns,
 * ranges, variables and their templates, and `lading inventory`.
 * May include: lib/
 */

/*
 * CONTRACT between inventory/ (implements) and provision/ (consumes).
 * An Ansible-compatible inventory (YAML or INI), with group and host
 * variables merged by Ansible's precedence: host > child group > parent
 * group > all.
 */
#include <stddef.h>

#include "lib/err.h"

struct inv_build;

/* What a variable's text is (added: lets --json and templates keep Ansible's types). */
enum inv_kind {
	INV_STRING,
	INV_INT,   /* decimal text */
	INV_FLOAT, /* text as written */
	INV_BOOL,  /* "true" or "false" */
	INV_NULL,  /* "" */
	INV_JSON,  /* a list or map as compact JSON text */
};

struct inv_var {
	char *name;
	char *value; /* scalars as text; lists/maps as their JSON text */
	enum inv_kind kind;
};

struct inv_host {
	char *name;	      /* inventory_hostname */
	struct inv_var *vars; /* merged variables, sorted by name */
	size_t var_count;
	char **groups; /* every group the host is in, "all" included, sorted */
	size_t group_count;
};

struct inv_group {
	char *name;
	char **children;
	size_t child_count;
	char **hosts; /* direct members */
	size_t host_count;
	struct inv_var *vars; /* the group's own variables, in file order (added) */
	size_t var_count;
	int depth;    /* longest path from "all" (0) (added) */
	int priority; /* ansible_group_priority, default 1 (added) */
};

struct inventory {
	char *path;
	struct inv_host *hosts; /* in file order */
	size_t host_count;
	struct inv_group *groups; /* "all" first, "ungrouped" second, then in file order */
	size_t group_count;
	struct inv_build *build; /* private: what inv_merge_file adds to */
};

/* Loads YAML or INI (detected by content). Errors name file:line:col. Caller frees with inv_free. */
int inv_load(const char *path, struct inventory **out, struct lerr *err);

/*
 * Adds hosts of a second source (e.g. a generated vSphere inventory); same rules as inv_load.
 * Rebuilds inv->hosts and inv->groups: pointers taken before (inv_select) become invalid.
 * On failure inv may hold the part of the file read before the error; callers stop there.
 */
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

/* The group called name, or NULL. */
const struct inv_group *inv_group_find(const struct inventory *inv, const char *name);

/* The host called name, or NULL. */
const struct inv_host *inv_host_find(const struct inventory *inv, const char *name);

/* A merged variable with its kind, or NULL. */
const struct inv_var *inv_host_var_full(const struct inv_host *host, const char *name);

/* How to reach a host, from ansible_* and lading_* variables; see inv_host_conn. */
struct inv_conn {
	const char *address;	 /* ansible_host (or ansible_ssh_host), else the inventory name; points into the host */
	int port;		 /* ansible_port (or ansible_ssh_port), else 22 */
	const char *user;	 /* ansible_user (or ansible_ssh_user), else NULL */
	const char *key_file;	 /* ansible_ssh_private_key_file (or ansible_private_key_file), else NULL */
	int become;		 /* ansible_become (true/yes/1) */
	const char *become_user; /* ansible_become_user, else NULL (root) */
	int local;		 /* ansible_connection: local (run on this machine, no SSH) */
	char *jump_user;	 /* lading_jump, else ProxyJump (-J, ProxyCommand ssh -W) in ansible_ssh_common_args */
	char *jump_host;	 /* allocated; NULL when there is no jump host */
	int jump_port;		 /* 22 unless given */
};

/*
 * Fills conn for host. Fails (naming the host and variable) on a bad port, a bad
 * boolean or an unparsable jump spec. Free with inv_conn_free.
 */
int inv_host_conn(const struct inv_host *host, struct inv_conn *conn, struct lerr *err);
void inv_conn_free(struct inv_conn *conn);

/* Parses "[user@]host[:port]" (also "[v6addr]:port"); *user may be NULL. Caller frees user and host. */
int inv_jump_parse(const char *spec, char **user, char **host, int *port, struct lerr *err);

#endif
