#ifndef LADING_CHARTS_CHART_IMAGES_H
#define LADING_CHARTS_CHART_IMAGES_H

/*
 * Which images a chart deploys with its default values (plus a site's
 * override), found the way charts write them: image maps at any depth
 * (registry/repository/image/name with tag/version and digest/sha; an empty
 * tag is the appVersion of the chart holding the values), plain `image:
 * ref` strings, global.imageRegistry, the artifacthub.io/images and Bitnami
 * images annotations, images.lock, and the subcharts (vendored directories
 * and .tgz) that their conditions and tags enable. Maps with `enabled:
 * false` are skipped. Each image carries where it was found.
 */
#include <stddef.h>

#include "charts/values.h"
#include "lib/err.h"

struct chart_image {
	char *ref;    /* "nvcr.io/nvidia/driver:550.90.07" */
	char *source; /* "gpu-operator/values.yaml:driver", "redis/Chart.yaml:annotations.images" */
};

struct chart_image_list {
	struct chart_image *items;
	size_t count;
};

/*
 * Discovers the images of the chart archive at path; override (may be NULL)
 * is merged over the top chart's values. Fails on an unreadable archive or
 * YAML that does not parse, naming the file. Free out with chart_image_list_free.
 */
int chart_images_discover(const char *path, const struct cvalue *override, struct chart_image_list *out,
			  struct lerr *err);

void chart_image_list_free(struct chart_image_list *list);

#endif
