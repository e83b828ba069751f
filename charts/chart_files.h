#ifndef LADING_CHARTS_CHART_FILES_H
#define LADING_CHARTS_CHART_FILES_H

/*
 * The files of a chart archive that say which images it runs (Chart.yaml,
 * requirements.yaml, values.yaml, images.lock, templates/ helpers (.tpl) and
 * vendored .tgz subcharts, at any depth), read into memory with the top directory
 * stripped, under Helm's loader limits (5 MiB a file, 100 MiB in all, no
 * absolute paths or "..").
 */
#include <stddef.h>

#include "lib/buf.h"
#include "lib/err.h"

struct chart_file {
	char *path; /* "values.yaml", "charts/redis/Chart.yaml", "charts/nfd-0.16.4.tgz" */
	struct buf data;
};

struct chart_files {
	struct chart_file *items;
	size_t count;
};

/* Reads the archive at path (what is NULL) or in memory (data, len; what names it in messages). */
int chart_files_read(const char *path, const void *data, size_t len, const char *what, struct chart_files *out,
		     struct lerr *err);

/* The file at path, or NULL. */
const struct chart_file *chart_files_find(const struct chart_files *files, const char *path);

/* Helm's loader rule for an archive member: relative, no "..", no backslash. */
int chart_entry_path_ok(const char *path);

void chart_files_free(struct chart_files *files);

#endif
