/*
 * Ansible's YAML inventory (plugins/inventory/yaml.py): top-level keys are
 * groups; each group has only hosts, vars and children, at every level.
 */
#include <stdlib.h>
#include <string.h>

#include "inventory/build.h"
#include "inventory/range.h"
#include "inventory/value.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

#define INV_NONE ((size_t)-1)

/* Positions outlive the YAML tree: the file name is the builder's copy. */
static struct inv_pos node_pos(struct inv_build *b, const struct ynode *node)
{
	struct inv_pos pos = {inv_build_file(b, node->file), node->line, node->col};

	return pos;
}

static int is_null(const struct ynode *node)
{
	return node->type == YNODE_SCALAR && node->plain &&
	       (node->value[0] == '\0' || strcmp(node->value, "~") == 0 || strcmp(node->value, "null") == 0 ||
		strcmp(node->value, "Null") == 0 || strcmp(node->value, "NULL") == 0);
}

/* Reads a section that is a mapping, null (empty) or a single name (Ansible turns "x" into {x: null}). */
static int section(const struct ynode *node, const char *what, const char *group, int name_ok, struct lerr *err)
{
	if (node->type == YNODE_MAP || is_null(node) || (name_ok && node->type == YNODE_SCALAR))
		return 0;
	return ynode_error(node, err, LADING_ERR_USAGE, "group '%s': '%s' must be a mapping, got a %s", group, what,
			   ynode_type_name(node->type));
}

/* What inv_ymap_each's callbacks add to: a group's vars, or a host's. */
struct var_sink {
	struct inv_build *b;
	size_t group;	       /* for group vars */
	struct inv_vars *vars; /* for host vars (NULL for group vars) */
	struct lerr *err;
	int failed;
};

/*
 * An ansible-vault value ("!vault |" then "$ANSIBLE_VAULT;1.1;AES256...")
 * would otherwise become ciphertext in a config file: refuse it by name.
 */
static int refuse_vault(const struct ynode *key, const struct ynode *value, struct lerr *err)
{
	if (value->type != YNODE_SCALAR || strncmp(value->value, "$ANSIBLE_VAULT;", 15) != 0)
		return 0;
	return ynode_error(value, err, LADING_ERR_USAGE,
			   "variable '%s' is encrypted with ansible-vault, which lading cannot decrypt; "
			   "give it in clear or through the site file",
			   key->value);
}

static void sink_var(void *ctx, const struct ynode *key, const struct ynode *value)
{
	struct var_sink *sink = ctx;
	enum inv_kind kind;
	char *text;

	if (sink->failed)
		return;
	if (refuse_vault(key, value, sink->err) != 0) {
		sink->failed = 1;
		return;
	}
	inv_value_yaml(value, &text, &kind);
	if (sink->vars != NULL) {
		inv_vars_set(sink->vars, key->value, text, kind);
		return;
	}
	sink->failed =
	    inv_build_group_var(sink->b, sink->group, key->value, text, kind, node_pos(sink->b, key), sink->err) != 0;
	free(text);
}

static int read_vars(struct inv_build *b, size_t group, const struct ynode *map, struct lerr *err)
{
	struct var_sink sink = {b, group, NULL, err, 0};

	if (map->type == YNODE_MAP)
		inv_ymap_each(map, sink_var, &sink);
	return sink.failed ? -1 : 0;
}

static int host_vars(const struct ynode *value, int port, struct inv_vars *vars, struct lerr *err)
{
	struct var_sink sink = {NULL, 0, vars, err, 0};

	if (port > 0)
		inv_vars_set(vars, "ansible_port", xasprintf("%d", port), INV_INT);
	if (is_null(value))
		return 0;
	if (value->type != YNODE_MAP)
		return ynode_error(value, err, LADING_ERR_USAGE, "host variables must be a mapping, got a %s",
				   ynode_type_name(value->type));
	inv_ymap_each(value, sink_var, &sink);
	return sink.failed ? -1 : 0;
}

/* One key of a hosts: section: "name", "name:port", "gpu-[01:16]" ... */
static int read_host(struct inv_build *b, size_t group, const struct ynode *key, const struct ynode *value,
		     struct lerr *err)
{
	struct inv_vars vars = {NULL, 0};
	char **names = NULL, *pattern = NULL, *text = NULL;
	size_t count = 0, i, bad = 0;
	enum inv_kind kind;
	int port, r = -1;

