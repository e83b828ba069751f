/*
 * images/registry.c, the pull side of the registry client, against a small
 * registry this test runs itself: libmicrohttpd on 127.0.0.1 with a port the
 * kernel chooses, answering from canned manifests and blobs, with a token
 * realm and Basic auth on some repositories. It records what the client sent
 * (path, Authorization, Accept, Range) so tests can check the requests too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "images/manifest.h"
#include "images/registry.h"
#include "images/store.h"
#include "lib/fsutil.h"
#include "lib/hostcfg.h"
#include "lib/xmalloc.h"

#define MANIFEST "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"
#define OTHER_MANIFEST "{\"schemaVersion\":2}"
#define BLOB "0123456789abcdefghijklmnopqrstuvwxyz"
#define TOKEN "tok-123"
/* base64("user:pass") */
#define BASIC "Basic dXNlcjpwYXNz"
#define MAX_SEEN 16

struct seen {
	char method[8];
	char path[512];
	char authorization[128];
	char accept[512];
	char range[64];
	char scope[128];
};

/* The registry: its state is read by the handler thread and the test, so behind a lock. */
struct registry {
	struct MHD_Daemon *daemon;
	unsigned port;
	pthread_mutex_t lock;
	struct seen seen[MAX_SEEN];
	int count;
	int ping_status;  /* what GET /v2/ answers */
	int ignore_range; /* answer 200 with the whole blob even to a Range request */
	char manifest_digest[DIGEST_STR_MAX];
	char other_digest[DIGEST_STR_MAX];
	char blob_digest[DIGEST_STR_MAX];
	char bad_blob_digest[DIGEST_STR_MAX]; /* served with BLOB's bytes: a mismatch */
};

struct fixture {
	char dir[64];
	char *store;
	char *auth_file;
	char domain[64];
	struct host_config host;
	struct host_set hosts;
	struct registry reg;
};

static void record(struct registry *reg, struct MHD_Connection *conn, const char *method, const char *url)
{
	const char *value;
	struct seen *s;

	pthread_mutex_lock(&reg->lock);
	if (reg->count < MAX_SEEN) {
		s = &reg->seen[reg->count++];
		snprintf(s->method, sizeof(s->method), "%s", method);
		snprintf(s->path, sizeof(s->path), "%s", url);
		value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		snprintf(s->authorization, sizeof(s->authorization), "%s", value ? value : "");
		value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
		snprintf(s->accept, sizeof(s->accept), "%s", value ? value : "");
		value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
		snprintf(s->range, sizeof(s->range), "%s", value ? value : "");
		value = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "scope");
		snprintf(s->scope, sizeof(s->scope), "%s", value ? value : "");
	}
	pthread_mutex_unlock(&reg->lock);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body, size_t len,
			     const char *const *headers)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	size_t i;

	for (i = 0; headers != NULL && headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *body,
				  const char *const *headers)
{
	return reply(conn, status, body, strlen(body), headers);
}

/* Answers a repository that wants credentials: returns 1 when the request may go on. */
static int authorized(struct registry *reg, struct MHD_Connection *conn, const char *repo, enum MHD_Result *ret)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	char challenge[512];
	const char *headers[] = {"WWW-Authenticate", challenge, NULL};

	if (strcmp(repo, "private/app") == 0 || strcmp(repo, "refused/app") == 0) {
		if (strcmp(repo, "private/app") == 0 && auth != NULL && strcmp(auth, "Bearer " TOKEN) == 0)
			return 1;
		snprintf(challenge, sizeof(challenge),
			 "Bearer realm=\"http://127.0.0.1:%u/token\",service=\"unit\",scope=\"repository:%s:pull\"",
			 reg->port, repo);
	} else if (strcmp(repo, "noscope/app") == 0) {
		if (auth != NULL && strcmp(auth, "Bearer " TOKEN) == 0)
			return 1;
		snprintf(challenge, sizeof(challenge), "Bearer realm=\"http://127.0.0.1:%u/token\"", reg->port);
	} else if (strcmp(repo, "basic/app") == 0) {
		if (auth != NULL && strcmp(auth, BASIC) == 0)
			return 1;
		snprintf(challenge, sizeof(challenge), "Basic realm=\"unit\"");
	} else if (strcmp(repo, "negotiate/app") == 0) {
		snprintf(challenge, sizeof(challenge), "Negotiate");
	} else if (strcmp(repo, "bare/app") == 0) {
		*ret = reply_text(conn, 401, "", NULL);
		return 0;
	} else {
		return 1;
	}
	*ret = reply_text(
	    conn, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", headers);
	return 0;
}

