/* Image discovery in a chart and its subcharts; see chart_images.h for the rules. */
#include "charts/chart_images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts/chart_files.h"
#include "charts/image_maps.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

/* Subcharts nest; Helm has no limit, a malicious archive would. */
#define CHART_DEPTH_MAX 8

static const char *yscalar(const struct ynode *map, const char *key)
{
	const struct ynode *node = ynode_get(map, key);

	return node != NULL && node->type == YNODE_SCALAR && node->value[0] != '\0' ? node->value : NULL;
}

/*
 * A YAML list of {image: REF} maps (the annotations and images.lock share
 * the shape). They list every image a chart may run; one whose repository
 * the values name (enabled or not) is left to the values, so a disabled
 * exporter stays out and a site's tag wins.
 */
static void add_listed(struct chart_scan *c, const struct ynode *list, const char *source)
{
	size_t i;

	if (list == NULL || list->type != YNODE_SEQ)
		return;
	for (i = 0; i < list->count; i++) {
		const char *ref = yscalar(list->items[i], "image");

		if (chart_ref_like(ref) && !chart_scan_mentioned(c, ref))
			chart_scan_add(c, xstrdup(ref), xstrdup(source));
	}
}

static int add_annotations(struct chart_scan *c, const struct ynode *chart, const char *label)
{
	static const char *const keys[] = {"artifacthub.io/images", "images", NULL};
	const struct ynode *annotations = ynode_get(chart, "annotations");
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		const char *text = yscalar(annotations, keys[i]);
		struct ydoc doc;
		char *source;

		if (text == NULL)
			continue;
		source = xasprintf("%s/Chart.yaml:annotations.%s", label, keys[i]);
		if (ydoc_load_string(&doc, source, text, strlen(text), c->err) != 0) {
			free(source);
			return -1;
		}
		add_listed(c, doc.root, source);
		ydoc_free(&doc);
		free(source);
	}
	return 0;
}

static int load_yaml(const struct chart_files *files, const char *path, const char *label, struct ydoc *doc,
		     struct lerr *err)
{
	const struct chart_file *f = chart_files_find(files, path);

	doc->file = NULL;
	doc->root = NULL;
	if (f == NULL)
		return 0;
	return ydoc_load_string(doc, label, f->data.data ? f->data.data : "", f->data.len, err);
}

static int add_images_lock(struct chart_scan *c, const struct chart_files *files, const char *prefix, const char *label)
{
	char *path = xasprintf("%simages.lock", prefix), *source = xasprintf("%s/images.lock", label);
	struct ydoc doc;
	int r = load_yaml(files, path, source, &doc, c->err);

	if (r == 0)
		add_listed(c, ynode_get(doc.root, "images"), source);
	ydoc_free(&doc);
	free(path);
	free(source);
	return r;
}

static int line_has(const char *line, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; line + n <= end; line++)
		if (strncmp(line, needle, n) == 0)
			return 1;
	return 0;
}

/* Charts whose helpers print `printf "v%s" .Chart.AppVersion` (kube-state-metrics, node-exporter). */
static int templates_prefix_v(const struct chart_files *files, const char *prefix)
{
	size_t i, plen = strlen(prefix);

	for (i = 0; i < files->count; i++) {
		const char *p = files->items[i].path, *line, *at;

		if (strncmp(p, prefix, plen) != 0 || strncmp(p + plen, "templates/", 10) != 0 ||
		    files->items[i].data.data == NULL)
			continue;
		for (at = files->items[i].data.data; (at = strstr(at, "\"v%s\"")) != NULL; at += 5) {
			const char *end = strchr(at, '\n');

			for (line = at; line > files->items[i].data.data && line[-1] != '\n'; line--)
				;
			if (end == NULL)
				end = at + strlen(at);
			if (line_has(line, end, ".Chart.AppVersion"))
				return 1;
		}
	}
	return 0;
}

/* Helm's rule: a condition that resolves to a bool decides; else any true tag enables, all-false tags disable. */
static int dependency_enabled(const struct ynode *dep, const struct cvalue *values)
{
	const char *condition = yscalar(dep, "condition");
	const struct ynode *tags = ynode_get(dep, "tags");
	int any_true = 0, any_false = 0;
	size_t i;

	if (condition != NULL) {
		char *copy = xstrdup(condition), *save = NULL, *p;
		int decided = -1;

		for (p = strtok_r(copy, ",", &save); p != NULL && decided < 0; p = strtok_r(NULL, ",", &save)) {
			while (*p == ' ')
				p++;
			decided = cvalue_bool(cvalue_path(values, p));
		}
		free(copy);
		if (decided >= 0)
			return decided;
	}
	for (i = 0; tags != NULL && tags->type == YNODE_SEQ && i < tags->count; i++) {
		int b = tags->items[i]->type == YNODE_SCALAR
			    ? cvalue_bool(cvalue_get(cvalue_get(values, "tags"), tags->items[i]->value))
			    : -1;

		any_true |= b == 1;
		any_false |= b == 0;
	}
	return any_true || !any_false;
}

