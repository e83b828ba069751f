#ifndef LADING_IMAGES_REGISTRY_TLS_H
#define LADING_IMAGES_REGISTRY_TLS_H

/*
 * The `registries:` list as a TLS chooser for any lib/http session, so chart
 * repositories, provider registries and file servers get the same per-host
 * ca_file / insecure_skip_verify settings as image registries.
 */
#include "images/fetch.h"
#include "lib/http.h"

struct registry_tls_ctx {
	const struct registry_set *registries; /* may be NULL: system store everywhere */
	struct http_tls tls;		       /* the answer handed back */
};

/* An http_tls_lookup_fn; arg is a struct registry_tls_ctx that outlives the session. */
const struct http_tls *registry_tls_lookup(const char *hostport, void *arg);

/* "http" when registries says plain_http for hostport, else "https". */
const char *registry_tls_scheme(const struct registry_set *registries, const char *hostport);

#endif
