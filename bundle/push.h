#ifndef LADING_BUNDLE_PUSH_H
#define LADING_BUNDLE_PUSH_H

/*
 * `lading bundle push`: verify a bundle, then put every image and OCI artifact
 * of its oci/ layout into one registry (names mapped by images/naming.h,
 * digests unchanged) and copy files/ and providers/ into directories.
 *
 * A format 2 bundle with a seek table and chunk values goes in one pass from
 * the file (bundle/format/view.h): the plan comes from lading.json,
 * oci/index.json and the manifests; each blob is a pool job that asks every
 * target repository (HEAD) and streams the blob, read and verified chunk by
 * chunk (bundle/push_source.h), straight into the upload: nothing is staged.
 * A chunk that fails its check aborts that upload before the registry can
 * commit the blob, and the push stops there (no manifest is put).
 *
 * Any other bundle (v1, or recompressed as one stream): two streaming passes
 * over the tarball. Pass 1 checks the signature hook and
 * every entry against lading.json and keeps only the manifests (small JSON)
 * in memory; nothing reaches the registry before it ends. Pass 2 reads the
 * tarball again, checks every entry again (and that lading.json is the same
 * bytes), asks the registry which blobs it lacks (HEAD), and stages only those,
 * one blob at a time into a private temporary directory, deleting each as soon
 * as it is uploaded; the staged bytes never exceed the largest blob. Both:
 * manifests go after their blobs, an index after its children, the tag last.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/reader.h"
#include "images/fetch.h"
#include "images/naming.h"
#include "lib/err.h"
#include "lib/log.h"

struct bundle_push_opts {
	const char *registry;		   /* "host[:port]" */
	struct naming_opts naming;	   /* --prefix, --keep-host */
	int dry_run;			   /* plan (verifying what the plan reads) and map, send nothing */
	int jobs;			   /* parallel uploads (0 = 4) */
	const struct host_set *registries; /* TLS per host; may be NULL */
	const char *auth_file;		   /* NULL: $LADING_REGISTRY_AUTH_FILE or ~/.docker/config.json */
	uint64_t chunk_size;		   /* 0 = REGISTRY_CHUNK_DEFAULT */
	uint64_t max_speed;		   /* bytes per second per upload, 0 = no cap */
	const char *files_dir;		   /* copy files/ here; NULL = leave them */
	const char *providers_dir;	   /* copy providers/ here; NULL = leave them */
	const char *apt_dir;		   /* copy apt/NAME/… to apt_dir/NAME/…; NULL = leave them */
	const char *tmp_dir;		   /* where to stage blobs (two passes); NULL = $TMPDIR or /var/tmp */
	const char *base;		   /* --base: a delta's base bundle; NULL: the registry must hold it */
	bundle_head_fn head;		   /* signature check on lading.json; may be NULL */
	void *head_ctx;
	const struct logger *lg;
};

/* One top-level image or artifact and where it goes. */
struct bundle_push_target {
	char *source; /* "docker.io/library/nginx:1.27" (ref.name in oci/index.json) */
	char *target; /* "registry.internal:5000/library/nginx:1.27" */
	char digest[DIGEST_STR_MAX];
	int present; /* the registry already had it under that name */
};

struct bundle_push_result {
	struct bundle_push_target *targets;
	size_t target_count;
	size_t images_pushed;
	size_t images_present;
	size_t blobs_sent;
	size_t blobs_present;
	size_t blobs_mounted;
	size_t manifests_sent;
	uint64_t bytes_sent;   /* blob bytes uploaded */
	uint64_t stage_peak;   /* most bytes staged at once */
	uint64_t largest_blob; /* the bound on stage_peak */
	size_t files_copied;   /* files/, providers/ and apt/ entries written */
	size_t files_skipped;  /* present but no directory given */
	double seconds;
};

/*
 * Pushes the bundle at path. Fails on the first error (one line naming the
 * entry, image, digest or registry); a re-run sends only what is missing.
 * result is filled (free with bundle_push_result_free) on success and, as far
 * as it got, on failure.
 */
int bundle_push(const char *path, const struct bundle_push_opts *opts, struct bundle_push_result *result,
		struct lerr *err);

void bundle_push_result_free(struct bundle_push_result *result);

#endif
