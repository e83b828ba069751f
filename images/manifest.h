#ifndef LADING_IMAGES_MANIFEST_H
#define LADING_IMAGES_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"

#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
/* The Accept header of a manifest request: every type we handle (SPECS §1.3). */
#define MANIFEST_ACCEPT                                                                                                \
	"Accept: " MEDIA_OCI_INDEX ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_LIST ", " MEDIA_DOCKER_MANIFEST
/* Manifests and indexes larger than this are refused (registries must take 4 MB). */
#define MANIFEST_MAX_BYTES (4 * 1024 * 1024)

struct oci_platform {
	char *os;	    /* "linux" */
	char *architecture; /* "amd64" */
	char *variant;	    /* "v8" or NULL */
};

struct oci_descriptor {
	char *media_type;
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	int has_platform;
	struct oci_platform platform;
	char *ref_digest; /* annotation vnd.docker.reference.digest (an attestation's subject), or NULL */
	char *json;	  /* the descriptor object as it stood in its index, compact (index entries only) */
};

/* A parsed image manifest or image index (OCI or Docker schema2). */
struct oci_manifest {
	int is_index;
	char *media_type;
	struct oci_descriptor config;  /* manifests only */
	struct oci_descriptor *layers; /* manifests only */
	size_t layer_count;
	struct oci_descriptor *manifests; /* indexes only */
	size_t manifest_count;
};

/*
 * Parses a manifest or index body. content_type (may be NULL) is the reply's
 * Content-Type; when the body names a mediaType the two must agree. Fails with
 * LADING_ERR_FORMAT on anything else (schema1, bad JSON, non-sha256 digests).
 * Free with oci_manifest_free.
 */
int oci_manifest_parse(const char *data, size_t len, const char *content_type, struct oci_manifest *out,
		       struct lerr *err);
void oci_manifest_free(struct oci_manifest *m);

/* True for the index media types (OCI index, Docker manifest list). */
int oci_media_is_index(const char *media_type);

/* Parses "os/arch[/variant]" (free with oci_platform_free); LADING_ERR_USAGE when malformed. */
int oci_platform_parse(const char *text, struct oci_platform *out, struct lerr *err);
/* "os/arch[/variant]"; newly allocated. */
char *oci_platform_string(const struct oci_platform *p);
/* True when have satisfies want (arm64 without a variant equals arm64/v8; no wanted variant takes any). */
int oci_platform_match(const struct oci_platform *want, const struct oci_platform *have);
void oci_platform_free(struct oci_platform *p);

/*
 * For each of want[0..count) the position of the index entry to use, into
 * chosen[] (count entries). A platform the index lacks fails with
 * LADING_ERR_NOTFOUND and a message listing the platforms it has.
 */
int oci_index_select(const struct oci_manifest *index, const struct oci_platform *want, size_t count, size_t *chosen,
		     struct lerr *err);

/* True when chosen[0..count) covers every entry of the index. */
int oci_index_selection_is_all(const struct oci_manifest *index, const size_t *chosen, size_t count);

/*
 * Writes a new index holding only the chosen entries of the index body data,
 * each descriptor copied unchanged, with the annotation io.lading.source-index
 * = source_digest. Returns the JSON (caller frees) and its length in *out_len.
 */
int oci_index_filter(const char *data, size_t len, const size_t *chosen, size_t count, const char *source_digest,
		     char **out, size_t *out_len, struct lerr *err);

/*
 * Writes a new index from the index body data (its other fields kept) whose
 * manifests are the given descriptors' own JSON (entries of data or of an
 * index nested in it), with the annotation io.lading.source-index =
 * source_digest. Returns the JSON (caller frees) and its length in *out_len.
 */
int oci_index_rebuild(const char *data, size_t len, const struct oci_descriptor *const *keep, size_t count,
		      const char *source_digest, char **out, size_t *out_len, struct lerr *err);

/* True for a buildx attestation manifest entry (it names the manifest it describes). */
int oci_descriptor_is_attestation(const struct oci_descriptor *d);

/* os/architecture/variant of an image config blob into out (free with oci_platform_free). */
int oci_config_platform(const char *data, size_t len, struct oci_platform *out, struct lerr *err);

#endif
