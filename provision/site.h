#ifndef LADING_PROVISION_SITE_H
#define LADING_PROVISION_SITE_H

/*
 * The site file (site.yaml, lading-site(5)): the internal registry, site
 * variables, which roles apply to which hosts, and user-defined roles.
 * Unknown keys are errors naming file:line:col; the top-level `vsphere` key
 * belongs to the vSphere part and is accepted without being read here.
 */
#include <stddef.h>

#include "lib/err.h"

enum site_step_kind {
	STEP_COPY,
	STEP_TEMPLATE,
	STEP_SHELL,
	STEP_SERVICE,
	STEP_FACTS,
	STEP_REGISTRY_HOSTS,
	STEP_PACKAGE,
	STEP_APT_SOURCE,
	STEP_SCRIPT,
};

/* One step of a role; every string may hold {{ var }} expressions, rendered per host. */
struct site_step {
	enum site_step_kind kind;
	char *name;  /* as shown in events: the `name:` key, else "<kind> <subject>" */
	char *where; /* "file:line:col" of the step, for messages */
	char *file;  /* the file the step came from and its line, for template messages */
	int line;
	char *base_dir; /* relative src paths resolve against it */
	char *when;	/* run only when this variable is set, non-empty and not false; NULL = always */
	int become;	/* -1 = the host's ansible_become, else 0/1 */
	/* copy, template */
	char *src;
	char *content; /* inline text instead of src */
	char *dest;
	int mode;    /* -1 = 0644 for new files, existing mode kept */
	char *owner; /* "user" or "user:group", or NULL */
	/* shell; script (its `run` text) */
	char *cmd;
	char *creates;
	char *unless;
	/* service */
	char *service;
	int reload; /* reload instead of restart */
	/* registry_hosts */
	char *dir; /* default /etc/containerd/certs.d */
	char *ca;  /* where the registry CA lives on the node (used when the site has ca_file) */
	/* package: one name or several, installed (absent = 0) or removed (absent = 1) */
	char **packages;
	size_t package_count;
	char *version; /* only with one name; NULL = any version */
	int absent;
	/* apt_source: /etc/apt/sources.list.d/lading-<source>.sources; empty fields take their defaults */
	char *source;
	char *uris;
	char *suites;
	char *components;
	char *architectures;
	char *signed_by;
	char *keyring; /* non-empty: Signed-By is /etc/apt/keyrings/lading-<source>.gpg */
};

struct site_role {
	char *name;
	struct site_step *steps;
	size_t step_count;
};

struct site_apply {
	char *hosts; /* inventory pattern */
	char **roles;
	size_t role_count;
	char *where;
};

struct site_var {
	char *name;
	char *value; /* scalars as text; lists and maps as JSON */
};

struct site_registry {
	char *address; /* host[:port]; NULL when the site has no registry */
	int plain_http;
	int skip_verify;
	char *ca_file;	/* resolved against the site directory; NULL = none */
	char *prefix;	/* "" = none; never starts or ends with '/' */
	char **mirrors; /* upstream registry hosts */
	size_t mirror_count;
};

struct site {
	char *path;
	char *dir;
	struct site_registry registry;
	struct site_var *vars;
	size_t var_count;
	struct site_apply *apply;
	size_t apply_count;
	struct site_role *roles; /* user-defined roles */
	size_t role_count;
	struct site_role *builtin_roles; /* provision/roles_builtin.c, parsed with the site */
	size_t builtin_role_count;
};

/*
 * Reads a site file. Every role named in apply must exist (user or built-in).
 * Errors name file:line:col. Caller frees with site_free.
 */
int site_load(const char *path, struct site **out, struct lerr *err);

/* Parses site text from memory (name is used in messages, base_dir for relative paths). */
int site_load_string(const char *name, const char *base_dir, const char *text, struct site **out, struct lerr *err);

void site_free(struct site *site);

/* A site variable, or NULL. */
const char *site_var(const struct site *site, const char *name);

/*
 * Parses a sequence of steps (a role body) into *steps (caller frees with
 * site_steps_free). Used for the site's roles and the built-in ones.
 */
struct ynode;
int site_steps_parse(const struct ynode *seq, const char *base_dir, struct site_step **steps, size_t *count,
		     struct lerr *err);
void site_steps_free(struct site_step *steps, size_t count);

/* The name of a step kind ("copy", "shell", ...). */
const char *site_step_kind_name(enum site_step_kind kind);

#endif
