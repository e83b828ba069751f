#ifndef LADING_HTTP_H
#define LADING_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "log.h"

/*
 * A small HTTP session on one reused libcurl easy handle (one per thread).
 * Redirects are followed here, not by curl, so that the Authorization header
 * never reaches another host (OCI distribution §1.2: presigned storage URLs
 * reject it). Connection errors and 429/5xx replies are retried with backoff,
 * honouring Retry-After, as long as no body byte was handed to the caller.
 */
struct http_session;

/* TLS settings for one host. */
struct http_tls {
	const char *ca_file;	  /* extra CA bundle (PEM) used instead of the system store, or NULL */
	int insecure_skip_verify; /* no peer or host name check: explicit only */
};

/* Chooses the TLS settings for "host[:port]"; NULL = verify against the system store. */
typedef const struct http_tls *(*http_tls_lookup_fn)(const char *hostport, void *arg);

/* Receives body bytes of a 2xx reply (status: 200, 206 ...); returns -1 with err filled to abort. */
typedef int (*http_sink_fn)(long status, const void *data, size_t len, void *arg, struct lerr *err);

/* Supplies upload bytes: returns the count written into buf (0 at the end) or -1 with err filled. */
typedef long (*http_source_fn)(void *buf, size_t len, void *arg, struct lerr *err);

struct http_request {
	const char *method;	    /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
	const char *url;	    /* absolute http:// or https:// URL */
	const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
	const char *authorization;  /* value of Authorization, sent to the first URL's host only; never logged */
	uint64_t range_start;	    /* > 0: ask for "Range: bytes=N-" */
	/* Reply body of a 2xx status goes to body (its cap is enforced) or to sink; else discarded. */
	struct buf *body;
	http_sink_fn sink;
	void *sink_arg;
	/* Request body: from memory, or from source with a known length (upload_len). */
	const void *upload;
	size_t upload_len_mem;
	http_source_fn source;
	void *source_arg;
	uint64_t upload_len;
	/* Rewinds source to its first byte so the request may be repeated; NULL = never repeated. */
	int (*rewind)(void *source_arg);
	int no_retry; /* a request that must not be repeated (non-idempotent upload) */
};

struct http_header {
	char *name;
	char *value;
};

struct http_response {
	long status;		     /* final status after redirects */
	char *url;		     /* final URL (after redirects) */
	struct http_header *headers; /* headers of the final reply */
	size_t header_count;
	struct buf error_body; /* first bytes of a non-2xx body (capped), for registry error JSON */
	uint64_t body_bytes;   /* bytes handed to body/sink */
};

/*
 * A new libcurl easy handle (the caller cleans it up). Once main has run
 * curl_global_init only a failed allocation makes curl_easy_init fail, so
 * that is fatal, as in xmalloc: callers never test for NULL.
 */
CURL *http_curl_new(void);

/*
 * Options set on a handle with their results kept: HTTP_SET records the first
 * option that fails and skips the ones after it, so a run of options is
 * checked once, at its end, with http_setup_check.
 *
 *	struct http_setup so = HTTP_SETUP_INIT(curl);
 *	HTTP_SET(&so, CURLOPT_URL, url);
 *	HTTP_SET(&so, CURLOPT_PROTOCOLS_STR, "https");
 *	if (http_setup_check(&so, url, err) != 0)
 */
struct http_setup {
	CURL *curl;
	CURLcode rc;	    /* CURLE_OK, or the first failure */
	const char *option; /* the name of the option that failed */
};

#define HTTP_SETUP_INIT(curl)                                                                                          \
	{                                                                                                              \
		(curl), CURLE_OK, NULL                                                                                 \
	}
#define HTTP_SET(so, option, value)                                                                                    \
	((so)->rc == CURLE_OK ? http_setup_note((so), #option, curl_easy_setopt((so)->curl, option, value)) : (so)->rc)

/* Keeps rc and the option's name when it is the first failure; returns rc. For HTTP_SET. */
CURLcode http_setup_note(struct http_setup *so, const char *option, CURLcode rc);

/*
 * 0 when every option was set; else -1 with err (LADING_ERR_SYSTEM) naming
 * subject, the option and libcurl's reason.
 */
int http_setup_check(const struct http_setup *so, const char *subject, struct lerr *err);

/*
 * The CA bundle for a host that names none (caller frees; NULL = libcurl's
 * default): SSL_CERT_FILE, libcurl's compiled-in bundle when it is there, else
 * the first distribution bundle found (lib/cafind.h).
 */
char *http_system_ca(void);

/* A new session (never NULL); lg (may be NULL) gets -vv request lines. Free with http_session_free. */
struct http_session *http_session_new(const struct logger *lg);
void http_session_free(struct http_session *s);

/*
 * Per-host credentials: the value of an Authorization header for hostport ("host[:port]"),
 * newly allocated (the session wipes and frees it), or NULL for none. Asked for every URL of
 * a redirect chain whose request carries no authorization of its own, so a token goes only
 * to the host it was given for.
 */
typedef char *(*http_auth_lookup_fn)(const char *hostport, void *arg);

/* Installs the per-host credentials chooser (kept by pointer). */
void http_session_set_auth(struct http_session *s, http_auth_lookup_fn lookup, void *arg);

/* Installs the per-host TLS chooser (kept by pointer). */
void http_session_set_tls(struct http_session *s, http_tls_lookup_fn lookup, void *arg);
/* Retry policy: attempts >= 1 in total; backoff doubles from base_ms (default 4 attempts, 250 ms). */
void http_session_set_retries(struct http_session *s, int attempts, long base_ms);
/* Caps the transfer rate, each way, in bytes per second (0 = no cap). */
void http_session_set_max_speed(struct http_session *s, uint64_t bytes_per_second);

/*
 * Performs req (following up to 10 redirects) and fills resp (free with
 * http_response_free, also after a failure). Returns 0 when a reply was
 * received, whatever its status; -1 with err on a transport, TLS, sink or
 * cap failure (LADING_ERR_NETWORK, _AUTH for TLS verification, _LIMIT).
 */
int http_do(struct http_session *s, const struct http_request *req, struct http_response *resp, struct lerr *err);

void http_response_free(struct http_response *resp);

/* The value of the last header called name (case-insensitive) of the final reply, or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);

/* "host[:port]" of an absolute URL, newly allocated; NULL when the URL cannot be parsed. */
char *http_url_hostport(const char *url);

/*
 * url as it may be logged (caller frees): without user:password@, and when redact is set,
 * with its query string and fragment replaced by "?[redacted]". Redirect targets are
 * logged redacted: pre-signed URLs (S3, GCS, registries' blob stores) carry their
 * credentials in the query string.
 */
char *http_url_for_log(const char *url, int redact);

/* Resolves location (absolute or relative) against base; newly allocated, NULL on error. */
char *http_url_resolve(const char *base, const char *location);

/* Percent-encodes s for a query string; newly allocated. */
char *http_escape(const char *s);

/* Parses Retry-After (delta seconds or HTTP date) into seconds from now; -1 when absent or bad. */
long http_retry_after_seconds(const char *value);

#endif
