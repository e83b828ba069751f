#ifndef LADING_LIB_HOSTCFG_H
#define LADING_LIB_HOSTCFG_H

/*
 * Per-host TLS and plain-http settings: the `registries:` list of lading.yaml
 * (and of `--registry-config` files), used by every HTTP client in lading
 * (image registries, chart repositories, provider registries, file servers):
 *   - host: 127.0.0.1:5000    # required, host[:port] as in image references
 *     plain_http: true        # http:// instead of https://
 *     ca_file: /etc/ssl/lab-ca.pem
 *     insecure_skip_verify: false
 *     username: reader            # HTTP Basic auth for chart repositories and file servers,
 *     password_file: repo.pass    # the password read from a file (first line) or
 *     password_env: REPO_PASS     # from an environment variable, never written inline:
 *                                 # lading.yaml travels inside the bundle
 * Relative ca_file and password_file paths are taken from the directory of the file.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/http.h"
#include "lib/yamltree.h"

struct host_config {
	char *host;		  /* "127.0.0.1:5000", "registry.example.org" */
	int plain_http;		  /* http:// instead of https:// */
	char *ca_file;		  /* extra CA bundle (PEM) or NULL */
	int insecure_skip_verify; /* TLS without verification: explicit only */
	char *username;		  /* Basic auth user, or NULL */
	char *password;		  /* its password (secret: wiped on free), read at parse time */
};

struct host_set {
	struct host_config *items;
	size_t count;
};

/* Parses seq (a YAML sequence) into out (free with host_set_free); errors name file:line:col. */
int host_set_parse(const struct ynode *seq, struct host_set *out, struct lerr *err);

/* Loads a YAML file whose top level is a map with one key `registries:`. */
int host_set_load(const char *path, struct host_set *out, struct lerr *err);

/* The entry for host ("host[:port]"), or NULL. */
const struct host_config *host_set_find(const struct host_set *set, const char *host);

/* Frees what host_set_parse/host_set_load filled; accepts NULL. */
void host_set_free(struct host_set *set);

/* The set as a TLS chooser for a lib/http session. */
struct host_tls_ctx {
	const struct host_set *registries; /* may be NULL: system store everywhere */
	struct http_tls tls;		   /* the answer handed back */
};

/* An http_tls_lookup_fn; arg is a struct host_tls_ctx that outlives the session. */
const struct http_tls *host_tls_lookup(const char *hostport, void *arg);

/*
 * An http_auth_lookup_fn (lib/http.h); arg is a const struct host_set: "Basic ..." for a
 * host with a username, else NULL.
 */
char *host_auth_lookup(const char *hostport, void *arg);

/* "Basic base64(username:password)", newly allocated (wipe it before freeing). */
char *host_basic_value(const char *username, const char *password);

/* "http" when registries says plain_http for hostport, else "https". */
const char *host_tls_scheme(const struct host_set *registries, const char *hostport);

#endif
