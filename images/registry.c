#include "images/registry.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "images/auth.h"
#include "images/manifest.h"
#include "images/registry_internal.h"
#include "lib/hostcfg.h"
#include "images/store.h"
#include "lib/xmalloc.h"

#define BLOB_ATTEMPTS 5

static const struct http_tls *tls_lookup(const char *hostport, void *arg)
{
	struct registry_client *c = arg;
	const struct host_config *rc = host_set_find(c->opts.registries, hostport);

	if (rc == NULL && strcmp(hostport, c->api_host) == 0)
		rc = host_set_find(c->opts.registries, c->domain);
	if (rc == NULL)
		return NULL;
	c->tls.ca_file = rc->ca_file;
	c->tls.insecure_skip_verify = rc->insecure_skip_verify;
	return &c->tls;
}

static struct registry_client *client_alloc(const char *domain, const char *repository,
					    const struct registry_client_opts *opts)
{
	struct registry_client *c = xcalloc(1, sizeof(*c));
	const struct host_config *rc;

	c->domain = xstrdup(domain);
	c->api_host = xstrdup(strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain);
	c->repository = xstrdup(repository);
	c->name = xasprintf("%s/%s", domain, repository);
	c->opts = *opts;
	rc = host_set_find(opts->registries, domain);
	c->base_url = xasprintf("%s://%s", rc != NULL && rc->plain_http ? "http" : "https", c->api_host);
	c->http = http_session_new(opts->lg);
	http_session_set_tls(c->http, tls_lookup, c);
	http_session_set_max_speed(c->http, opts->max_speed);
	return c;
}

int registry_client_new(const char *domain, const char *repository, const struct registry_client_opts *opts,
			struct registry_client **out, struct lerr *err)
{
	struct registry_client *c = client_alloc(domain, repository, opts);

	if (auth_creds_load(opts->auth_file, domain, &c->creds, &c->have_creds, err) != 0) {
		registry_client_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

struct registry_client *registry_client_clone(const struct registry_client *c)
{
	struct registry_client *copy = client_alloc(c->domain, c->repository, &c->opts);

	copy->have_creds = c->have_creds;
	copy->creds.username = c->creds.username ? xstrdup(c->creds.username) : NULL;
	copy->creds.password = c->creds.password ? xstrdup(c->creds.password) : NULL;
	copy->creds.registry_token = c->creds.registry_token ? xstrdup(c->creds.registry_token) : NULL;
	copy->creds.identity_token = c->creds.identity_token ? xstrdup(c->creds.identity_token) : NULL;
	copy->authorization = c->authorization ? xstrdup(c->authorization) : NULL;
	return copy;
}

void registry_client_free(struct registry_client *c)
{
	if (c == NULL)
		return;
	http_session_free(c->http);
	auth_creds_free(&c->creds);
	auth_secret_free(c->authorization);
	free(c->domain);
	free(c->api_host);
	free(c->repository);
	free(c->name);
	free(c->base_url);
	free(c);
}

const char *registry_client_name(const struct registry_client *c)
{
	return c->name;
}

/* Answers a 401 challenge: a token from the realm, or Basic credentials. */
static int authenticate(struct registry_client *c, const char *header, struct lerr *err)
{
	struct auth_challenge ch;
	char *scope = NULL;
	char *value = NULL;
	int r = -1;

	if (header == NULL)
		return lerr_about(err, LADING_ERR_AUTH, c->name,
				  "registry answered 401 without a WWW-Authenticate challenge");
	if (auth_challenge_parse(header, &ch, err) != 0)
		return lerr_prefix(err, "%s", c->name);
	if (strcasecmp(ch.scheme, "Basic") == 0) {
		if (!c->have_creds || c->creds.username == NULL) {
			lerr_about(err, LADING_ERR_AUTH, c->name,
				   "registry requires credentials (add them to ~/.docker/config.json or "
				   "$LADING_REGISTRY_AUTH_FILE)");
			goto out;
		}
		value = auth_basic_value(&c->creds);
	} else if (strcasecmp(ch.scheme, "Bearer") == 0) {
		if (c->have_creds && c->creds.registry_token != NULL) {
			value = xasprintf("Bearer %s", c->creds.registry_token);
		} else {
			scope = ch.scope ? xstrdup(ch.scope) : xasprintf("repository:%s:pull", c->repository);
			if (auth_fetch_token(c->http, &ch, scope, c->have_creds ? &c->creds : NULL, c->name, &value,
					     err) != 0)
				goto out;
		}
	} else {
		lerr_about(err, LADING_ERR_AUTH, c->name, "unsupported authentication scheme '%s'", ch.scheme);
		goto out;
	}
	auth_secret_free(c->authorization);
	c->authorization = value;
	r = 0;
out:
	free(scope);
	auth_challenge_free(&ch);
	return r;
}

/* Performs req against the registry, answering one 401 challenge. */
int registry_do(struct registry_client *c, struct http_request *req, struct http_response *resp, struct lerr *err)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		req->authorization = c->authorization;
		if (http_do(c->http, req, resp, err) != 0)
			return -1;
		if (resp->status != 401 || attempt > 0)
			return 0;
		if (authenticate(c, http_response_header(resp, "WWW-Authenticate"), err) != 0)
			return -1;
		http_response_free(resp);
		if (req->body != NULL)
			buf_reset(req->body);
		if (req->source != NULL && (req->rewind == NULL || req->rewind(req->source_arg) != 0))
			return lerr_about(err, LADING_ERR_AUTH, c->name, "%s refused after authentication",
					  req->method);
	}
}

