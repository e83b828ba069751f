#include "charts/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "charts/chart_files.h"
#include "charts/chart_images.h"
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

		if (name == NULL || !chart_entry_path_ok(name)) {
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

int chart_meta_images(const char *path, const struct cvalue *override, struct chart_meta *meta, struct lerr *err)
{
	struct chart_image_list list;
	size_t i;

	if (chart_images_discover(path, override, &list, err) != 0)
		return -1;
	meta->images = xcalloc(list.count + 1, sizeof(*meta->images));
	meta->image_sources = xcalloc(list.count + 1, sizeof(*meta->image_sources));
	for (i = 0; i < list.count; i++) {
		meta->images[i] = list.items[i].ref;
		meta->image_sources[i] = list.items[i].source;
		list.items[i].ref = list.items[i].source = NULL;
	}
	meta->image_count = list.count;
	chart_image_list_free(&list);
	return 0;
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
	if (want_images && chart_meta_images(path, NULL, &meta, err) != 0)
		goto out;
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
	for (i = 0; i < meta->image_count; i++) {
		free(meta->images[i]);
		free(meta->image_sources[i]);
	}
	free(meta->images);
	free(meta->image_sources);
	memset(meta, 0, sizeof(*meta));
}
