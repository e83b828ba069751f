/*
 * lading inventory list -i FILE [--limit PATTERN] [--json]
 * lading inventory graph -i FILE [GROUP]
 */
#include "inventory/cmd_inventory.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"
#include "inventory/value.h"
#include "lib/cli.h"
#include "lib/xmalloc.h"

#define MAX_SOURCES 16

struct opts {
	const char *sources[MAX_SOURCES];
	int source_count;
	const char *limit;
	int json;
	struct cli cli; /* its operands */
};

enum { OPT_INVENTORY = 1, OPT_LIMIT };

static const struct cli_option list_options[] = {
    {"inventory", 'i', "FILE", OPT_INVENTORY,
     "an Ansible inventory, YAML or INI (repeatable; later files add to earlier); required"},
    {"limit", 'l', "PATTERN", OPT_LIMIT, "only hosts matching an Ansible host pattern"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct cli_option graph_options[] = {
    {"inventory", 'i', "FILE", OPT_INVENTORY,
     "an Ansible inventory, YAML or INI (repeatable; later files add to earlier); required"},
    {NULL, 0, NULL, 0, NULL},
};

/* Returns -1 to go on (o->cli holds the operands; free with cli_free), else the exit status. */
static int parse_opts(int argc, char **argv, const char *prog, const char *synopsis, const struct cli_option *table,
		      unsigned common, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	cli_init(&o->cli, prog, synopsis, table, common, argc, argv);
	while ((c = cli_next(&o->cli)) > 0) {
		if (c == OPT_LIMIT) {
			o->limit = o->cli.arg;
		} else if (o->source_count == MAX_SOURCES) {
			c = cli_usage_error(&o->cli, "at most %d inventories", MAX_SOURCES);
			goto fail;
		} else {
			o->sources[o->source_count++] = o->cli.arg;
		}
	}
	if (c < 0 || o->cli.help) {
		c = cli_finish(&o->cli);
		goto fail;
	}
	if (o->source_count == 0) {
		c = cli_usage_error(&o->cli, "no inventory given (-i FILE)");
		goto fail;
	}
	o->json = o->cli.json;
	return -1;
fail:
	cli_free(&o->cli);
	return c;
}

static int load(const struct opts *o, struct inventory **inv)
{
	struct lerr err;
	int i;

	lerr_clear(&err);
	if (inv_load(o->sources[0], inv, &err) != 0)
		goto fail;
	for (i = 1; i < o->source_count; i++)
		if (inv_merge_file(*inv, o->sources[i], &err) != 0) {
			inv_free(*inv);
			goto fail;
		}
	return 0;
fail:
	return cli_fail(&err);
}

static int selected(const struct inv_host **hosts, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(hosts[i]->name, name) == 0)
			return 1;
	return 0;
}

/* The shape of `ansible-inventory --list`: groups with hosts/children, merged vars in _meta.hostvars. */
static json_t *list_json(const struct inventory *inv, const struct inv_host **hosts, size_t count)
{
	json_t *root = json_object(), *hostvars = json_object(), *meta = json_object();
	size_t i, j;

	for (i = 0; i < inv->group_count; i++) {
		const struct inv_group *g = &inv->groups[i];
		json_t *obj = json_object(), *list = json_array();

		for (j = 0; i != 0 && j < g->host_count; j++)
			if (selected(hosts, count, g->hosts[j]))
				json_array_append_new(list, json_string(g->hosts[j]));
		if (json_array_size(list) > 0)
			json_object_set(obj, "hosts", list);
		json_decref(list);
		list = json_array();
		for (j = 0; j < g->child_count; j++)
			json_array_append_new(list, json_string(g->children[j]));
		if (json_array_size(list) > 0)
			json_object_set(obj, "children", list);
		json_decref(list);
		if (json_object_size(obj) > 0)
			json_object_set(root, g->name, obj);
		json_decref(obj);
	}
	for (i = 0; i < count; i++) {
		json_t *vars = json_object();

		for (j = 0; j < hosts[i]->var_count; j++)
			json_object_set_new(vars, hosts[i]->vars[j].name,
					    inv_value_json(hosts[i]->vars[j].value, hosts[i]->vars[j].kind));
		if (json_object_size(vars) > 0)
			json_object_set(hostvars, hosts[i]->name, vars);
		json_decref(vars);
	}
	json_object_set_new(meta, "hostvars", hostvars);
	json_object_set_new(root, "_meta", meta);
	return root;
}

static void list_text(const struct inv_host **hosts, size_t count)
{
	size_t i, j;

	for (i = 0; i < count; i++) {
		printf("%s", hosts[i]->name);
		for (j = 0; j < hosts[i]->group_count; j++)
			printf("%s%s", j == 0 ? "  [" : ",", hosts[i]->groups[j]);
		printf("]\n");
		for (j = 0; j < hosts[i]->var_count; j++)
			printf("    %s = %s\n", hosts[i]->vars[j].name, hosts[i]->vars[j].value);
	}
}

static int cmd_list(int argc, char **argv)
{
	const struct inv_host **hosts = NULL;
	struct inventory *inv = NULL;
	struct lerr err;
	struct opts o;
	size_t count = 0;
	int r;

	if ((r = parse_opts(argc, argv, "lading inventory list", "-i FILE [-i FILE ...] [--limit PATTERN] [--json]",
			    list_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, &o)) >= 0)
		return r;
	r = cli_operands(&o.cli, 0, 0, "no operands");
	cli_free(&o.cli);
	if (r != 0)
		return 2;
	if ((r = load(&o, &inv)) != 0)
		return r;
	if (inv_select(inv, o.limit, &hosts, &count, &err) != 0) {
		lerr_prefix(&err, "--limit");
		inv_free(inv);
		return cli_fail(&err);
	}
	if (o.json) {
		json_t *root = list_json(inv, hosts, count);

		r = json_dumpf(root, stdout, JSON_INDENT(4) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15)) == 0 ? 0 : 1;
		fputc('\n', stdout);
		json_decref(root);
	} else {
		list_text(hosts, count);
	}
	free(hosts);
	inv_free(inv);
	if (fflush(stdout) != 0) {
		lerr_sys(&err, "cannot write the inventory to stdout");
		return cli_fail(&err);
	}
	return r;
}

