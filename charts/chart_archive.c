#include "charts/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

#define CHART_FILE_MAX (5u << 20)
#define CHART_TOTAL_MAX (100u << 20)

static const char *scalar_of(const struct ynode *map, const char *key)
{
	const struct ynode *node = ynode_get(map, key);

	return node != NULL && node->type == YNODE_SCALAR && node->value[0] != '\0' ? node->value : NULL;
}

static void add_image(char ***images, size_t *count, char *ref)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*images)[i], ref) == 0) {
			free(ref);
			return;
		}
	*images = grow_array(*images, *count, sizeof(**images));
	(*images)[(*count)++] = ref;
}

/* An `image:` map: {registry?, repository, tag? | version? | digest?}. */
static char *image_from_map(const struct ynode *map, const char *app_version)
{
	const char *registry = scalar_of(map, "registry");
	const char *repository = scalar_of(map, "repository");
	const char *tag = scalar_of(map, "tag");
	const char *digest = scalar_of(map, "digest");
	const char *last;

	if (repository == NULL)
		repository = scalar_of(map, "name");
	if (repository == NULL)
		return NULL;
	if (tag == NULL)
		tag = scalar_of(map, "version");
	if (tag == NULL)
		tag = app_version;
	if (digest != NULL)
		return xasprintf("%s%s%s@%s", registry ? registry : "", registry ? "/" : "", repository, digest);
	last = strrchr(repository, '/');
	if (tag == NULL || strchr(last != NULL ? last : repository, ':') != NULL)
		return xasprintf("%s%s%s", registry ? registry : "", registry ? "/" : "", repository);
	return xasprintf("%s%s%s:%s", registry ? registry : "", registry ? "/" : "", repository, tag);
}

static void walk_values(const struct ynode *node, const char *app_version, char ***images, size_t *count, int depth)
{
	size_t i;

	if (node == NULL || depth > 64)
		return;
	if (node->type == YNODE_SEQ) {
		for (i = 0; i < node->count; i++)
			walk_values(node->items[i], app_version, images, count, depth + 1);
		return;
	}
	if (node->type != YNODE_MAP)
		return;
	for (i = 0; i < node->count; i++) {
		const struct ynode *value = node->pairs[i].value;
		char *ref = NULL;

		if (strcmp(node->pairs[i].key->value, "image") == 0) {
			if (value->type == YNODE_MAP)
				ref = image_from_map(value, app_version);
			else if (value->type == YNODE_SCALAR && value->value[0] != '\0' &&
				 strchr(value->value, ' ') == NULL)
				ref = xstrdup(value->value);
		}
		if (ref != NULL)
			add_image(images, count, ref);
		else
			walk_values(value, app_version, images, count, depth + 1);
	}
}

int chart_values_images(const char *name, const char *text, size_t len, const char *app_version, char ***images,
			size_t *count, struct lerr *err)
{
	struct ydoc doc;

	if (ydoc_load_string(&doc, name, text, len, err) != 0)
		return -1;
	walk_values(doc.root, app_version, images, count, 0);
	ydoc_free(&doc);
	return 0;
}

/* Helm's loader rules: one top directory, no absolute paths, no "..". */
static int entry_path_ok(const char *path)
{
	const char *p;

	if (path[0] == '/' || strstr(path, "\\") != NULL)
		return 0;
	for (p = path; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

static int read_member(struct archive *a, const char *path, const char *what, struct buf *out, struct lerr *err)
{
	char chunk[16384];
	la_ssize_t got;

	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)got, err) != 0)
			return lerr_prefix(err, "%s: %s", path, what);
	if (got < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: %s", path, what, archive_error_string(a));
	return 0;
}

static int load_members(const char *path, struct buf *chart_yaml, struct buf *values_yaml, struct lerr *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	uint64_t total = 0;
	int status, r = -1;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not a chart archive: %s", path, archive_error_string(a));
		goto out;
	}
	while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(entry);
		const char *slash = name != NULL ? strchr(name, '/') : NULL;

		if (name == NULL || !entry_path_ok(name)) {
			lerr_set(err, LADING_ERR_FORMAT, "%s: unsafe path '%s' in chart archive", path,
				 name ? name : "(none)");
			goto out;
		}
		total += (uint64_t)archive_entry_size(entry);
		if (total > CHART_TOTAL_MAX) {
			lerr_set(err, LADING_ERR_LIMIT, "%s: chart larger than 100 MiB", path);
			goto out;
		}
		if (slash == NULL || archive_entry_filetype(entry) != AE_IFREG)
			continue;
		if (strcmp(slash + 1, "Chart.yaml") == 0 && chart_yaml->len == 0) {
			if (read_member(a, path, "Chart.yaml", chart_yaml, err) != 0)
				goto out;
		} else if (strcmp(slash + 1, "values.yaml") == 0 && values_yaml->len == 0) {
			if (read_member(a, path, "values.yaml", values_yaml, err) != 0)
				goto out;
		}
	}
	if (status != ARCHIVE_EOF) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	return r;
}

int chart_archive_read(const char *path, int want_images, struct chart_meta *out, struct lerr *err)
{
	struct buf chart_yaml = BUF_INIT(CHART_FILE_MAX), values_yaml = BUF_INIT(CHART_FILE_MAX);
	struct chart_meta meta = {0};
	struct ydoc doc = {NULL, NULL};
	char *label = NULL;
	int r = -1;

	if (load_members(path, &chart_yaml, &values_yaml, err) != 0)
		goto out;
	if (chart_yaml.len == 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: no Chart.yaml in the chart archive", path);
		goto out;
	}
	label = xasprintf("%s:Chart.yaml", path);
	if (ydoc_load_string(&doc, label, chart_yaml.data, chart_yaml.len, err) != 0)
		goto out;
	if (scalar_of(doc.root, "name") == NULL || scalar_of(doc.root, "version") == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: Chart.yaml lacks name or version", path);
		goto out;
	}
	meta.name = xstrdup(scalar_of(doc.root, "name"));
	meta.version = xstrdup(scalar_of(doc.root, "version"));
	if (scalar_of(doc.root, "appVersion") != NULL)
		meta.app_version = xstrdup(scalar_of(doc.root, "appVersion"));
	if (scalar_of(doc.root, "apiVersion") != NULL)
		meta.api_version = xstrdup(scalar_of(doc.root, "apiVersion"));
	if (scalar_of(doc.root, "description") != NULL)
		meta.description = xstrdup(scalar_of(doc.root, "description"));
	if (want_images && values_yaml.len > 0) {
		free(label);
		label = xasprintf("%s:values.yaml", path);
		if (chart_values_images(label, values_yaml.data, values_yaml.len, meta.app_version, &meta.images,
					&meta.image_count, err) != 0)
			goto out;
	}
	*out = meta;
	memset(&meta, 0, sizeof(meta));
	r = 0;
out:
	chart_meta_free(&meta);
	ydoc_free(&doc);
	free(label);
	buf_free(&chart_yaml);
	buf_free(&values_yaml);
	return r;
}

void chart_meta_free(struct chart_meta *meta)
{
	size_t i;

	if (meta == NULL)
		return;
	free(meta->name);
	free(meta->version);
	free(meta->app_version);
	free(meta->api_version);
	free(meta->description);
	for (i = 0; i < meta->image_count; i++)
		free(meta->images[i]);
	free(meta->images);
	memset(meta, 0, sizeof(*meta));
}
