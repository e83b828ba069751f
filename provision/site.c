/*
 * site.yaml reader (lading-site(5)). A keyword table per mapping, as
 * openssh's readconf.c does: an unknown key is an error with its position.
 */
#include "provision/site.h"

#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"
#include "provision/roles.h"
#include "provision/site_int.h"

#define SITE_MAX_BYTES (4u << 20)

static const char *const default_mirrors[] = {"docker.io", "ghcr.io", "nvcr.io", "registry.k8s.io", "quay.io", NULL};

char *site_node_where(const struct ynode *node)
{
	return xasprintf("%s:%d:%d", node->file, node->line, node->col);
}

/* A path from the site file: absolute as given, else relative to base_dir. Templated paths are kept. */
char *site_resolve_path(const char *base_dir, const char *path)
{
	if (path[0] == '/' || strncmp(path, "{{", 2) == 0 || base_dir == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", base_dir, path);
}

/* A scalar as text, a list or map as compact JSON (the inventory's convention). */
static json_t *node_json(const struct ynode *node)
{
	json_t *json;
	size_t i;

	if (node->type == YNODE_SCALAR)
		return json_string(node->value);
	if (node->type == YNODE_SEQ) {
		json = json_array();
		for (i = 0; i < node->count; i++)
			json_array_append_new(json, node_json(node->items[i]));
		return json;
	}
	json = json_object();
	for (i = 0; i < node->count; i++)
		json_object_set_new(json, node->pairs[i].key->value, node_json(node->pairs[i].value));
	return json;
}

char *site_node_text(const struct ynode *node)
{
	json_t *json;
	char *text, *copy;

	if (node->type == YNODE_SCALAR)
		return xstrdup(node->value);
	json = node_json(node);
	text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(json);
	copy = xstrdup(text != NULL ? text : "null");
	free(text);
	return copy;
}

int site_get_string_node(const struct ynode *node, char **out, struct lerr *err)
{
	const char *value;

	if (ynode_string(node, "value", &value, err) != 0)
		return -1;
	free(*out);
	*out = xstrdup(value);
	return 0;
}

int site_get_string(const struct ynode *map, const char *key, char **out, struct lerr *err)
{
	const struct ynode *node = ynode_get(map, key);
	const char *value;

	if (node == NULL)
		return 0;
	if (ynode_string(node, key, &value, err) != 0)
		return -1;
	free(*out);
	*out = xstrdup(value);
	return 0;
}

int site_get_bool(const struct ynode *map, const char *key, int *out, struct lerr *err)
{
	const struct ynode *node = ynode_get(map, key);

	if (node == NULL)
		return 0;
	return ynode_bool(node, key, out, err);
}

int site_get_mode(const struct ynode *map, int *out, struct lerr *err)
{
	const struct ynode *node = ynode_get(map, "mode");
	char *end = NULL;
	long mode;

	if (node == NULL)
		return 0;
	if (ynode_expect(node, YNODE_SCALAR, "mode", err) != 0)
		return -1;
	mode = strtol(node->value, &end, 8);
	if (end == node->value || *end != '\0' || mode < 0 || mode > 07777)
		return ynode_error(node, err, LADING_ERR_USAGE, "mode: expected an octal mode like '0644', got '%s'",
				   node->value);
	*out = (int)mode;
	return 0;
}

int site_require(const struct ynode *map, const char *key, const char *what, struct lerr *err)
{
	if (ynode_get(map, key) != NULL)
		return 0;
	return ynode_error(map, err, LADING_ERR_USAGE, "%s: missing '%s'", what, key);
}

static void add_mirror(struct site_registry *reg, const char *host)
{
	size_t i;

	for (i = 0; i < reg->mirror_count; i++)
		if (strcmp(reg->mirrors[i], host) == 0)
			return;
	reg->mirrors = grow_array(reg->mirrors, reg->mirror_count, sizeof(char *));
	reg->mirrors[reg->mirror_count++] = xstrdup(host);
}

/* The five well-known upstreams always, plus every listed one (duplicates once). */
static int parse_mirrors(const struct ynode *node, struct site_registry *reg, struct lerr *err)
{
	size_t i;

	for (i = 0; default_mirrors[i] != NULL; i++)
		add_mirror(reg, default_mirrors[i]);
	if (node == NULL)
		return 0;
	if (ynode_expect(node, YNODE_SEQ, "registry.mirrors", err) != 0)
		return -1;
	for (i = 0; i < node->count; i++) {
		const char *host;

		if (ynode_string(node->items[i], "registry.mirrors", &host, err) != 0)
			return -1;
		if (host[0] == '\0' || strpbrk(host, "/ \t\"'[]") != NULL)
			return ynode_error(node->items[i], err, LADING_ERR_USAGE,
					   "registry.mirrors: '%s' is not a registry host name", host);
		add_mirror(reg, host);
	}
	return 0;
}

static int parse_registry(const struct ynode *node, const char *base_dir, struct site_registry *reg, struct lerr *err)
{
	static const char *const keys[] = {"address", "plain_http", "skip_verify", "ca_file",
					   "prefix",  "mirrors",    NULL};
	char *prefix = NULL, *start, *end;

	if (ynode_check_keys(node, keys, "registry", err) != 0 || site_require(node, "address", "registry", err) != 0 ||
	    site_get_string(node, "address", &reg->address, err) != 0 ||
	    site_get_bool(node, "plain_http", &reg->plain_http, err) != 0 ||
	    site_get_bool(node, "skip_verify", &reg->skip_verify, err) != 0 ||
	    site_get_string(node, "ca_file", &reg->ca_file, err) != 0 ||
	    site_get_string(node, "prefix", &prefix, err) != 0)
		goto fail;
	if (reg->address[0] == '\0' || strpbrk(reg->address, "/ \t\"'") != NULL) {
		ynode_error(ynode_get(node, "address"), err, LADING_ERR_USAGE,
			    "registry.address: expected host[:port], got '%s'", reg->address);
		goto fail;
	}
	if (reg->ca_file != NULL) {
		char *resolved = site_resolve_path(base_dir, reg->ca_file);

		free(reg->ca_file);
		reg->ca_file = resolved;
	}
	/* Stored without surrounding slashes: "/mirror/" and "mirror" are the same prefix. */
	start = prefix != NULL ? prefix : "";
	while (*start == '/')
		start++;
	reg->prefix = xstrdup(start);
	end = reg->prefix + strlen(reg->prefix);
	while (end > reg->prefix && end[-1] == '/')
		*--end = '\0';
	free(prefix);
	return parse_mirrors(ynode_get(node, "mirrors"), reg, err);
fail:
	free(prefix);
	return -1;
}

const char *site_var(const struct site *site, const char *name)
{
	size_t i;

	for (i = 0; i < site->var_count; i++)
		if (strcmp(site->vars[i].name, name) == 0)
			return site->vars[i].value;
	return NULL;
}

static int parse_vars(const struct ynode *node, struct site *site, struct lerr *err)
{
	size_t i;

	if (ynode_expect(node, YNODE_MAP, "vars", err) != 0)
		return -1;
	site->vars = xcalloc(node->count + 1, sizeof(*site->vars));
	for (i = 0; i < node->count; i++) {
		const struct ynode *key = node->pairs[i].key;

		if (site_var(site, key->value) != NULL)
			return ynode_error(key, err, LADING_ERR_USAGE, "duplicate variable '%s' in vars", key->value);
		site->vars[i].name = xstrdup(key->value);
		site->vars[i].value = site_node_text(node->pairs[i].value);
		site->var_count++;
	}
	return 0;
}

static const struct site_role *find_role(const struct site_role *roles, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(roles[i].name, name) == 0)
			return &roles[i];
	return NULL;
}

