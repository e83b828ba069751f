#include "charts/chart_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

#define CHART_FILE_MAX (5u << 20)
#define CHART_TOTAL_MAX (100u << 20)

int chart_entry_path_ok(const char *path)
{
	const char *p;

	if (path[0] == '/' || strstr(path, "\\") != NULL)
		return 0;
	for (p = path; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Only what names images is kept: the rest of a chart (templates, CRDs) can be large. */
static int wanted(const char *rel)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;

	if (strcmp(base, "Chart.yaml") == 0 || strcmp(base, "values.yaml") == 0 ||
	    strcmp(base, "requirements.yaml") == 0 || strcmp(base, "images.lock") == 0)
		return 1;
	if (ends_with(rel, ".tpl") && (strncmp(rel, "templates/", 10) == 0 || strstr(rel, "/templates/") != NULL))
		return 1;
	return ends_with(rel, ".tgz") && (strncmp(rel, "charts/", 7) == 0 || strstr(rel, "/charts/") != NULL);
}

static int read_member(struct archive *a, const char *what, const char *name, struct buf *out, struct lerr *err)
{
	char chunk[16384];
	la_ssize_t got;

	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)got, err) != 0)
			return lerr_prefix(err, "%s: %s", what, name);
	if (got < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: %s", what, name, archive_error_string(a));
	return 0;
}

static int read_entries(struct archive *a, const char *what, struct chart_files *out, struct lerr *err)
{
	struct archive_entry *entry;
	uint64_t total = 0;
	int status;

	while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(entry);
		const char *slash = name != NULL ? strchr(name, '/') : NULL;
		struct chart_file *f;

		if (name == NULL || !chart_entry_path_ok(name))
			return lerr_set(err, LADING_ERR_FORMAT, "%s: unsafe path '%s' in chart archive", what,
					name ? name : "(none)");
		total += (uint64_t)archive_entry_size(entry);
		if (total > CHART_TOTAL_MAX)
			return lerr_set(err, LADING_ERR_LIMIT, "%s: chart larger than 100 MiB", what);
		if (slash == NULL || archive_entry_filetype(entry) != AE_IFREG || !wanted(slash + 1) ||
		    chart_files_find(out, slash + 1) != NULL)
			continue;
		out->items = grow_array(out->items, out->count, sizeof(*out->items));
		f = &out->items[out->count++];
		f->path = xstrdup(slash + 1);
		buf_init(&f->data, ends_with(f->path, ".tgz") ? CHART_TOTAL_MAX : CHART_FILE_MAX);
		if (read_member(a, what, name, &f->data, err) != 0)
			return -1;
	}
	if (status != ARCHIVE_EOF)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s", what, archive_error_string(a));
	return 0;
}

int chart_files_read(const char *path, const void *data, size_t len, const char *what, struct chart_files *out,
		     struct lerr *err)
{
	struct archive *a = archive_read_new();
	int opened, r = -1;

	memset(out, 0, sizeof(*out));
	if (what == NULL)
		what = path;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	opened = path != NULL ? archive_read_open_filename(a, path, 1 << 16) : archive_read_open_memory(a, data, len);
	if (opened != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not a chart archive: %s", what, archive_error_string(a));
		goto out;
	}
	r = read_entries(a, what, out, err);
out:
	archive_read_free(a);
	if (r != 0)
		chart_files_free(out);
	return r;
}

const struct chart_file *chart_files_find(const struct chart_files *files, const char *path)
{
	size_t i;

	for (i = 0; i < files->count; i++)
		if (strcmp(files->items[i].path, path) == 0)
			return &files->items[i];
	return NULL;
}

void chart_files_free(struct chart_files *files)
{
	size_t i;

	for (i = 0; files != NULL && i < files->count; i++) {
		free(files->items[i].path);
		buf_free(&files->items[i].data);
	}
	if (files != NULL) {
		free(files->items);
		memset(files, 0, sizeof(*files));
	}
}
