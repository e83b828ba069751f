/*
 * lading inventory list -i FILE [--limit PATTERN] [--json]
 * lading inventory graph -i FILE [GROUP]
 */
#define _GNU_SOURCE /* getopt_long */
#include "inventory/cmd_inventory.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"
#include "inventory/value.h"
#include "lib/xmalloc.h"

#define MAX_SOURCES 16

struct opts {
	const char *sources[MAX_SOURCES];
	int source_count;
	const char *limit;
	int json;
};

static const char usage_text[] =
    "usage: lading inventory list -i FILE [-i FILE ...] [--limit PATTERN] [--json]\n"
    "       lading inventory graph -i FILE [-i FILE ...] [GROUP]\n"
    "\n"
    "  -i, --inventory FILE  an Ansible inventory, YAML or INI (repeatable; later files add to earlier)\n"
    "  -l, --limit PATTERN   only hosts matching an Ansible host pattern (list)\n"
    "      --json            print the inventory as `ansible-inventory --list` does (list)\n"
    "  -h, --help            this help\n";

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"inventory", required_argument, NULL, 'i'},
	    {"limit", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->source_count == MAX_SOURCES) {
				fprintf(stderr, "lading inventory: at most %d inventories\n", MAX_SOURCES);
				return 2;
			}
			o->sources[o->source_count++] = optarg;
			break;
		case 'l':
			o->limit = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (o->source_count == 0) {
		fprintf(stderr, "lading inventory: no inventory given (-i FILE)\n");
		return 2;
	}
	return -1;
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
	fprintf(stderr, "lading inventory: %s\n", err.msg);
	/* a YAML syntax error is as much the user's input as a bad group */
	return err.code == LADING_ERR_FORMAT ? 2 : lerr_exit_code(&err);
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

	if ((r = parse_opts(argc, argv, &o)) >= 0)
		return r;
	if (optind != argc) {
		fprintf(stderr, "lading inventory list: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((r = load(&o, &inv)) != 0)
		return r;
	if (inv_select(inv, o.limit, &hosts, &count, &err) != 0) {
		fprintf(stderr, "lading inventory: --limit: %s\n", err.msg);
		inv_free(inv);
		return 2;
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
		perror("lading inventory: stdout");
		return 1;
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
	struct opts o;
	int r;

	if ((r = parse_opts(argc, argv, &o)) >= 0)
		return r;
	if (o.limit != NULL || o.json) {
		fprintf(stderr, "lading inventory graph: --limit and --json apply to list only\n");
		return 2;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "lading inventory graph: at most one GROUP\n");
		return 2;
	}
	if ((r = load(&o, &inv)) != 0)
		return r;
	top = inv_group_find(inv, optind < argc ? argv[optind] : "all");
	if (top == NULL) {
		fprintf(stderr, "lading inventory graph: no group '%s' in the inventory\n", argv[optind]);
		inv_free(inv);
		return 2;
	}
	graph_group(inv, top, 0);
	inv_free(inv);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_inventory(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} verbs[] = {
	    {"list", cmd_list},
	    {"graph", cmd_graph},
	};
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "lading inventory: unknown verb '%s' (list, graph)\n", argv[1]);
	return 2;
}
