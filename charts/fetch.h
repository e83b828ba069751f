#ifndef LADING_CHARTS_FETCH_H
#define LADING_CHARTS_FETCH_H

/*
 * charts/: Helm. Owns the repository index, chart archives, chart fetch over
 * HTTP and OCI, and the images a chart names. OCI charts travel through the
 * registry client in images/ (the one edge between client folders, one way).
 * May include: lib/, images/
 */

/*
 * CONTRACT between charts/ (implements) and bundle/ (consumes), the same
 * shape as images_fetch: resolve chart requests against Helm HTTP
 * repositories (SPECS §3.1) or OCI registries (§3.4) and bring each chart
 * archive into the content-addressed store, together with an OCI manifest
 * and Helm config blob for it (so the bundle can carry the chart in oci/
 * as well). Knows nothing about tarballs.
 */
#include <stddef.h>
#include <stdint.h>

#include "charts/values.h"
#include "images/fetch.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/log.h"

#define CHART_CONFIG_MEDIA_TYPE "application/vnd.cncf.helm.config.v1+json"
#define CHART_LAYER_MEDIA_TYPE "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define CHART_LAYER_LEGACY_MEDIA_TYPE "application/tar+gzip"
#define CHART_MANIFEST_MEDIA_TYPE "application/vnd.oci.image.manifest.v1+json"
/* Helm's loader caps a chart at 100 MiB. */
#define CHART_MAX_BYTES (100u << 20)

struct chart_request {
	const char *repo;	     /* Helm HTTP repository URL ("https://charts.example.org"), or NULL */
	const char *name;	     /* chart name in that repository */
	const char *oci;	     /* or "oci://host[:port]/path/name" */
	const char *version;	     /* Masterminds constraint; NULL or "" = newest stable */
	const char *locked_version;  /* exact version from lading.lock, or NULL */
	const char *locked_digest;   /* "sha256:..." of the .tgz from lading.lock, or NULL */
	int want_images;	     /* collect the images the chart deploys (charts/chart_images.h) */
	const struct cvalue *values; /* with want_images: the site's values over the chart's; may be NULL */
};

struct chart_result {
	char *source;			      /* "REPO NAME" or "oci://..." as requested, for messages and the lock */
	char *name;			      /* from Chart.yaml */
	char *version;			      /* exact version fetched */
	char *app_version;		      /* or NULL */
	char digest[DIGEST_STR_MAX];	      /* sha256 of the .tgz (a blob in the store) */
	uint64_t size;			      /* its size */
	char manifest_digest[DIGEST_STR_MAX]; /* OCI manifest of the chart in the store */
	uint64_t manifest_size;
	char config_digest[DIGEST_STR_MAX]; /* Helm config blob in the store */
	uint64_t config_size;
	char **images; /* with want_images: the image references the chart deploys */
	char *
	    *image_sources; /* where each was found: "NAME/values.yaml:key.path", ".../Chart.yaml:annotations.images" */
	size_t image_count;
};

struct chart_fetch_opts {
	const char *store_dir;		   /* content-addressed store root */
	const struct host_set *registries; /* per-host TLS settings; may be NULL */
	const char *auth_file;		   /* docker config.json for OCI registries; NULL = default */
	int locked;			   /* refuse a request without locked_version */
	const struct logger *lg;	   /* may be NULL */
};

/*
 * Fetches every request; results[i] answers reqs[i]. Fails on the first chart
 * that cannot be fetched, naming it: no version matches (listing those that
 * exist), digest mismatch, not a chart, HTTP errors. Nothing is left under a
 * final store name unless its digest matched. *results (free with
 * chart_results_free) is set only on success.
 */
int charts_fetch(const struct chart_fetch_opts *opts, const struct chart_request *reqs, size_t count,
		 struct chart_result **results, struct lerr *err);

void chart_results_free(struct chart_result *results, size_t count);

/* Internal to charts/: the OCI side (fetch_oci.c) and the common finishing steps (fetch.c). */
int chart_fetch_oci(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		    struct lerr *err);
int chart_finish(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		 struct lerr *err);
/* Picks the newest of versions matching constraint (exact string first); *chosen points into versions. */
int chart_pick_version(const char *what, char *const *versions, size_t count, const char *constraint,
		       const char **chosen, struct lerr *err);

#endif