/* {key: value}, as a map of one pair. */
static struct cvalue *wrap(const char *key, const struct cvalue *value)
{
	struct cvalue *map = xcalloc(1, sizeof(*map));

	map->type = CVALUE_MAP;
	map->keys = xcalloc(2, sizeof(*map->keys));
	map->items = xcalloc(2, sizeof(*map->items));
	map->keys[0] = xstrdup(key);
	map->items[0] = cvalue_copy(value);
	map->count = 1;
	return map;
}

static int discover_chart(struct chart_scan *c, const struct chart_files *files, const char *prefix, const char *label,
			  const struct cvalue *override, int depth);

/* The values a subchart sees: the parent's values under its key, with the parent's globals over its own. */
static struct cvalue *subchart_override(const struct cvalue *values, const char *key)
{
	const struct cvalue *mine = cvalue_get(values, key), *global = cvalue_get(values, "global");
	struct cvalue *out = mine != NULL && mine->type == CVALUE_MAP ? cvalue_copy(mine) : NULL;

	if (global != NULL) {
		struct cvalue *g = wrap("global", global);

		cvalue_merge(&out, g);
		cvalue_free(g);
	}
	return out;
}

struct chart_deps {
	const struct ynode *list; /* Chart.yaml (v2) or requirements.yaml (v1) dependencies */
	const struct cvalue *values;
};

/* One vendored subchart (files at sub_prefix), once per dependency entry naming it (aliases), or once if none. */
static int discover_subchart(struct chart_scan *c, const struct chart_deps *deps, const struct chart_files *files,
			     const char *sub_prefix, const char *label, int depth)
{
	char *chart_path = xasprintf("%sChart.yaml", sub_prefix), *what = xasprintf("%s/Chart.yaml", label);
	struct ydoc doc;
	const char *name;
	size_t i, used = 0;
	int r = -1;

	if (load_yaml(files, chart_path, what, &doc, c->err) != 0)
		goto out;
	if ((name = yscalar(doc.root, "name")) == NULL) {
		lerr_set(c->err, LADING_ERR_FORMAT, "%s: no name", what);
		goto out;
	}
	for (i = 0; deps->list != NULL && deps->list->type == YNODE_SEQ && i < deps->list->count; i++) {
		const struct ynode *dep = deps->list->items[i];
		const char *key = dep != NULL && yscalar(dep, "alias") ? yscalar(dep, "alias") : name;
		struct cvalue *sub;
		char *sub_label;
		int failed;

		if (yscalar(dep, "name") == NULL || strcmp(yscalar(dep, "name"), name) != 0)
			continue;
		used++;
		if (!dependency_enabled(dep, deps->values))
			continue;
		sub = subchart_override(deps->values, key);
		sub_label = xasprintf("%s/charts/%s", label, key);
		failed = discover_chart(c, files, sub_prefix, sub_label, sub, depth + 1);
		cvalue_free(sub);
		free(sub_label);
		if (failed)
			goto out;
	}
	if (used == 0) {
		struct cvalue *sub = subchart_override(deps->values, name);
		char *sub_label = xasprintf("%s/charts/%s", label, name);
		int failed = discover_chart(c, files, sub_prefix, sub_label, sub, depth + 1);

		cvalue_free(sub);
		free(sub_label);
		if (failed)
			goto out;
	}
	r = 0;
out:
	ydoc_free(&doc);
	free(chart_path);
	free(what);
	return r;
}

/* Subcharts under PREFIX/charts/: directories (X/Chart.yaml) and archives (X.tgz). */
static int discover_subcharts(struct chart_scan *c, const struct chart_deps *deps, const struct chart_files *files,
			      const char *prefix, const char *label, int depth)
{
	char *dir = xasprintf("%scharts/", prefix);
	size_t i, dlen = strlen(dir);
	int r = 0;

	for (i = 0; i < files->count && r == 0; i++) {
		const char *rest = files->items[i].path + dlen, *slash;

		if (strncmp(files->items[i].path, dir, dlen) != 0)
			continue;
		slash = strchr(rest, '/');
		if (slash != NULL && strcmp(slash, "/Chart.yaml") == 0) {
			char *sub_prefix = xasprintf("%s%.*s/", dir, (int)(slash - rest), rest);

			r = discover_subchart(c, deps, files, sub_prefix, label, depth);
			free(sub_prefix);
		} else if (slash == NULL && strlen(rest) > 4 && strcmp(rest + strlen(rest) - 4, ".tgz") == 0) {
			struct chart_files inner;
			char *what = xasprintf("%s/charts/%s", label, rest);

			r = chart_files_read(NULL, files->items[i].data.data, files->items[i].data.len, what, &inner,
					     c->err);
			if (r == 0)
				r = discover_subchart(c, deps, &inner, "", label, depth);
			chart_files_free(&inner);
			free(what);
		}
	}
	free(dir);
	return r;
}