static enum MHD_Result manifest(struct registry *reg, struct MHD_Connection *conn, const char *reference)
{
	static const char *const missing[] = {"Content-Type", "application/json", NULL};
	const char *ok[] = {"Content-Type", "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest",
			    reg->manifest_digest, NULL};
	const char *lying[] = {"Content-Type", "application/vnd.oci.image.manifest.v1+json", "Docker-Content-Digest",
			       reg->other_digest, NULL};
	static const char *const no_digest[] = {"Content-Type", "application/vnd.oci.image.manifest.v1+json", NULL};

	if (strcmp(reference, "1") == 0 || strcmp(reference, reg->manifest_digest) == 0)
		return reply_text(conn, 200, MANIFEST, ok);
	if (strcmp(reference, "lying") == 0)
		return reply_text(conn, 200, MANIFEST, lying);
	if (strcmp(reference, reg->other_digest) == 0) /* the body of another digest */
		return reply_text(conn, 200, MANIFEST, no_digest);
	if (strcmp(reference, "nodigest") == 0)
		return reply_text(conn, 200, MANIFEST, no_digest);
	if (strcmp(reference, "forbidden") == 0)
		return reply_text(conn, 403, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no pull for you\"}]}",
				  missing);
	if (strcmp(reference, "huge") == 0) {
		size_t len = MANIFEST_MAX_BYTES + 10;
		char *big = xmalloc(len);
		enum MHD_Result ret;

		memset(big, ' ', len);
		ret = reply(conn, 200, big, len, no_digest);
		free(big);
		return ret;
	}
	return reply_text(conn, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
			  missing);
}

static enum MHD_Result blob(struct registry *reg, struct MHD_Connection *conn, const char *digest)
{
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
	char content_range[64];
	const char *partial[] = {"Content-Range", content_range, NULL};
	unsigned long start = 0;
	size_t len = strlen(BLOB);
	const char *data = BLOB;
	char bad[sizeof(BLOB)];

	if (strcmp(digest, reg->bad_blob_digest) == 0) {
		memcpy(bad, BLOB, sizeof(BLOB));
		bad[3] = 'X';
		data = bad;
	} else if (strcmp(digest, reg->blob_digest) != 0) {
		return reply_text(conn, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}",
				  NULL);
	}
	if (range != NULL && !reg->ignore_range && sscanf(range, "bytes=%lu-", &start) == 1 && start < len) {
		snprintf(content_range, sizeof(content_range), "bytes %lu-%zu/%zu", start, len - 1, len);
		return reply(conn, 206, data + start, len - start, partial);
	}
	return reply(conn, 200, data, len, NULL);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct registry *reg = cls;
	const char *sep;
	char repo[256];
	enum MHD_Result ret = MHD_NO;

	(void)version, (void)upload_data, (void)upload_data_size, (void)con_cls;
	record(reg, conn, method, url);
	if (strcmp(url, "/v2/") == 0)
		return reply_text(conn, (unsigned)reg->ping_status, "{}", NULL);
	if (strcmp(url, "/token") == 0) {
		const char *service = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");

		if (service != NULL && strcmp(service, "unit") != 0)
			return reply_text(conn, 400, "bad service", NULL);
		return reply_text(conn, 200, "{\"token\":\"" TOKEN "\"}", NULL);
	}
	if (strncmp(url, "/v2/", 4) != 0)
		return reply_text(conn, 404, "", NULL);
	if ((sep = strstr(url, "/manifests/")) == NULL && (sep = strstr(url, "/blobs/")) == NULL)
		return reply_text(conn, 404, "", NULL);
	snprintf(repo, sizeof(repo), "%.*s", (int)(sep - url - 4), url + 4);
	if (!authorized(reg, conn, repo, &ret))
		return ret;
	if (strncmp(sep, "/manifests/", 11) == 0)
		return manifest(reg, conn, sep + 11);
	return blob(reg, conn, sep + 7);
}

