#ifndef LADING_BUNDLE_PUSH_PLAN_H
#define LADING_BUNDLE_PUSH_PLAN_H

/*
 * The plan of `bundle push` (see push.h): the manifests kept, and which blob
 * goes to which target repository. Built by pass 1, which verifies the whole
 * bundle once, or from a format 2 bundle's view, which reads only
 * lading.json, oci/index.json and the manifests (each verified as it is read).
 * Shared by bundle/push*.c only.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/push.h"
#include "images/manifest.h"
#include "lib/buf.h"

struct bundle_view;

struct plan_manifest {
	char digest[DIGEST_STR_MAX];
	char *body;
	size_t len;
	struct oci_manifest parsed;
};

struct plan_image {
	char *source;		     /* ref.name from oci/index.json */
	char digest[DIGEST_STR_MAX]; /* top-level manifest or index */
	struct naming_target target; /* repository and tag under opts->naming */
	char *display;		     /* "host/repo:tag" or "host/repo@digest" */
	size_t top;		     /* into plan.manifests */
	size_t *children;	     /* what the top level names, nested indexes walked, children first */
	size_t child_count;
	char upstream[DIGEST_STR_MAX]; /* upstream index when the top level is not it, else "" */
	size_t *extras;		       /* its carried manifests not already in children, children first, it last */
	size_t extra_count;
};

struct plan_blob {
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	size_t *images; /* images needing it, one per distinct target repository */
	size_t image_count;
};

struct push_plan {
	char json_sha256[SHA256_HEX_LEN + 1]; /* of lading.json, to recognise it in pass 2 */
	struct plan_manifest *manifests;
	size_t manifest_count;
	struct plan_image *images;
	size_t image_count;
	struct plan_blob *blobs; /* sorted by digest */
	size_t blob_count;
	uint64_t largest_blob;
	uint64_t blob_bytes;
	size_t file_entries;		/* files/ rows */
	size_t provider_entries;	/* providers/ rows */
	size_t apt_entries;		/* apt/ rows */
	const struct bundle_view *view; /* while planning from a view: where manifests are read from */
};

/* Pass 1 and the plan; fills plan (free with push_plan_free) or fails naming the bad entry or image. */
int push_plan_build(const char *path, const struct bundle_push_opts *opts, struct push_plan *plan, struct lerr *err);

/* The plan from view (opened with the signature check); fills plan (free with push_plan_free) or fails. */
int push_plan_build_view(const struct bundle_view *view, const struct bundle_push_opts *opts, struct push_plan *plan,
			 struct lerr *err);

/* The blob with digest, or NULL. */
struct plan_blob *push_plan_blob(const struct push_plan *plan, const char *digest);

void push_plan_free(struct push_plan *plan);

#endif