/* Dependency names and aliases: their values belong to the subchart, not to the parent's walk. */
static size_t subchart_keys(const struct ynode *deps, char ***out)
{
	size_t i, n = 0;

	*out = xcalloc((deps != NULL ? deps->count : 0) * 2 + 1, sizeof(char *));
	for (i = 0; deps != NULL && deps->type == YNODE_SEQ && i < deps->count; i++) {
		if (yscalar(deps->items[i], "name") != NULL)
			(*out)[n++] = (char *)yscalar(deps->items[i], "name");
		if (yscalar(deps->items[i], "alias") != NULL)
			(*out)[n++] = (char *)yscalar(deps->items[i], "alias");
	}
	return n;
}

/* Walks a chart's values (its subcharts' keys left to them); with mention_only nothing is added. */
static void walk_values(struct chart_scan *c, const struct cvalue *values, const struct chart_image_defaults *d,
			const struct ynode *deps, int mention_only)
{
	char **skip = NULL;
	size_t count = subchart_keys(deps, &skip);

	chart_scan_values(c, values, d, skip, count, mention_only);
	free(skip);
}

static int discover_chart(struct chart_scan *c, const struct chart_files *files, const char *prefix, const char *label,
			  const struct cvalue *override, int depth)
{
	struct ydoc chart = {NULL, NULL}, values_doc = {NULL, NULL}, requirements = {NULL, NULL};
	char *path = NULL, *what = NULL, *tag = NULL;
	struct cvalue *values = NULL;
	struct chart_image_defaults d = {NULL, NULL};
	struct chart_deps deps;
	int r = -1;

	if (depth > CHART_DEPTH_MAX)
		return lerr_set(c->err, LADING_ERR_LIMIT, "%s: subcharts nested deeper than %d", label,
				CHART_DEPTH_MAX);
	path = xasprintf("%sChart.yaml", prefix);
	what = xasprintf("%s/Chart.yaml", label);
	if (load_yaml(files, path, what, &chart, c->err) != 0)
		goto out;
	if (chart.root == NULL) {
		lerr_set(c->err, LADING_ERR_FORMAT, "%s: missing or empty", what);
		goto out;
	}
	free(path);
	free(what);
	path = xasprintf("%svalues.yaml", prefix);
	what = xasprintf("%s/values.yaml", label);
	if (load_yaml(files, path, what, &values_doc, c->err) != 0)
		goto out;
	values = cvalue_from_ynode(values_doc.root, chart_scan_pool(c, xstrdup(what)));
	if (values == NULL || values->type != CVALUE_MAP) {
		cvalue_free(values);
		values = xcalloc(1, sizeof(*values));
		values->type = CVALUE_MAP;
	}
	if (yscalar(chart.root, "appVersion") != NULL) {
		const char *app = yscalar(chart.root, "appVersion");

		tag = templates_prefix_v(files, prefix) && app[0] != 'v' ? xasprintf("v%s", app) : xstrdup(app);
	}
	d.tag = tag;
	deps.list = ynode_get(chart.root, "dependencies");
	if (deps.list == NULL) {
		free(path);
		free(what);
		path = xasprintf("%srequirements.yaml", prefix);
		what = xasprintf("%s/requirements.yaml", label);
		if (load_yaml(files, path, what, &requirements, c->err) != 0)
			goto out;
		deps.list = ynode_get(requirements.root, "dependencies");
	}
	walk_values(c, values, &d, deps.list, 1); /* what the chart itself names, before the site's values */
	cvalue_merge(&values, override);
	d.registry = cvalue_scalar(cvalue_get(values, "global"), "imageRegistry");
	deps.values = values;
	walk_values(c, values, &d, deps.list, 0);
	if (add_annotations(c, chart.root, label) != 0 || add_images_lock(c, files, prefix, label) != 0 ||
	    discover_subcharts(c, &deps, files, prefix, label, depth) != 0)
		goto out;
	r = 0;
out:
	cvalue_free(values);
	ydoc_free(&chart);
	ydoc_free(&values_doc);
	ydoc_free(&requirements);
	free(path);
	free(what);
	free(tag);
	return r;
}

int chart_images_discover(const char *path, const struct cvalue *override, struct chart_image_list *out,
			  struct lerr *err)
{
	struct chart_files files;
	struct chart_scan c = {out, NULL, 0, NULL, 0, err};
	struct ydoc chart = {NULL, NULL};
	const char *name;
	char *label = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (chart_files_read(path, NULL, 0, NULL, &files, err) != 0)
		return -1;
	if (load_yaml(&files, "Chart.yaml", path, &chart, err) != 0)
		goto out;
	name = yscalar(chart.root, "name");
	label = xstrdup(name != NULL ? name : "chart");
	r = discover_chart(&c, &files, "", label, override, 0);
out:
	chart_scan_free(&c);
	ydoc_free(&chart);
	chart_files_free(&files);
	free(label);
	if (r != 0)
		chart_image_list_free(out);
	return r;
}

void chart_image_list_free(struct chart_image_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++) {
		free(list->items[i].ref);
		free(list->items[i].source);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}