static void graph_group(const struct inventory *inv, const struct inv_group *g, int depth)
{
	size_t i;
	int d;

	for (d = 0; d < depth; d++)
		fputs("  |", stdout);
	printf("%s@%s:\n", depth > 0 ? "--" : "", g->name);
	for (i = 0; i < g->child_count; i++) {
		const struct inv_group *child = inv_group_find(inv, g->children[i]);

		if (child != NULL)
			graph_group(inv, child, depth + 1);
	}
	for (i = 0; strcmp(g->name, "all") != 0 && i < g->host_count; i++) {
		for (d = 0; d <= depth; d++)
			fputs("  |", stdout);
		printf("--%s\n", g->hosts[i]);
	}
}

static int cmd_graph(int argc, char **argv)
{
	const struct inv_group *top;
	struct inventory *inv = NULL;
	const char *group;
	struct lerr err;
	struct opts o;
	int r;

	if ((r = parse_opts(argc, argv, "lading inventory graph", "-i FILE [-i FILE ...] [GROUP]", graph_options,
			    CLI_VERBOSE | CLI_QUIET, &o)) >= 0)
		return r;
	r = cli_operands(&o.cli, 0, 1, "at most one GROUP");
	group = o.cli.operand_count == 1 ? o.cli.operands[0] : "all";
	cli_free(&o.cli);
	if (r != 0)
		return 2;
	if ((r = load(&o, &inv)) != 0)
		return r;
	top = inv_group_find(inv, group);
	if (top == NULL) {
		lerr_set(&err, LADING_ERR_USAGE, "no group '%s' in the inventory", group);
		inv_free(inv);
		return cli_fail(&err);
	}
	graph_group(inv, top, 0);
	inv_free(inv);
	return fflush(stdout) == 0 ? 0 : 1;
}

static const struct cli_verb verbs[] = {
    {"list", cmd_list, "the hosts with their groups and variables (--json: as ansible-inventory --list)"},
    {"graph", cmd_graph, "the group tree (as ansible-inventory --graph)"},
    {NULL, NULL, NULL},
};

int cmd_inventory(int argc, char **argv)
{
	return cli_dispatch("lading inventory", verbs, argc, argv);
}