static int parse_apply_entry(const struct ynode *node, const struct site *site, struct site_apply *apply,
			     struct lerr *err)
{
	static const char *const keys[] = {"hosts", "roles", NULL};
	const struct ynode *roles;
	size_t i;

	apply->where = site_node_where(node);
	if (ynode_check_keys(node, keys, "apply", err) != 0 || site_require(node, "hosts", "apply", err) != 0 ||
	    site_require(node, "roles", "apply", err) != 0 || site_get_string(node, "hosts", &apply->hosts, err) != 0)
		return -1;
	roles = ynode_get(node, "roles");
	if (ynode_expect(roles, YNODE_SEQ, "apply.roles", err) != 0)
		return -1;
	apply->roles = xcalloc(roles->count + 1, sizeof(char *));
	for (i = 0; i < roles->count; i++) {
		const char *name;

		if (ynode_string(roles->items[i], "apply.roles", &name, err) != 0)
			return -1;
		if (find_role(site->roles, site->role_count, name) == NULL &&
		    find_role(site->builtin_roles, site->builtin_role_count, name) == NULL)
			return ynode_error(roles->items[i], err, LADING_ERR_USAGE,
					   "unknown role '%s' (define it under 'roles:' or use a built-in one: %s)",
					   name, roles_builtin_names());
		apply->roles[apply->role_count++] = xstrdup(name);
	}
	return 0;
}

static int parse_apply(const struct ynode *node, struct site *site, struct lerr *err)
{
	size_t i;

	if (ynode_expect(node, YNODE_SEQ, "apply", err) != 0)
		return -1;
	site->apply = xcalloc(node->count + 1, sizeof(*site->apply));
	for (i = 0; i < node->count; i++) {
		site->apply_count++;
		if (parse_apply_entry(node->items[i], site, &site->apply[i], err) != 0)
			return -1;
	}
	return 0;
}