	inv_value_yaml_scalar(key->value, key->plain, &text, &kind);
	if (kind == INV_INT || kind == INV_FLOAT) {
		ynode_error(key, err, LADING_ERR_USAGE, "host name %s must be a string: quote it", key->value);
		goto out;
	}
	if (inv_host_port(key->value, &pattern, &port, err) != 0) {
		lerr_prefix(err, "%s:%d:%d", key->file, key->line, key->col);
		goto out;
	}
	if (inv_range_expand(pattern, &names, &count, &bad, err) != 0) {
		lerr_prefix(err, "%s:%d:%d", key->file, key->line, key->col + (key->plain ? (int)bad : 1 + (int)bad));
		goto out;
	}
	if (host_vars(value, port, &vars, err) != 0)
		goto out;
	for (i = 0; i < count; i++)
		if (inv_build_host(b, group, names[i], &vars, node_pos(b, key), err) != 0)
			goto out;
	r = 0;
out:
	free(text);
	free(pattern);
	inv_range_free(names, count);
	inv_vars_free(&vars);
	return r;
}

static int read_group(struct inv_build *b, const struct ynode *key, const struct ynode *value, size_t parent,
		      struct lerr *err);

static int read_entries(struct inv_build *b, size_t group, const struct ynode *section_node, int children,
			struct lerr *err)
{
	struct ynode none = {YNODE_SCALAR, NULL, 0, 0, (char *)"", 1, 0, NULL, NULL};
	size_t i;

	none.file = section_node->file;
	if (section_node->type == YNODE_SCALAR && !is_null(section_node))
		return children ? read_group(b, section_node, &none, group, err)
				: read_host(b, group, section_node, &none, err);
	for (i = 0; section_node->type == YNODE_MAP && i < section_node->count; i++) {
		const struct ypair *p = &section_node->pairs[i];
		int r =
		    children ? read_group(b, p->key, p->value, group, err) : read_host(b, group, p->key, p->value, err);

		if (r != 0)
			return -1;
	}
	return 0;
}

static int read_group(struct inv_build *b, const struct ynode *key, const struct ynode *value, size_t parent,
		      struct lerr *err)
{
	static const char *const keys[] = {"hosts", "vars", "children", NULL};
	const char *name = key->value;
	char *where;
	size_t group, i;
	int r;

	if (name[0] == '\0')
		return ynode_error(key, err, LADING_ERR_USAGE, "empty group name");
	group = inv_build_group(b, name);
	if (parent != INV_NONE && inv_build_child(b, parent, group, node_pos(b, key), err) != 0)
		return -1;
	if (is_null(value))
		return 0;
	if (value->type != YNODE_MAP)
		return ynode_error(value, err, LADING_ERR_USAGE,
				   "group '%s' must be a mapping with hosts, vars or children, got a %s", name,
				   ynode_type_name(value->type));
	where = xasprintf("group '%s' (only hosts, vars and children are allowed)", name);
	r = ynode_check_keys(value, keys, where, err);
	free(where);
	if (r != 0)
		return -1;
	for (i = 0; i < value->count; i++) {
		const char *section_name = value->pairs[i].key->value;
		const struct ynode *v = value->pairs[i].value;

		if (section(v, section_name, name, strcmp(section_name, "vars") != 0, err) != 0)
			return -1;
		if (strcmp(section_name, "vars") == 0)
			r = read_vars(b, group, v, err);
		else
			r = read_entries(b, group, v, strcmp(section_name, "children") == 0, err);
		if (r != 0)
			return -1;
	}
	return 0;
}

int inv_yaml_read(struct inv_build *b, const char *path, const char *data, size_t len, struct lerr *err)
{
	struct ydoc doc = {NULL, NULL};
	size_t i;
	int r = -1;

	if (ydoc_load_string(&doc, inv_build_file(b, path), data, len, err) != 0)
		return -1;
	if (doc.root == NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s: empty inventory", path);
		goto out;
	}
	if (doc.root->type != YNODE_MAP) {
		ynode_error(doc.root, err, LADING_ERR_USAGE, "an inventory must be a mapping of group names, got a %s",
			    ynode_type_name(doc.root->type));
		goto out;
	}
	for (i = 0; i < doc.root->count; i++)
		if (read_group(b, doc.root->pairs[i].key, doc.root->pairs[i].value, INV_NONE, err) != 0)
			goto out;
	r = 0;
out:
	ydoc_free(&doc);
	return r;
}