/* Turns a failed reply into an error naming what was asked, with the registry's error code. */
int registry_status_error(const struct registry_client *c, const struct http_response *resp, const char *what,
			  struct lerr *err)
{
	json_error_t jerr;
	json_t *root =
	    resp->error_body.len > 0 ? json_loadb(resp->error_body.data, resp->error_body.len, 0, &jerr) : NULL;
	json_t *first = json_array_get(json_object_get(root, "errors"), 0);
	const char *code = json_string_value(json_object_get(first, "code"));
	const char *message = json_string_value(json_object_get(first, "message"));
	char detail[256] = "";
	int kind = LADING_ERR_NETWORK;

	if (code != NULL)
		snprintf(detail, sizeof(detail), " (%s%s%s)", code, message ? ": " : "", message ? message : "");
	if (resp->status == 404)
		kind = LADING_ERR_NOTFOUND;
	else if (resp->status == 401 || resp->status == 403)
		kind = LADING_ERR_AUTH;
	if (resp->status == 404)
		lerr_about(err, kind, c->name, "%s not found%s", what, detail);
	else if (resp->status == 401)
		lerr_about(err, kind, c->name, "%s: credentials refused (status 401)%s", what, detail);
	else
		lerr_about(err, kind, c->name, "%s: registry answered status %ld%s", what, resp->status, detail);
	json_decref(root);
	return -1;
}

int registry_ping(struct registry_client *c, struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s/v2/", c->base_url);
	int r = -1;

	req.method = "GET";
	req.url = url;
	req.authorization = c->authorization;
	if (http_do(c->http, &req, &resp, err) != 0)
		goto out;
	if (resp.status != 200 && resp.status != 401) {
		lerr_set(err, LADING_ERR_NETWORK, "%s: not an OCI registry (GET /v2/ answered status %ld)", c->domain,
			 resp.status);
		goto out;
	}
	r = 0;
out:
	http_response_free(&resp);
	free(url);
	return r;
}

/* Checks the reply's Docker-Content-Digest (when sha256) and the requested digest against the body. */
static int check_manifest_digest(const struct registry_client *c, const char *reference, const char *header,
				 const char *got, struct lerr *err)
{
	if (digest_is_sha256(reference) && strcmp(reference, got) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s@%s: manifest digest mismatch (got %s)", c->name,
				reference, got);
	if (header != NULL && strncmp(header, "sha256:", 7) == 0 && strcmp(header, got) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s:%s: manifest digest mismatch (registry says %s, body is %s)", c->name, reference,
				header, got);
	return 0;
}