static int parse_roles(const struct ynode *node, struct site *site, struct lerr *err)
{
	size_t i;

	if (ynode_expect(node, YNODE_MAP, "roles", err) != 0)
		return -1;
	/* ynode_check_keys with an empty list would refuse every key; only duplicates matter here. */
	site->roles = xcalloc(node->count + 1, sizeof(*site->roles));
	for (i = 0; i < node->count; i++) {
		const struct ynode *key = node->pairs[i].key;
		struct site_role *role = &site->roles[i];

		if (find_role(site->roles, site->role_count, key->value) != NULL)
			return ynode_error(key, err, LADING_ERR_USAGE, "duplicate role '%s'", key->value);
		role->name = xstrdup(key->value);
		site->role_count++;
		if (site_steps_parse(node->pairs[i].value, site->dir, &role->steps, &role->step_count, err) != 0) {
			lerr_prefix(err, "role '%s'", key->value);
			return -1;
		}
	}
	return 0;
}

static int parse_top(const struct ynode *root, struct site *site, struct lerr *err)
{
	/* `vsphere` and `baremetal` are read by their parts (lading-vsphere(1), lading-baremetal(1)); accepted here. */
	static const char *const keys[] = {"registry", "vars", "apply", "roles", "vsphere", "baremetal", NULL};
	const struct ynode *node;

	if (ynode_check_keys(root, keys, "site file", err) != 0)
		return -1;
	if ((node = ynode_get(root, "registry")) != NULL && parse_registry(node, site->dir, &site->registry, err) != 0)
		return -1;
	if ((node = ynode_get(root, "vars")) != NULL && parse_vars(node, site, err) != 0)
		return -1;
	if ((node = ynode_get(root, "roles")) != NULL && parse_roles(node, site, err) != 0)
		return -1;
	if ((node = ynode_get(root, "apply")) != NULL && parse_apply(node, site, err) != 0)
		return -1;
	return 0;
}

static int site_parse_doc(struct ydoc *doc, struct site *site, struct lerr *err)
{
	if (roles_builtin_parse(&site->builtin_roles, &site->builtin_role_count, err) != 0)
		return -1;
	if (doc->root == NULL)
		return 0;
	return parse_top(doc->root, site, err);
}

/* A site file that does not parse or nests too deep is the user's input (exit 2); an unreadable one is not. */
static void input_error(struct lerr *err)
{
	if (err->code != LADING_ERR_SYSTEM)
		lerr_input(err);
}

static struct site *site_new(const char *path, const char *base_dir)
{
	struct site *site = xcalloc(1, sizeof(*site));

	site->path = xstrdup(path);
	site->dir = xstrdup(base_dir);
	return site;
}

int site_load(const char *path, struct site **out, struct lerr *err)
{
	struct ydoc doc = {0};
	struct site *site;
	char *copy = xstrdup(path);
	int rc = -1;

	site = site_new(path, dirname(copy));
	if (ydoc_load_file(&doc, path, SITE_MAX_BYTES, err) != 0 || site_parse_doc(&doc, site, err) != 0) {
		input_error(err);
		goto out;
	}
	*out = site;
	site = NULL;
	rc = 0;
out:
	ydoc_free(&doc);
	site_free(site);
	free(copy);
	return rc;
}

int site_load_string(const char *name, const char *base_dir, const char *text, struct site **out, struct lerr *err)
{
	struct ydoc doc = {0};
	struct site *site = site_new(name, base_dir);
	int rc = -1;

	if (ydoc_load_string(&doc, name, text, strlen(text), err) != 0 || site_parse_doc(&doc, site, err) != 0) {
		input_error(err);
		goto out;
	}
	*out = site;
	site = NULL;
	rc = 0;
out:
	ydoc_free(&doc);
	site_free(site);
	return rc;
}

static void roles_free(struct site_role *roles, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(roles[i].name);
		site_steps_free(roles[i].steps, roles[i].step_count);
	}
	free(roles);
}

void site_free(struct site *site)
{
	size_t i, j;

	if (site == NULL)
		return;
	free(site->registry.address);
	free(site->registry.ca_file);
	free(site->registry.prefix);
	for (i = 0; i < site->registry.mirror_count; i++)
		free(site->registry.mirrors[i]);
	free(site->registry.mirrors);
	for (i = 0; i < site->var_count; i++) {
		free(site->vars[i].name);
		free(site->vars[i].value);
	}
	free(site->vars);
	for (i = 0; i < site->apply_count; i++) {
		free(site->apply[i].hosts);
		free(site->apply[i].where);
		for (j = 0; j < site->apply[i].role_count; j++)
			free(site->apply[i].roles[j]);
		free(site->apply[i].roles);
	}
	free(site->apply);
	roles_free(site->roles, site->role_count);
	roles_free(site->builtin_roles, site->builtin_role_count);
	free(site->path);
	free(site->dir);
	free(site);
}
