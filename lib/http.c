#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cafind.h"
#include "lib/grow.h"
#include "lib/version.h"
#include "xmalloc.h"

#define HTTP_MAX_REDIRECTS 10
#define HTTP_MAX_HEADERS 200
#define HTTP_ERROR_BODY_MAX (16 * 1024)
#define HTTP_RETRY_AFTER_MAX 60

struct http_session {
	CURL *curl;
	const struct logger *lg;
	http_tls_lookup_fn tls_lookup;
	void *tls_arg;
	http_auth_lookup_fn auth_lookup;
	void *auth_arg;
	int attempts;
	long base_ms;
	uint64_t max_speed;
	char *system_ca; /* CA bundle when a host names none (lib/cafind.h), or NULL for libcurl's default */
	char errbuf[CURL_ERROR_SIZE];
};

/* State of one transfer (one URL of a redirect chain). */
struct xfer {
	const struct http_request *req;
	struct http_response *resp;
	size_t upload_done;
	int failed; /* a sink, source or option failure: the request is not repeated */
	struct lerr fail_err;
};

CURL *http_curl_new(void)
{
	CURL *curl = curl_easy_init();

	if (curl == NULL) {
		fprintf(stderr, "lading: out of memory creating a libcurl handle\n");
		abort();
	}
	return curl;
}

CURLcode http_setup_note(struct http_setup *so, const char *option, CURLcode rc)
{
	if (rc != CURLE_OK && so->rc == CURLE_OK) {
		so->rc = rc;
		so->option = option;
	}
	return rc;
}

int http_setup_check(const struct http_setup *so, const char *subject, struct lerr *err)
{
	if (so->rc == CURLE_OK)
		return 0;
	return lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot set libcurl option %s: %s", subject, so->option,
			curl_easy_strerror(so->rc));
}

/*
 * SSL_CERT_FILE, else libcurl's compiled-in bundle when it is there, else the
 * first distribution bundle found: the static release build has no
 * compiled-in one and must run on RHEL, SUSE and Alpine as on Debian.
 */
char *http_system_ca(void)
{
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);

	return cafind_bundle(NULL, getenv("SSL_CERT_FILE"), info != NULL ? info->cainfo : NULL);
}

struct http_session *http_session_new(const struct logger *lg)
{
	struct http_session *s = xcalloc(1, sizeof(*s));

	s->curl = http_curl_new();
	s->lg = lg;
	s->system_ca = http_system_ca();
	s->attempts = 4;
	s->base_ms = 250;
	return s;
}

void http_session_free(struct http_session *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	free(s->system_ca);
	free(s);
}

void http_session_set_auth(struct http_session *s, http_auth_lookup_fn lookup, void *arg)
{
	s->auth_lookup = lookup;
	s->auth_arg = arg;
}

void http_session_set_tls(struct http_session *s, http_tls_lookup_fn lookup, void *arg)
{
	s->tls_lookup = lookup;
	s->tls_arg = arg;
}

void http_session_set_retries(struct http_session *s, int attempts, long base_ms)
{
	s->attempts = attempts < 1 ? 1 : attempts;
	s->base_ms = base_ms < 0 ? 0 : base_ms;
}

void http_session_set_max_speed(struct http_session *s, uint64_t bytes_per_second)
{
	s->max_speed = bytes_per_second;
}

static void headers_clear(struct http_response *resp)
{
	size_t i;

	for (i = 0; i < resp->header_count; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	resp->headers = NULL;
	resp->header_count = 0;
}

void http_response_free(struct http_response *resp)
{
	if (resp == NULL)
		return;
	headers_clear(resp);
	free(resp->url);
	resp->url = NULL;
	buf_free(&resp->error_body);
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = resp->header_count; i > 0; i--)
		if (strcasecmp(resp->headers[i - 1].name, name) == 0)
			return resp->headers[i - 1].value;
	return NULL;
}