int registry_manifest_get(struct registry_client *c, const char *reference, struct buf *body, char **content_type,
			  char digest[DIGEST_STR_MAX], struct lerr *err)
{
	static const char *const headers[] = {MANIFEST_ACCEPT, NULL};
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s/v2/%s/manifests/%s", c->base_url, c->repository, reference);
	char *what = xasprintf("manifest %s", reference);
	char hex[SHA256_HEX_LEN + 1];
	const char *type;
	int r = -1;

	buf_init(body, MANIFEST_MAX_BYTES);
	req.method = "GET";
	req.url = url;
	req.headers = headers;
	req.body = body;
	if (registry_do(c, &req, &resp, err) != 0) {
		if (err->code == LADING_ERR_LIMIT)
			lerr_about(err, LADING_ERR_LIMIT, c->name, "%s is larger than %d bytes", what,
				   MANIFEST_MAX_BYTES);
		goto out;
	}
	if (resp.status != 200) {
		registry_status_error(c, &resp, what, err);
		goto out;
	}
	sha256_hex(body->data ? body->data : "", body->len, hex);
	snprintf(digest, DIGEST_STR_MAX, "sha256:%s", hex);
	if (check_manifest_digest(c, reference, http_response_header(&resp, "Docker-Content-Digest"), digest, err) != 0)
		goto out;
	type = http_response_header(&resp, "Content-Type");
	*content_type = xstrdup(type ? type : "");
	r = 0;
out:
	if (r != 0)
		buf_free(body);
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

int registry_manifest_head(struct registry_client *c, const char *reference, char digest[DIGEST_STR_MAX],
			   uint64_t *size, struct lerr *err)
{
	static const char *const headers[] = {MANIFEST_ACCEPT, NULL};
	struct http_request req = {0};
	struct http_response resp;
	char *url = xasprintf("%s/v2/%s/manifests/%s", c->base_url, c->repository, reference);
	char *what = xasprintf("manifest %s", reference);
	const char *header, *length;
	int r = -1;

	req.method = "HEAD";
	req.url = url;
	req.headers = headers;
	if (registry_do(c, &req, &resp, err) != 0)
		goto out;
	if (resp.status != 200) {
		registry_status_error(c, &resp, what, err);
		goto out;
	}
	header = http_response_header(&resp, "Docker-Content-Digest");
	length = http_response_header(&resp, "Content-Length");
	if (header == NULL || !digest_is_sha256(header) || length == NULL) {
		lerr_about(err, LADING_ERR_FORMAT, c->name,
			   "HEAD %s gave no sha256 Docker-Content-Digest or Content-Length", what);
		goto out;
	}
	snprintf(digest, DIGEST_STR_MAX, "%s", header);
	*size = strtoull(length, NULL, 10);
	r = 0;
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

struct blob_sink {
	struct store_partial *partial;
	uint64_t asked_from;
	int started;
	registry_progress_fn progress;
	void *progress_arg;
};

static int blob_sink(long status, const void *data, size_t len, void *arg, struct lerr *err)
{
	struct blob_sink *s = arg;

	if (!s->started) {
		s->started = 1;
		/* A 200 to a Range request is the whole blob again. */
		if (status != 206 && s->partial->offset > 0 && store_partial_restart(s->partial, err) != 0)
			return -1;
	}
	if (store_partial_write(s->partial, data, len, err) != 0)
		return -1;
	if (s->progress != NULL)
		s->progress(len, s->progress_arg);
	return 0;
}

/* One GET of the rest of the blob into the partial file. Returns 1 when it should be tried again. */
static int blob_attempt(struct registry_client *c, struct store_partial *p, const char *url,
			registry_progress_fn progress, void *progress_arg, struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp;
	struct blob_sink sink = {p, p->offset, 0, progress, progress_arg};
	char *what = xasprintf("blob %s", p->digest);
	int r = -1;

	req.method = "GET";
	req.url = url;
	req.range_start = p->offset;
	req.sink = blob_sink;
	req.sink_arg = &sink;
	if (p->offset > 0)
		log_msg(c->opts.lg, LOG_VERBOSE, "%s: resuming %s at byte %llu", c->name, p->digest,
			(unsigned long long)p->offset);
	if (registry_do(c, &req, &resp, err) != 0) {
		/* A broken connection after some bytes: resume from what we have. */
		r = err->code == LADING_ERR_NETWORK && resp.body_bytes > 0 ? 1 : -1;
		if (r < 0)
			lerr_prefix(err, "%s", c->name);
		goto out;
	}
	if (resp.status == 416) {
		r = store_partial_restart(p, err) == 0 ? 1 : -1;
		goto out;
	}
	if (resp.status != 200 && resp.status != 206) {
		registry_status_error(c, &resp, what, err);
		goto out;
	}
	r = 0;
out:
	http_response_free(&resp);
	free(what);
	return r;
}

int registry_blob_fetch(struct registry_client *c, const char *store, const char *digest, uint64_t size,
			registry_progress_fn progress, void *progress_arg, struct lerr *err)
{
	struct store_partial p;
	char *url = xasprintf("%s/v2/%s/blobs/%s", c->base_url, c->repository, digest);
	int attempt, complete, resumed, r = -1;

	for (attempt = 1; attempt <= BLOB_ATTEMPTS; attempt++) {
		int got;

		if (store_partial_open(store, digest, size, &p, &complete, err) != 0)
			goto out;
		if (complete) {
			r = 0;
			goto out;
		}
		resumed = p.offset > 0;
		got = p.offset < size ? blob_attempt(c, &p, url, progress, progress_arg, err) : 0;
		if (got < 0) {
			/* Bad bytes are no base to resume from, and an empty file is no partial download. */
			if (err->code == LADING_ERR_SIGNATURE || p.offset == 0)
				store_partial_discard(&p);
			store_partial_close(&p);
			goto out;
		}
		if (got == 0 || p.offset >= size) {
			if (store_partial_finish(&p, err) == 0) {
				store_partial_close(&p);
				r = 0;
				goto out;
			}
			/* A resumed download may have started from bad bytes: once more from zero. */
			if (!resumed || err->code != LADING_ERR_SIGNATURE) {
				store_partial_close(&p);
				lerr_prefix(err, "%s", c->name);
				goto out;
			}
		}
		store_partial_close(&p);
		log_msg(c->opts.lg, LOG_VERBOSE, "%s: %s: incomplete (%s); trying again", c->name, digest,
			got == 1 ? err->msg : "short reply");
	}
	lerr_about(err, LADING_ERR_NETWORK, c->name, "blob %s: download did not complete after %d attempts", digest,
		   BLOB_ATTEMPTS);
out:
	free(url);
	return r;
}