static void digest_of(const char *text, size_t len, char out[DIGEST_STR_MAX])
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(text, len, hex);
	snprintf(out, DIGEST_STR_MAX, "sha256:%s", hex);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in loopback;
	const union MHD_DaemonInfo *info;
	struct lerr err;
	char bad[sizeof(BLOB)];

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-registry.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = xasprintf("%s/store", f->dir);
	assert_int_equal(store_init(f->store, &err), 0);
	/* No credentials from the environment of whoever runs the tests. */
	setenv("HOME", f->dir, 1);
	unsetenv("LADING_REGISTRY_AUTH_FILE");

	pthread_mutex_init(&f->reg.lock, NULL);
	f->reg.ping_status = 200;
	digest_of(MANIFEST, strlen(MANIFEST), f->reg.manifest_digest);
	digest_of(OTHER_MANIFEST, strlen(OTHER_MANIFEST), f->reg.other_digest);
	digest_of(BLOB, strlen(BLOB), f->reg.blob_digest);
	memcpy(bad, BLOB, sizeof(BLOB));
	bad[0] = 'Z';
	digest_of(bad, strlen(bad), f->reg.bad_blob_digest);
	memset(&loopback, 0, sizeof(loopback));
	loopback.sin_family = AF_INET;
	loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->reg.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, &f->reg,
					 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&loopback, MHD_OPTION_END);
	assert_non_null(f->reg.daemon);
	info = MHD_get_daemon_info(f->reg.daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	f->reg.port = info->port;
	snprintf(f->domain, sizeof(f->domain), "127.0.0.1:%u", f->reg.port);
	f->host.host = f->domain;
	f->host.plain_http = 1;
	f->hosts.items = &f->host;
	f->hosts.count = 1;
	{
		char *json = xasprintf("{\"auths\":{\"%s\":{\"auth\":\"dXNlcjpwYXNz\"}}}", f->domain);

		f->auth_file = xasprintf("%s/config.json", f->dir);
		assert_int_equal(fs_write_file(f->auth_file, json, strlen(json), 0600, &err), 0);
		free(json);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	MHD_stop_daemon(f->reg.daemon);
	pthread_mutex_destroy(&f->reg.lock);
	fs_remove_tree(f->dir, NULL);
	free(f->auth_file);
	free(f->store);
	free(f);
	return 0;
}

/* A client for repo; with_creds: the auth file with user:pass for the test registry. */
static struct registry_client *client(struct fixture *f, const char *repo, int with_creds)
{
	struct registry_client_opts opts = {&f->hosts, with_creds ? f->auth_file : NULL, 0, NULL};
	struct registry_client *c = NULL;
	struct lerr err;

	if (registry_client_new(f->domain, repo, &opts, &c, &err) != 0)
		fail_msg("%s", err.msg);
	return c;
}

static int seen_count(struct fixture *f)
{
	int n;

	pthread_mutex_lock(&f->reg.lock);
	n = f->reg.count;
	pthread_mutex_unlock(&f->reg.lock);
	return n;
}

static const struct seen *seen_at(struct fixture *f, int i)
{
	assert_true(i < seen_count(f));
	return &f->reg.seen[i];
}

static void assert_one_line(const struct lerr *err)
{
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
}

/* registry_manifest_get of reference fails with code and exactly want (NULL: any one-line message). */
static void manifest_get_fails(struct registry_client *c, const char *reference, int code, const char *want)
{
	struct buf body;
	char *content_type = NULL;
	char digest[DIGEST_STR_MAX];
	struct lerr err;

	assert_int_equal(registry_manifest_get(c, reference, &body, &content_type, digest, &err), -1);
	assert_int_equal(err.code, code);
	if (want != NULL)
		assert_string_equal(err.msg, want);
	assert_one_line(&err);
	assert_null(content_type);
	assert_null(body.data);
}

static void client_name_is_domain_slash_repository(void **state)
{
	struct fixture *f = *state;
	struct registry_client_opts opts = {NULL, NULL, 0, NULL};
	struct registry_client *c = NULL, *copy;
	struct lerr err;

	assert_int_equal(registry_client_new("docker.io", "library/nginx", &opts, &c, &err), 0);
	assert_string_equal(registry_client_name(c), "docker.io/library/nginx");
	copy = registry_client_clone(c);
	assert_string_equal(registry_client_name(copy), "docker.io/library/nginx");
	registry_client_free(copy);
	registry_client_free(c);
	registry_client_free(NULL);
	assert_int_equal(seen_count(f), 0); /* creating a client sends nothing */
}

static void missing_named_auth_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	char *missing = xasprintf("%s/nope.json", f->dir);
	struct registry_client_opts opts = {&f->hosts, missing, 0, NULL};
	struct registry_client *c = NULL;
	struct lerr err;

	assert_int_equal(registry_client_new(f->domain, "team/app", &opts, &c, &err), -1);
	assert_null(c);
	assert_non_null(strstr(err.msg, missing));
	assert_one_line(&err);
	free(missing);
}

