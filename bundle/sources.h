#ifndef LADING_BUNDLE_SOURCES_H
#define LADING_BUNDLE_SOURCES_H

/*
 * bundle create for charts:, providers:, files: and packages:: fetch them
 * (charts/, providers/, bundle/files.c, bundle/sources_apt.c) with the versions from lading.lock when locked,
 * record what they resolved to in lading.lock, and add their rows to
 * lading.json: charts/index.yaml + charts/NAME-VERSION.tgz (kind chart),
 * the charts again as OCI artifacts in oci/, providers/HOST/NS/TYPE/ zips and
 * network-mirror JSON (kind provider), modules/HOST/NS/NAME/SYSTEM/VERSION.tar.gz
 * (kind module, normalized), files/NAME (kind file), git/NAME.bundle (kind git), apt/NAME/…
 * (kinds package and apt-index).
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/manifest.h"
#include "bundle/spec.h"
#include "bundle/files.h"
#include "bundle/gitcarry.h"
#include "bundle/sources_apt.h"
#include "charts/fetch.h"
#include "images/fetch.h"
#include "lib/err.h"
#include "lib/log.h"
#include "providers/module.h"
#include "providers/registry.h"

#define BUNDLE_KIND_CHART "chart"
#define BUNDLE_KIND_PROVIDER "provider"
#define BUNDLE_KIND_MODULE "module"
#define BUNDLE_KIND_GIT "git"

struct bundle_sources {
	struct chart_result *charts; /* one per spec chart */
	size_t chart_count;
	struct provider_result *providers;
	size_t provider_count;
	struct module_result *modules; /* one per spec module */
	size_t module_count;
	struct file_result *files;
	size_t file_count;
	struct apt_source_result *apts; /* one per spec package source (bundle/sources_apt.c) */
	size_t apt_count;
	struct git_result *gits; /* one per spec git: repository (bundle/gitcarry.c) */
	size_t git_count;
};

struct bundle_sources_opts {
	const char *cache;
	const char *lock_path; /* lading.lock (read for --locked, extended after create) */
	int locked;
	int update_hashes; /* files without sha256 are fetched and their hash written into the spec */
	const struct logger *lg;
};

/*
 * Fetches every chart, provider and file of spec into the cache. Charts with
 * images_from_charts add their images to spec->images (unless listed). With
 * locked, each must be in lading.lock (LADING_ERR_USAGE naming file:line:col).
 */
int bundle_sources_fetch(struct bundle_spec *spec, const struct bundle_sources_opts *opts, struct bundle_sources *out,
			 struct lerr *err);

/*
 * Adds the image refs the charts name to spec->images (no fetch) with where
 * each was found; for --dry-run after fetching charts. Fails with
 * LADING_ERR_USAGE naming the chart's file:line:col and the image's source
 * when a reference does not parse.
 */
int bundle_sources_add_chart_images(struct bundle_spec *spec, const struct bundle_sources *src, struct lerr *err);

/*
 * The charts as OCI artifacts, to be laid out in oci/ with the images: ref
 * "charts/NAME:TAG". *out is freed with image_results_free.
 */
void bundle_sources_oci_results(const struct bundle_sources *src, struct image_result **out, size_t *count);

/* Adds the charts/, providers/, files/ and apt/ rows to m (sources in cache; spec: what src answers). */
int bundle_sources_add_rows(struct bundle_manifest *m, const struct bundle_sources *src,
			    const struct spec_sources *spec, const char *cache, int64_t created, struct lerr *err);

/* Adds the charts, providers and files sections to the lock file bundle_lock_save wrote. */
int bundle_sources_lock_save(const char *lock_path, const struct bundle_spec *spec, const struct bundle_sources *src,
			     struct lerr *err);

/* Writes the hashes fetched for files without sha256 into the spec file (after their url: line). */
int bundle_sources_update_hashes(const struct bundle_spec *spec, const struct bundle_sources *src, struct lerr *err);

void bundle_sources_free(struct bundle_sources *src);

#endif
