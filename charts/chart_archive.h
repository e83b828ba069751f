#ifndef LADING_CHARTS_CHART_ARCHIVE_H
#define LADING_CHARTS_CHART_ARCHIVE_H

/*
 * A chart archive (<name>-<version>.tgz, SPECS §3.3), read the way Helm's
 * loader reads it: entries under one top directory, no absolute paths or
 * "..", 5 MiB per file and 100 MiB in all.
 */
#include <stddef.h>

#include "charts/values.h"
#include "lib/err.h"

struct chart_meta {
	char *name;
	char *version;
	char *app_version;    /* or NULL */
	char *api_version;    /* "v1", "v2"; or NULL */
	char *description;    /* or NULL */
	char **images;	      /* image references the chart deploys (charts/chart_images.h) */
	char **image_sources; /* where each was found: "NAME/values.yaml:key.path" */
	size_t image_count;
};

/* Reads Chart.yaml from the archive at path; with want_images also its images (default values). */
int chart_archive_read(const char *path, int want_images, struct chart_meta *out, struct lerr *err);

/* Fills meta's images and their sources from the archive at path, with override merged over its values. */
int chart_meta_images(const char *path, const struct cvalue *override, struct chart_meta *meta, struct lerr *err);

void chart_meta_free(struct chart_meta *meta);

/*
 * Collects image references from one values.yaml text (no subcharts or
 * annotations) by the rules of charts/chart_images.h, the tag defaulting to
 * app_version, deduplicated in first-seen order. name is used in messages.
 */
int chart_values_images(const char *name, const char *text, size_t len, const char *app_version, char ***images,
			size_t *count, struct lerr *err);

#endif
