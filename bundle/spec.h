#ifndef LADING_BUNDLE_SPEC_H
#define LADING_BUNDLE_SPEC_H

/*
 * lading.yaml, the bundle spec: what to carry. Parsed with lib/yamltree so
 * every error names file:line:col; unknown keys are errors. Parts that add a
 * section (charts, providers, files) add one row to the key table in spec.c.
 */
#include <stddef.h>

#include "bundle/spec_sources.h"
#include "images/fetch.h"
#include "lib/err.h"

/* lading.yaml is read whole into memory: this caps it. */
#define BUNDLE_SPEC_MAX (1u << 20)

struct spec_image {
	char *ref;	  /* as written: "nginx:1.27", "host:5000/a/b@sha256:…" */
	char **platforms; /* "os/arch[/variant]"; none = the default (linux/amd64) */
	size_t platform_count;
	int line, col; /* where it was written, for messages */
	char *source;  /* where a chart named it ("web/values.yaml:image"), or NULL when listed */
	size_t chart;  /* 1 + index in sources.charts of the chart that named it; 0 when listed */
};

struct bundle_spec {
	char *path; /* the file it came from */
	char *text; /* its bytes as given (recorded in lading.json) */
	char *name; /* bundle name: [A-Za-z0-9._-]+ */
	struct spec_image *images;
	size_t image_count;
	struct host_set registries;
	struct spec_sources sources; /* charts:, providers:, files: (bundle/spec_sources.c) */
	char **images_from;	     /* images_from: files (bundle/image_list.c), as written */
	size_t images_from_count;
};

/*
 * Reads and checks path. Fails with LADING_ERR_USAGE naming file:line:col for
 * an unknown key, a wrong type, a bad platform or a duplicate image; with
 * LADING_ERR_FORMAT for YAML syntax; LADING_ERR_SYSTEM when unreadable.
 * Fills spec (free with bundle_spec_free) only on success.
 */
int bundle_spec_load(const char *path, struct bundle_spec *spec, struct lerr *err);

/* Parses spec text already in memory; name is used in messages. */
int bundle_spec_parse(const char *name, const char *text, size_t len, struct bundle_spec *spec, struct lerr *err);

/* True for "os/arch" or "os/arch/variant", each part [a-z0-9._-]+. */
int bundle_platform_is_valid(const char *text);

/* Frees what spec holds; accepts a zeroed spec. */
void bundle_spec_free(struct bundle_spec *spec);

#endif