static char *trim(char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

static size_t on_header(char *data, size_t size, size_t count, void *arg)
{
	struct xfer *x = arg;
	struct http_response *resp = x->resp;
	size_t len = size * count;
	char *colon;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new reply (interim 1xx or the real one): forget earlier headers. */
		const char *sp = memchr(data, ' ', len);

		headers_clear(resp);
		resp->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	colon = memchr(data, ':', len);
	if (colon == NULL || resp->header_count >= HTTP_MAX_HEADERS)
		return len;
	resp->headers = grow_array(resp->headers, resp->header_count, sizeof(*resp->headers));
	resp->headers[resp->header_count].name = trim(data, (size_t)(colon - data));
	resp->headers[resp->header_count].value = trim(colon + 1, len - (size_t)(colon - data) - 1);
	resp->header_count++;
	return len;
}

static size_t on_body(char *data, size_t size, size_t count, void *arg)
{
	struct xfer *x = arg;
	struct http_response *resp = x->resp;
	size_t len = size * count;

	if (resp->status < 200 || resp->status > 299) {
		size_t room = HTTP_ERROR_BODY_MAX - resp->error_body.len;

		if (room > 0)
			buf_add(&resp->error_body, data, len < room ? len : room, NULL);
		return len;
	}
	if (x->req->sink != NULL) {
		if (x->req->sink(resp->status, data, len, x->req->sink_arg, &x->fail_err) != 0) {
			x->failed = 1;
			return 0;
		}
	} else if (x->req->body != NULL) {
		if (buf_add(x->req->body, data, len, &x->fail_err) != 0) {
			x->failed = 1;
			return 0;
		}
	}
	resp->body_bytes += len;
	return len;
}

static size_t on_read(char *data, size_t size, size_t count, void *arg)
{
	struct xfer *x = arg;
	const struct http_request *req = x->req;
	size_t len = size * count;

	if (req->source != NULL) {
		long got = req->source(data, len, req->source_arg, &x->fail_err);

		if (got < 0) {
			x->failed = 1;
			return CURL_READFUNC_ABORT;
		}
		return (size_t)got;
	}
	if (len > req->upload_len_mem - x->upload_done)
		len = req->upload_len_mem - x->upload_done;
	memcpy(data, (const char *)req->upload + x->upload_done, len);
	x->upload_done += len;
	return len;
}

static int has_upload(const struct http_request *req)
{
	return req->source != NULL || req->upload != NULL || strcmp(req->method, "PUT") == 0 ||
	       strcmp(req->method, "PATCH") == 0;
}

#define HTTP_UPLOAD_BUFFER (1024L * 1024L)

static void set_method(struct http_setup *so, const struct http_request *req, const char *method)
{
	if (strcmp(method, "GET") == 0) {
		HTTP_SET(so, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		HTTP_SET(so, CURLOPT_NOBODY, 1L);
	} else if (has_upload(req)) {
		curl_off_t len = req->source != NULL ? (curl_off_t)req->upload_len : (curl_off_t)req->upload_len_mem;

		HTTP_SET(so, CURLOPT_UPLOAD, 1L);
		HTTP_SET(so, CURLOPT_INFILESIZE_LARGE, len);
		/* 64 KiB by default: a blob of hundreds of MiB then costs a read callback and a send per 64 KiB. */
		HTTP_SET(so, CURLOPT_UPLOAD_BUFFERSIZE, HTTP_UPLOAD_BUFFER);
		HTTP_SET(so, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "POST") == 0) {
		HTTP_SET(so, CURLOPT_POST, 1L);
		HTTP_SET(so, CURLOPT_POSTFIELDS, "");
		HTTP_SET(so, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		HTTP_SET(so, CURLOPT_CUSTOMREQUEST, method);
	}
}

static void set_tls(struct http_session *s, struct http_setup *so, const char *url)
{
	const struct http_tls *tls = NULL;
	char *hostport = http_url_hostport(url);

	if (s->tls_lookup != NULL && hostport != NULL)
		tls = s->tls_lookup(hostport, s->tls_arg);
	free(hostport);
	if (tls != NULL && tls->ca_file != NULL)
		HTTP_SET(so, CURLOPT_CAINFO, tls->ca_file);
	else if (s->system_ca != NULL)
		HTTP_SET(so, CURLOPT_CAINFO, s->system_ca);
	if (tls != NULL && tls->insecure_skip_verify) {
		HTTP_SET(so, CURLOPT_SSL_VERIFYPEER, 0L);
		HTTP_SET(so, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* The session's credentials for url's host, when the request brings none (caller wipes and frees). */
static char *session_auth(const struct http_session *s, const struct http_request *req, const char *url)
{
	char *hostport, *value;

	if (req->authorization != NULL || s->auth_lookup == NULL || (hostport = http_url_hostport(url)) == NULL)
		return NULL;
	value = s->auth_lookup(hostport, s->auth_arg);
	free(hostport);
	return value;
}

static struct curl_slist *build_headers(const struct http_session *s, const struct http_request *req, const char *url,
					int send_auth)
{
	struct curl_slist *list = NULL;
	const char *const *h;
	char *line, *host_auth = session_auth(s, req, url);

	for (h = req->headers; h != NULL && *h != NULL; h++)
		list = curl_slist_append(list, *h);
	if ((send_auth && req->authorization != NULL) || host_auth != NULL) {
		line = xasprintf("Authorization: %s", host_auth != NULL ? host_auth : req->authorization);
		list = curl_slist_append(list, line);
		OPENSSL_cleanse(line, strlen(line));
		free(line);
	}
	if (host_auth != NULL) {
		OPENSSL_cleanse(host_auth, strlen(host_auth));
		free(host_auth);
	}
	if (req->range_start > 0) {
		line = xasprintf("Range: bytes=%llu-", (unsigned long long)req->range_start);
		list = curl_slist_append(list, line);
		free(line);
	}
	/* No "Expect: 100-continue" round trip on uploads. */
	list = curl_slist_append(list, "Expect:");
	return list;
}

/* The list may hold the Authorization header: wipe every line before freeing. */
static void slist_free_wiped(struct curl_slist *list)
{
	struct curl_slist *item;

	for (item = list; item != NULL; item = item->next)
		OPENSSL_cleanse(item->data, strlen(item->data));
	curl_slist_free_all(list);
}

static int translate_curl_error(struct http_session *s, CURLcode rc, const char *method, const char *url,
				struct lerr *err)
{
	char *hostport = http_url_hostport(url);
	const char *detail = s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);
	int r;

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		r = lerr_set(err, LADING_ERR_AUTH,
			     "%s: tls verification failed: %s (give the registry's CA with ca_file)",
			     hostport ? hostport : url, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		r = lerr_set(err, LADING_ERR_NETWORK,
			     "%s: tls handshake failed: %s (if it speaks plain HTTP, say so with plain_http)",
			     hostport ? hostport : url, detail);
		break;
	default:
		r = lerr_set(err, LADING_ERR_NETWORK, "%s: %s %s failed: %s", hostport ? hostport : url, method, url,
			     detail);
	}
	free(hostport);
	return r;
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int retryable_status(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* Every option of one transfer, on a handle just reset; -1 with err when libcurl refuses one. */
static int set_options(struct http_session *s, struct xfer *x, const char *method, const char *url,
		       struct curl_slist *headers, struct lerr *err)
{
	struct http_setup so = HTTP_SETUP_INIT(s->curl);

	HTTP_SET(&so, CURLOPT_ERRORBUFFER, s->errbuf);
	HTTP_SET(&so, CURLOPT_URL, url);
	/* curl follows no redirect itself: perform_chain does, through here, so this list covers them too. */
	HTTP_SET(&so, CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SET(&so, CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(&so, CURLOPT_USERAGENT, "lading/" LADING_VERSION);
	HTTP_SET(&so, CURLOPT_CONNECTTIMEOUT, 10L);
	HTTP_SET(&so, CURLOPT_LOW_SPEED_LIMIT, 1L);
	HTTP_SET(&so, CURLOPT_LOW_SPEED_TIME, 30L);
	HTTP_SET(&so, CURLOPT_HTTPHEADER, headers);
	HTTP_SET(&so, CURLOPT_HEADERFUNCTION, on_header);
	HTTP_SET(&so, CURLOPT_HEADERDATA, x);
	HTTP_SET(&so, CURLOPT_WRITEFUNCTION, on_body);
	HTTP_SET(&so, CURLOPT_WRITEDATA, x);
	HTTP_SET(&so, CURLOPT_READFUNCTION, on_read);
	HTTP_SET(&so, CURLOPT_READDATA, x);
	if (s->max_speed > 0) {
		HTTP_SET(&so, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)s->max_speed);
		HTTP_SET(&so, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)s->max_speed);
	}
	set_method(&so, x->req, method);
	set_tls(s, &so, url);
	return http_setup_check(&so, url, err);
}

/*
 * One request to one URL, no redirects followed. Returns the curl code; sink
 * errors and refused options are in x (x->failed), and are not retried.
 */
static CURLcode perform_once(struct http_session *s, struct xfer *x, const char *method, const char *url, int send_auth)
{
	struct curl_slist *headers = build_headers(s, x->req, url, send_auth);
	char *shown = http_url_for_log(url, strcmp(url, x->req->url) != 0);
	CURL *curl = s->curl;
	CURLcode rc;

	curl_easy_reset(curl);
	s->errbuf[0] = '\0';
	if (set_options(s, x, method, url, headers, &x->fail_err) != 0) {
		x->failed = 1;
		rc = CURLE_FAILED_INIT;
		goto out;
	}
	log_msg(s->lg, LOG_DEBUG, "http: %s %s%s", method, shown,
		send_auth && x->req->authorization != NULL ? " (authorized)" : "");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		log_msg(s->lg, LOG_DEBUG, "http: %s %s -> %ld", method, shown, x->resp->status);
out:
	free(shown);
	/* Forgets every option, the header list among them: it is wiped and freed next. */
	curl_easy_reset(curl);
	slist_free_wiped(headers);
	return rc;
}

static int is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Follows the redirect chain of one attempt. Returns the curl code of the last transfer. */
static CURLcode perform_chain(struct http_session *s, const struct http_request *req, struct http_response *resp,
			      struct xfer *x)
{
	char *url = xstrdup(req->url);
	char *first_host = http_url_hostport(req->url);
	const char *method = req->method;
	CURLcode rc = CURLE_OK;
	int hops;

	for (hops = 0; hops <= HTTP_MAX_REDIRECTS; hops++) {
		char *host = http_url_hostport(url);
		int same_host = host != NULL && first_host != NULL && strcmp(host, first_host) == 0;
		const char *location;
		char *next;

		free(host);
		x->upload_done = 0;
		rc = perform_once(s, x, method, url, same_host);
		if (rc != CURLE_OK || !is_redirect(resp->status) || req->source != NULL)
			break;
		location = http_response_header(resp, "Location");
		if (location == NULL || (next = http_url_resolve(url, location)) == NULL)
			break;
		if (resp->status == 303)
			method = "GET";
		free(url);
		url = next;
	}
	free(resp->url);
	resp->url = url;
	free(first_host);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int http_do(struct http_session *s, const struct http_request *req, struct http_response *resp, struct lerr *err)
{
	long delay = s->base_ms;
	int attempt;
	CURLcode rc = CURLE_OK;
	char *shown = NULL;
	struct xfer x;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->error_body, 0);
	for (attempt = 1;; attempt++) {
		int may_retry;
		long wait = delay;

		memset(&x, 0, sizeof(x));
		x.req = req;
		x.resp = resp;
		headers_clear(resp);
		buf_reset(&resp->error_body);
		resp->status = 0;
		rc = perform_chain(s, req, resp, &x);
		if (x.failed) {
			*err = x.fail_err;
			free(shown);
			return -1;
		}
		may_retry = attempt < s->attempts && resp->body_bytes == 0 && !req->no_retry &&
			    (req->source == NULL || req->rewind != NULL);
		free(shown);
		shown = http_url_for_log(resp->url, strcmp(resp->url, req->url) != 0);
		if (rc != CURLE_OK) {
			if (!may_retry || !retryable_curl(rc)) {
				translate_curl_error(s, rc, req->method, shown, err);
				free(shown);
				return -1;
			}
			log_msg(s->lg, LOG_VERBOSE, "http: %s %s: %s; retrying", req->method, shown,
				s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc));
		} else if (retryable_status(resp->status) && may_retry) {
			long after = http_retry_after_seconds(http_response_header(resp, "Retry-After"));

			if (after > HTTP_RETRY_AFTER_MAX)
				after = HTTP_RETRY_AFTER_MAX;
			if (after * 1000 > wait)
				wait = after * 1000;
			log_msg(s->lg, LOG_VERBOSE, "http: %s %s: status %ld; retrying in %ld ms", req->method, shown,
				resp->status, wait);
		} else {
			free(shown);
			return 0;
		}
		sleep_ms(wait);
		delay *= 2;
		if (req->source != NULL && req->rewind(req->source_arg) != 0) {
			free(shown);
			return lerr_set(err, LADING_ERR_SYSTEM, "%s %s: cannot rewind the upload", req->method,
					req->url);
		}
	}
}

char *http_url_for_log(const char *url, int redact)
{
	const char *scheme_end = strstr(url, "://");
	const char *authority = scheme_end != NULL ? scheme_end + 3 : url;
	size_t authority_len = strcspn(authority, "/?#");
	const char *at = memchr(authority, '@', authority_len);
	const char *rest = at != NULL ? at + 1 : authority;
	size_t keep = redact ? strcspn(rest, "?#") : strlen(rest);

	return xasprintf("%.*s%.*s%s", (int)(authority - url), url, (int)keep, rest,
			 redact && rest[keep] != '\0' ? "?[redacted]" : "");
}

char *http_url_hostport(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	char *port = NULL;
	char *out = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		out = xasprintf("%s:%s", host, port);
	else
		out = xstrdup(host);
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

char *http_url_resolve(const char *base, const char *location)
{
	CURLU *u = curl_url();
	char *full = NULL;
	char *out = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		out = xstrdup(full);
	curl_free(full);
	curl_url_cleanup(u);
	return out;
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(0);
	size_t len;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			buf_add(&b, s, 1, NULL);
		} else {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_add(&b, enc, 3, NULL);
		}
	}
	return buf_detach(&b, &len);
}

long http_retry_after_seconds(const char *value)
{
	char *end;
	long secs;
	time_t when;

	if (value == NULL || *value == '\0')
		return -1;
	if (isdigit((unsigned char)*value)) {
		secs = strtol(value, &end, 10);
		return *end == '\0' && secs >= 0 ? secs : -1;
	}
	when = curl_getdate(value, NULL);
	if (when < 0)
		return -1;
	secs = (long)(when - time(NULL));
	return secs < 0 ? 0 : secs;
}