static void ping_accepts_200_and_401_and_names_a_non_registry(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	struct lerr err;
	char *want;

	assert_int_equal(registry_ping(c, &err), 0);
	assert_string_equal(seen_at(f, 0)->path, "/v2/");
	f->reg.ping_status = 401;
	assert_int_equal(registry_ping(c, &err), 0);
	f->reg.ping_status = 404;
	assert_int_equal(registry_ping(c, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NETWORK);
	want = xasprintf("%s: not an OCI registry (GET /v2/ answered status 404)", f->domain);
	assert_string_equal(err.msg, want);
	free(want);
	registry_client_free(c);
}

static void ping_of_a_closed_port_is_a_network_error(void **state)
{
	struct fixture *f = *state;
	struct host_config closed = {"127.0.0.1:1", 1, NULL, 0, NULL, NULL};
	struct host_set set = {&closed, 1};
	struct registry_client_opts opts = {&set, NULL, 0, NULL};
	struct registry_client *c = NULL;
	struct lerr err;

	(void)f;
	assert_int_equal(registry_client_new("127.0.0.1:1", "team/app", &opts, &c, &err), 0);
	assert_int_equal(registry_ping(c, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NETWORK);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	assert_one_line(&err);
	registry_client_free(c);
}

static void manifest_get_asks_the_right_url_and_checks_the_digest(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	struct buf body;
	char *content_type = NULL;
	char digest[DIGEST_STR_MAX];
	struct lerr err;

	if (registry_manifest_get(c, "1", &body, &content_type, digest, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(body.data, MANIFEST);
	assert_string_equal(digest, f->reg.manifest_digest);
	assert_string_equal(content_type, "application/vnd.oci.image.manifest.v1+json");
	assert_string_equal(seen_at(f, 0)->method, "GET");
	assert_string_equal(seen_at(f, 0)->path, "/v2/team/app/manifests/1");
	/* Every manifest type we handle is accepted (SPECS §1.3). */
	assert_non_null(strstr(seen_at(f, 0)->accept, MEDIA_OCI_INDEX));
	assert_non_null(strstr(seen_at(f, 0)->accept, MEDIA_OCI_MANIFEST));
	assert_non_null(strstr(seen_at(f, 0)->accept, MEDIA_DOCKER_LIST));
	assert_non_null(strstr(seen_at(f, 0)->accept, MEDIA_DOCKER_MANIFEST));
	assert_string_equal(seen_at(f, 0)->authorization, "");
	free(content_type);
	buf_free(&body);
	registry_client_free(c);
}

static void manifest_body_must_match_the_digests_named(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	char *want;

	/* Docker-Content-Digest names another digest than the body has. */
	want = xasprintf("%s/team/app:lying: manifest digest mismatch (registry says %s, body is %s)", f->domain,
			 f->reg.other_digest, f->reg.manifest_digest);
	manifest_get_fails(c, "lying", LADING_ERR_SIGNATURE, want);
	free(want);
	/* Asked by digest, the body hashes to another. */
	want = xasprintf("%s/team/app@%s: manifest digest mismatch (got %s)", f->domain, f->reg.other_digest,
			 f->reg.manifest_digest);
	manifest_get_fails(c, f->reg.other_digest, LADING_ERR_SIGNATURE, want);
	free(want);
	registry_client_free(c);
}

static void manifest_errors_name_registry_reference_and_code(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	char *want;

	want = xasprintf("%s/team/app: manifest 9 not found (MANIFEST_UNKNOWN: manifest unknown)", f->domain);
	manifest_get_fails(c, "9", LADING_ERR_NOTFOUND, want);
	free(want);
	want = xasprintf("%s/team/app: manifest forbidden: registry answered status 403 (DENIED: no pull for you)",
			 f->domain);
	manifest_get_fails(c, "forbidden", LADING_ERR_AUTH, want);
	free(want);
	want = xasprintf("%s/team/app: manifest huge is larger than %d bytes", f->domain, MANIFEST_MAX_BYTES);
	manifest_get_fails(c, "huge", LADING_ERR_LIMIT, want);
	free(want);
	registry_client_free(c);
}

static void manifest_head_gives_digest_and_size(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	char digest[DIGEST_STR_MAX], *want;
	uint64_t size = 0;
	struct lerr err;

	if (registry_manifest_head(c, "1", digest, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(digest, f->reg.manifest_digest);
	assert_int_equal(size, strlen(MANIFEST));
	assert_string_equal(seen_at(f, 0)->method, "HEAD");
	assert_string_equal(seen_at(f, 0)->path, "/v2/team/app/manifests/1");
	assert_int_equal(registry_manifest_head(c, "nodigest", digest, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	want = xasprintf("%s/team/app: HEAD manifest nodigest gave no sha256 Docker-Content-Digest or Content-Length",
			 f->domain);
	assert_string_equal(err.msg, want);
	free(want);
	assert_int_equal(registry_manifest_head(c, "9", digest, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_one_line(&err);
	registry_client_free(c);
}

static void bearer_challenge_gets_a_token_for_the_repository_scope(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "private/app", 0), *copy;
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	struct lerr err;
	int before;

	if (registry_manifest_head(c, "1", digest, &size, &err) != 0)
		fail_msg("%s", err.msg);
	/* 401, the token, the request again with it. */
	assert_int_equal(seen_count(f), 3);
	assert_string_equal(seen_at(f, 0)->authorization, "");
	assert_string_equal(seen_at(f, 1)->path, "/token");
	assert_string_equal(seen_at(f, 1)->scope, "repository:private/app:pull");
	assert_string_equal(seen_at(f, 1)->authorization, ""); /* no credentials: anonymous token */
	assert_string_equal(seen_at(f, 2)->authorization, "Bearer " TOKEN);
	/* The token is kept, and a clone carries it: no new challenge. */
	copy = registry_client_clone(c);
	before = seen_count(f);
	assert_int_equal(registry_manifest_head(copy, "1", digest, &size, &err), 0);
	assert_int_equal(registry_manifest_head(c, "1", digest, &size, &err), 0);
	assert_int_equal(seen_count(f), before + 2);
	assert_string_equal(seen_at(f, before)->authorization, "Bearer " TOKEN);
	registry_client_free(copy);
	registry_client_free(c);
}

static void bearer_challenge_without_scope_asks_for_pull_of_the_repository(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "noscope/app", 1);
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	struct lerr err;

	if (registry_manifest_head(c, "1", digest, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(seen_at(f, 1)->path, "/token");
	assert_string_equal(seen_at(f, 1)->scope, "repository:noscope/app:pull");
	/* With credentials, the token request carries them. */
	assert_string_equal(seen_at(f, 1)->authorization, BASIC);
	registry_client_free(c);
}

static void basic_challenge_sends_the_credentials(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "basic/app", 1);
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	struct lerr err;

	if (registry_manifest_head(c, "1", digest, &size, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(seen_count(f), 2);
	assert_string_equal(seen_at(f, 1)->authorization, BASIC);
	registry_client_free(c);
}

static void basic_challenge_without_credentials_says_where_to_put_them(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "basic/app", 0);
	char *want = xasprintf("%s/basic/app: registry requires credentials (add them to ~/.docker/config.json or "
			       "$LADING_REGISTRY_AUTH_FILE)",
			       f->domain);

	manifest_get_fails(c, "1", LADING_ERR_AUTH, want);
	assert_int_equal(seen_count(f), 1);
	free(want);
	registry_client_free(c);
}

static void unusable_challenges_are_auth_errors_naming_the_registry(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c;
	char *want;

	c = client(f, "bare/app", 1);
	want = xasprintf("%s/bare/app: registry answered 401 without a WWW-Authenticate challenge", f->domain);
	manifest_get_fails(c, "1", LADING_ERR_AUTH, want);
	free(want);
	registry_client_free(c);

	c = client(f, "negotiate/app", 1);
	want = xasprintf("%s/negotiate/app: unsupported authentication scheme 'Negotiate'", f->domain);
	manifest_get_fails(c, "1", LADING_ERR_AUTH, want);
	free(want);
	registry_client_free(c);
}

static void a_second_401_is_credentials_refused(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "refused/app", 0);
	char *want = xasprintf("%s/refused/app: manifest 1: credentials refused (status 401) (UNAUTHORIZED: "
			       "authentication required)",
			       f->domain);

	manifest_get_fails(c, "1", LADING_ERR_AUTH, want);
	/* One challenge answered, not a loop: 401, token, 401. */
	assert_int_equal(seen_count(f), 3);
	free(want);
	registry_client_free(c);
}

struct progress_sum {
	uint64_t bytes;
	int calls;
};

static void add_progress(uint64_t bytes, void *arg)
{
	struct progress_sum *sum = arg;

	sum->bytes += bytes;
	sum->calls++;
}

/* The stored blob holds BLOB. */
static void assert_blob_stored(struct fixture *f)
{
	struct buf b = BUF_INIT(1024);
	struct lerr err;

	assert_true(store_has(f->store, f->reg.blob_digest));
	assert_int_equal(store_read(f->store, f->reg.blob_digest, &b, &err), 0);
	assert_string_equal(b.data, BLOB);
	buf_free(&b);
}

static void blob_is_streamed_into_the_store_and_not_fetched_twice(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	struct progress_sum sum = {0, 0};
	char *path = xasprintf("/v2/team/app/blobs/%s", f->reg.blob_digest);
	struct lerr err;

	if (registry_blob_fetch(c, f->store, f->reg.blob_digest, strlen(BLOB), add_progress, &sum, &err) != 0)
		fail_msg("%s", err.msg);
	assert_blob_stored(f);
	assert_int_equal(sum.bytes, strlen(BLOB));
	assert_int_equal(seen_count(f), 1);
	assert_string_equal(seen_at(f, 0)->path, path);
	assert_string_equal(seen_at(f, 0)->range, "");
	assert_int_equal(registry_blob_fetch(c, f->store, f->reg.blob_digest, strlen(BLOB), NULL, NULL, &err), 0);
	assert_int_equal(seen_count(f), 1);
	free(path);
	registry_client_free(c);
}

/* Leaves the first len bytes of BLOB as an interrupted download. */
static void leave_partial(struct fixture *f, size_t len)
{
	char *path = store_blob_path(f->store, f->reg.blob_digest);
	char *partial = xasprintf("%s.partial", path);
	struct lerr err;

	assert_int_equal(fs_write_file(partial, BLOB, len, 0644, &err), 0);
	free(partial);
	free(path);
}

static void interrupted_download_resumes_with_a_range(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	struct progress_sum sum = {0, 0};
	struct lerr err;

	leave_partial(f, 10);
	if (registry_blob_fetch(c, f->store, f->reg.blob_digest, strlen(BLOB), add_progress, &sum, &err) != 0)
		fail_msg("%s", err.msg);
	assert_blob_stored(f);
	assert_string_equal(seen_at(f, 0)->range, "bytes=10-");
	assert_int_equal(sum.bytes, strlen(BLOB) - 10);
	registry_client_free(c);
}

static void registry_ignoring_the_range_restarts_from_zero(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	struct lerr err;

	f->reg.ignore_range = 1;
	leave_partial(f, 10);
	if (registry_blob_fetch(c, f->store, f->reg.blob_digest, strlen(BLOB), NULL, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_blob_stored(f);
	assert_int_equal(seen_count(f), 1);
	registry_client_free(c);
}

static void blob_with_other_bytes_is_refused_and_not_stored(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	char *path = store_blob_path(f->store, f->reg.bad_blob_digest);
	char *partial = xasprintf("%s.partial", path);
	struct lerr err;

	assert_int_equal(registry_blob_fetch(c, f->store, f->reg.bad_blob_digest, strlen(BLOB), NULL, NULL, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, f->reg.bad_blob_digest));
	assert_int_equal(strncmp(err.msg, f->domain, strlen(f->domain)), 0);
	assert_one_line(&err);
	assert_false(store_has(f->store, f->reg.bad_blob_digest));
	assert_false(fs_exists(path));
	assert_false(fs_exists(partial)); /* bad bytes are not kept to resume from */
	free(partial);
	free(path);
	registry_client_free(c);
}

static void unknown_blob_is_not_found_naming_the_digest(void **state)
{
	struct fixture *f = *state;
	struct registry_client *c = client(f, "team/app", 0);
	char missing[DIGEST_STR_MAX], *want, *path, *partial;
	struct lerr err;

	snprintf(missing, sizeof(missing), "sha256:%064d", 3);
	path = store_blob_path(f->store, missing);
	partial = xasprintf("%s.partial", path);
	assert_int_equal(registry_blob_fetch(c, f->store, missing, 10, NULL, NULL, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	want = xasprintf("%s/team/app: blob %s not found (BLOB_UNKNOWN: blob unknown)", f->domain, missing);
	assert_string_equal(err.msg, want);
	assert_false(store_has(f->store, missing));
	assert_false(fs_exists(partial)); /* nothing received: no empty partial file left behind */
	free(partial);
	free(path);
	free(want);
	registry_client_free(c);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(client_name_is_domain_slash_repository),
	    T(missing_named_auth_file_is_an_error),
	    T(ping_accepts_200_and_401_and_names_a_non_registry),
	    T(ping_of_a_closed_port_is_a_network_error),
	    T(manifest_get_asks_the_right_url_and_checks_the_digest),
	    T(manifest_body_must_match_the_digests_named),
	    T(manifest_errors_name_registry_reference_and_code),
	    T(manifest_head_gives_digest_and_size),
	    T(bearer_challenge_gets_a_token_for_the_repository_scope),
	    T(bearer_challenge_without_scope_asks_for_pull_of_the_repository),
	    T(basic_challenge_sends_the_credentials),
	    T(basic_challenge_without_credentials_says_where_to_put_them),
	    T(unusable_challenges_are_auth_errors_naming_the_registry),
	    T(a_second_401_is_credentials_refused),
	    T(blob_is_streamed_into_the_store_and_not_fetched_twice),
	    T(interrupted_download_resumes_with_a_range),
	    T(registry_ignoring_the_range_restarts_from_zero),
	    T(blob_with_other_bytes_is_refused_and_not_stored),
	    T(unknown_blob_is_not_found_naming_the_digest),
	};
	int failed;

	setenv("no_proxy", "*", 1); /* only ever 127.0.0.1, whatever proxy the environment names */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = cmocka_run_group_tests_name("images_registry", tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
