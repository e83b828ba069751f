#ifndef LADING_CHARTS_CHART_ARCHIVE_H
#define LADING_CHARTS_CHART_ARCHIVE_H

/*
 * A chart archive (<name>-<version>.tgz, SPECS §3.3), read the way Helm's
 * loader reads it: entries under one top directory, no absolute paths or
 * "..", 5 MiB per file and 100 MiB in all.
 */
#include <stddef.h>

#include "lib/err.h"

struct chart_meta {
	char *name;
	char *version;
	char *app_version; /* or NULL */
	char *api_version; /* "v1", "v2"; or NULL */
	char *description; /* or NULL */
	char **images;	   /* image references named in values.yaml (see chart_values_images) */
	size_t image_count;
};

/* Reads Chart.yaml (and values.yaml when want_images) from the archive at path. */
int chart_archive_read(const char *path, int want_images, struct chart_meta *out, struct lerr *err);

void chart_meta_free(struct chart_meta *meta);

/*
 * Collects image references from a values.yaml text: `image:` maps with
 * registry/repository/tag (or version, or digest; the tag defaults to
 * app_version) and plain `image: repo:tag` strings, at any depth, deduplicated
 * in first-seen order. name is used in messages.
 */
int chart_values_images(const char *name, const char *text, size_t len, const char *app_version, char ***images,
			size_t *count, struct lerr *err);

#endif
