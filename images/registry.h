#ifndef LADING_IMAGES_REGISTRY_H
#define LADING_IMAGES_REGISTRY_H

/*
 * images/: the OCI client. Owns references and naming, registry auth
 * (Basic, Bearer, identity tokens from config.json), manifests and indexes,
 * platforms, pull into a content-addressed store with Range resume, push,
 * and `lading image`. Knows nothing of bundles.
 * May include: lib/
 */

#include <stddef.h>
#include <stdint.h>

#include "images/fetch.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/http.h"
#include "lib/log.h"

/*
 * A client for one repository of one registry (OCI distribution §1.3): its
 * own HTTP session, credentials and current Authorization. Not shared between
 * threads: give each worker a registry_client_clone.
 */
struct registry_client;

struct registry_client_opts {
	const struct host_set *registries; /* TLS/plain-http per host; may be NULL */
	const char *auth_file;		   /* see auth_creds_load */
	uint64_t max_speed;		   /* bytes per second each way, 0 = no cap */
	const struct logger *lg;
};

/*
 * A client for domain ("docker.io", "host:5000") and repository. Loads the
 * credentials for domain (never logged). Free with registry_client_free.
 */
int registry_client_new(const char *domain, const char *repository, const struct registry_client_opts *opts,
			struct registry_client **out, struct lerr *err);
/* A new client for the same repository carrying the current token. */
struct registry_client *registry_client_clone(const struct registry_client *c);
void registry_client_free(struct registry_client *c);

/* GET /v2/: fails with LADING_ERR_NETWORK when the host is unreachable or does not speak the API. */
int registry_ping(struct registry_client *c, struct lerr *err);

/*
 * GET a manifest or index by tag or digest into body (cap MANIFEST_MAX_BYTES).
 * Verifies the body against a digest reference and against Docker-Content-Digest;
 * fills digest with the body's digest and *content_type (caller frees).
 */
int registry_manifest_get(struct registry_client *c, const char *reference, struct buf *body, char **content_type,
			  char digest[DIGEST_STR_MAX], struct lerr *err);

/*
 * HEAD a manifest: fills digest (from Docker-Content-Digest) and *size.
 * LADING_ERR_NOTFOUND when the registry does not have it.
 */
int registry_manifest_head(struct registry_client *c, const char *reference, char digest[DIGEST_STR_MAX],
			   uint64_t *size, struct lerr *err);

/* Called with every chunk of blob bytes received (for progress). */
typedef void (*registry_progress_fn)(uint64_t bytes, void *arg);

/*
 * Streams the blob digest (size bytes) into the store, resuming a partial file
 * with Range, verifying size and digest before the rename. Nothing is fetched
 * when the blob is already stored. A mismatch is LADING_ERR_SIGNATURE naming
 * the digest, with nothing left under the final name.
 */
int registry_blob_fetch(struct registry_client *c, const char *store, const char *digest, uint64_t size,
			registry_progress_fn progress, void *progress_arg, struct lerr *err);

/* "domain/repository", for messages. */
const char *registry_client_name(const struct registry_client *c);

#endif
