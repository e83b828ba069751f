#ifndef LADING_CHARTS_IMAGE_MAPS_H
#define LADING_CHARTS_IMAGE_MAPS_H

/*
 * Internal to charts/: the values side of image discovery (chart_images.c
 * walks charts and subcharts, this file walks one chart's values). Rules:
 * maps with repository (with image, or a tag-ish key, or under a key ending
 * in "image"), or image with tag/version/digest/registry, or name with a
 * tag under an image key; plain image strings; maps beside enabled: false
 * only remembered as named (so an annotation does not bring them back).
 */
#include <stddef.h>

#include "charts/chart_images.h"
#include "charts/values.h"
#include "lib/err.h"

/* One discovery run: the list, strings the values point at, repositories named. */
struct chart_scan {
	struct chart_image_list *out;
	char **origins; /* strings cvalue nodes point at, freed at the end */
	size_t origin_count;
	char **mentioned; /* repositories the values name, enabled or not (see add_listed) */
	size_t mentioned_count;
	struct lerr *err;
};

/* What an image map falls back on: the chart's appVersion and global.imageRegistry. */
struct chart_image_defaults {
	const char *tag;
	const char *registry;
};

/* Keeps text (allocated) until chart_scan_free; returns it. */
const char *chart_scan_pool(struct chart_scan *c, char *text);
/* True when the values named ref's repository, enabled or not. */
int chart_scan_mentioned(const struct chart_scan *c, const char *ref);
/* Adds ref with its source (both allocated, taken) unless listed. */
void chart_scan_add(struct chart_scan *c, char *ref, char *source);
/* A reference as written, not a template or prose. */
int chart_ref_like(const char *text);
/* Walks values; top-level keys in skip (and global, tags) are left out; with mention_only nothing is added. */
void chart_scan_values(struct chart_scan *c, const struct cvalue *values, const struct chart_image_defaults *d,
		       char *const *skip, size_t skip_count, int mention_only);
/* Frees what c holds besides the list. */
void chart_scan_free(struct chart_scan *c);

#endif
