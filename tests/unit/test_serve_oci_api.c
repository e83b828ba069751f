/*
 * serve/oci_api.c through the real server: an OCI layout written by this
 * test is loaded (serve_content_load), served on 127.0.0.1 with a port the
 * kernel chooses (serve_listen_open + serve_server_start), and asked with
 * libcurl as a registry client would (OCI distribution spec v1.1, §Pull and
 * §Content discovery). The server is stopped after each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "serve/content.h"
#include "serve/listen.h"
#include "serve/server.h"

#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define REF_KEY "org.opencontainers.image.ref.name"
#define LAYER "0123456789 nginx layer"

struct fixture {
	char dir[64];
	char *oci;
	char *digests[32];
	size_t count;
	struct buf index; /* the manifests array of index.json */
	/* What the layout holds. */
	const char *nginx, *layer, *config, *app_index, *app_child, *app_layer, *busybox;
	char *nginx_body, *app_index_body;
	/* The running server. */
	struct serve_content content;
	struct serve_server *server;
	struct logger lg;
	char base[96]; /* "http://127.0.0.1:PORT" */
	CURL *curl;
};

struct reply {
	long status;
	struct buf body;
	struct buf headers;
};

/* Writes data as a blob under oci/ (once); returns its "sha256:…" (owned by the fixture). */
static const char *put_blob(struct fixture *f, const char *data, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	struct lerr err;
	size_t i;

	sha256_hex(data, len, hex);
	for (i = 0; i < f->count; i++)
		if (strcmp(f->digests[i] + 7, hex) == 0)
			return f->digests[i];
	assert_true(f->count < sizeof(f->digests) / sizeof(f->digests[0]));
	path = xasprintf("%s/blobs/sha256/%s", f->oci, hex);
	assert_int_equal(fs_write_file(path, data, len, 0644, &err), 0);
	free(path);
	f->digests[f->count] = xasprintf("sha256:%s", hex);
	return f->digests[f->count++];
}

static const char *put_text(struct fixture *f, const char *text)
{
	return put_blob(f, text, strlen(text));
}

/* An image manifest over config and one layer; its body (caller frees) in *body. */
static const char *put_manifest(struct fixture *f, const char *config, const char *layer, char **body)
{
	const char *config_digest = put_text(f, config);
	const char *layer_digest = put_text(f, layer);

	*body = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
			  "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
			  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
			  "\"size\":%zu}]}",
			  MEDIA_MANIFEST, config_digest, strlen(config), layer_digest, strlen(layer));
	return put_text(f, *body);
}

static void index_add(struct fixture *f, const char *media_type, const char *digest, size_t size, const char *ref)
{
	buf_printf(&f->index, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"%s\":\"%s\"}}",
		   f->index.len > 0 ? "," : "", media_type, digest, size, REF_KEY, ref);
}

/*
 * library/nginx:1.27 and :latest (one manifest), team/app:1 (an index with one
 * child), library/busybox by digest only (no tag).
 */
static void make_layout(struct fixture *f)
{
	char *child_body, *busybox_body, *index_json, *ref;
	struct lerr err;

	f->nginx = put_manifest(f, "{\"os\":\"linux\"}", LAYER, &f->nginx_body);
	f->config = put_text(f, "{\"os\":\"linux\"}");
	f->layer = put_text(f, LAYER);
	index_add(f, MEDIA_MANIFEST, f->nginx, strlen(f->nginx_body), "docker.io/library/nginx:1.27");
	index_add(f, MEDIA_MANIFEST, f->nginx, strlen(f->nginx_body), "docker.io/library/nginx:latest");

	f->app_child = put_manifest(f, "{\"os\":\"linux\",\"app\":1}", "app layer", &child_body);
	f->app_layer = put_text(f, "app layer");
	f->app_index_body = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{\"mediaType\":\"%s\","
				      "\"digest\":\"%s\",\"size\":%zu}]}",
				      MEDIA_INDEX, MEDIA_MANIFEST, f->app_child, strlen(child_body));
	f->app_index = put_text(f, f->app_index_body);
	index_add(f, MEDIA_INDEX, f->app_index, strlen(f->app_index_body), "ghcr.io/team/app:1");

	f->busybox = put_manifest(f, "{\"os\":\"linux\",\"busybox\":1}", "busybox layer", &busybox_body);
	ref = xasprintf("docker.io/library/busybox@%s", f->busybox);
	index_add(f, MEDIA_MANIFEST, f->busybox, strlen(busybox_body), ref);

	index_json = xasprintf("{\"schemaVersion\":2,\"manifests\":[%s]}", f->index.data);
	{
		char *path = xasprintf("%s/index.json", f->oci);

		assert_int_equal(fs_write_file(path, index_json, strlen(index_json), 0644, &err), 0);
		free(path);
	}
	free(index_json);
	free(ref);
	free(busybox_body);
	free(child_body);
}

static void start_server(struct fixture *f, const char *root)
{
	struct naming_opts naming = {NULL, 0};
	struct serve_server_opts opts = {0};
	char bound[64];
	struct lerr err;
	int fd = -1;

	if (serve_content_load(root, &naming, 1, NULL, NULL, &f->content, &err) != 0)
		fail_msg("%s", err.msg);
	if (serve_listen_open("127.0.0.1:0", &fd, bound, sizeof(bound), &err) != 0)
		fail_msg("%s", err.msg);
	f->lg.out = tmpfile(); /* the access log */
	assert_non_null(f->lg.out);
	f->lg.level = LOG_WARN;
	opts.content = &f->content;
	opts.listen_fd = fd;
	opts.threads = 2;
	opts.max_connections = 64;
	opts.header_timeout = 30;
	opts.lg = &f->lg;
	if (serve_server_start(&opts, &f->server, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(f->base, sizeof(f->base), "http://%s", bound);
}

static struct fixture *fixture_new(void)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct lerr err;
	char *blobs;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-ociapi.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->oci = xasprintf("%s/oci", f->dir);
	blobs = xasprintf("%s/blobs/sha256", f->oci);
	assert_int_equal(fs_mkdir_p(blobs, &err), 0);
	free(blobs);
	buf_init(&f->index, 0);
	f->curl = curl_easy_init();
	assert_non_null(f->curl);
	return f;
}

static int setup(void **state)
{
	struct fixture *f = fixture_new();

	make_layout(f);
	start_server(f, f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	serve_server_stop(f->server, 1);
	serve_content_free(&f->content);
	if (f->lg.out != NULL)
		fclose(f->lg.out);
	curl_easy_cleanup(f->curl);
	fs_remove_tree(f->dir, NULL);
	for (i = 0; i < f->count; i++)
		free(f->digests[i]);
	buf_free(&f->index);
	free(f->nginx_body);
	free(f->app_index_body);
	free(f->oci);
	free(f);
	return 0;
}

static size_t collect(char *data, size_t size, size_t count, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, data, size * count, NULL) != 0)
		return 0;
	return size * count;
}

/* Performs method on path (appended to the server's base URL as is) with an optional Range. */
static void ask(struct fixture *f, const char *method, const char *path, const char *range, struct reply *r)
{
	char *url = xasprintf("%s%s", f->base, path);
	struct curl_slist *headers = NULL;
	char *range_header = range ? xasprintf("Range: %s", range) : NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 1 << 20);
	buf_init(&r->headers, 1 << 16);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(f->curl, CURLOPT_PATH_AS_IS, 1L); /* "..", "%2e" reach the server as written */
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &r->headers);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(f->curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	if (range_header != NULL) {
		headers = curl_slist_append(headers, range_header);
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, headers);
	}
	rc = curl_easy_perform(f->curl);
	if (rc != CURLE_OK)
		fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	free(range_header);
	free(url);
}

static void reply_free(struct reply *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
}

/* The value of header name in r (newly allocated, without CRLF), or NULL. */
static char *header(const struct reply *r, const char *name)
{
	const char *line = r->headers.data, *end;
	size_t len = strlen(name);

	while (line != NULL && *line != '\0') {
		end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
			const char *value = line + len + 1;

			while (*value == ' ')
				value++;
			return xstrndup(value, (size_t)(end - value));
		}
		line = end + 2;
	}
	return NULL;
}

static void assert_header(const struct reply *r, const char *name, const char *want)
{
	char *value = header(r, name);

	if (value == NULL)
		fail_msg("no %s header in:\n%s", name, r->headers.data ? r->headers.data : "");
	assert_string_equal(value, want);
	free(value);
}

/* The reply is an OCI error body with one error of this code (and detail, when not NULL). */
static void assert_oci_error(const struct reply *r, long status, const char *code, const char *detail)
{
	json_error_t jerr;
	json_t *root, *first;

	assert_int_equal(r->status, status);
	assert_header(r, "Content-Type", "application/json");
	root = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	first = json_array_get(json_object_get(root, "errors"), 0);
	if (first == NULL)
		fail_msg("not an OCI error body: %s", r->body.data ? r->body.data : "");
	assert_string_equal(json_string_value(json_object_get(first, "code")), code);
	assert_non_null(json_string_value(json_object_get(first, "message")));
	if (detail != NULL)
		assert_string_equal(json_string_value(json_object_get(first, "detail")), detail);
	json_decref(root);
}

/* GET path; expects an OCI error. */
static void expect_error(struct fixture *f, const char *path, long status, const char *code, const char *detail)
{
	struct reply r;

	ask(f, "GET", path, NULL, &r);
	assert_oci_error(&r, status, code, detail);
	reply_free(&r);
}

/* GET path; expects 200 with this JSON body (compared as JSON) and Link header (NULL = none). */
static void expect_json(struct fixture *f, const char *path, const char *want, const char *link)
{
	struct reply r;
	json_error_t jerr;
	json_t *got, *expected;
	char *value;

	ask(f, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Content-Type", "application/json");
	got = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &jerr);
	expected = json_loads(want, 0, &jerr);
	assert_non_null(expected);
	if (!json_equal(got, expected))
		fail_msg("GET %s: got %s, want %s", path, r.body.data ? r.body.data : "", want);
	value = header(&r, "Link");
	if (link == NULL && value != NULL)
		fail_msg("GET %s: unexpected Link: %s", path, value);
	if (link != NULL)
		assert_string_equal(value, link);
	free(value);
	json_decref(got);
	json_decref(expected);
	reply_free(&r);
}

static void version_check_answers_with_the_api_version(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	ask(f, "GET", "/v2/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{}");
	assert_header(&r, "Docker-Distribution-API-Version", "registry/2.0");
	reply_free(&r);
	ask(f, "GET", "/v2", NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void manifest_by_tag_is_served_with_its_type_and_digest(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char *etag = xasprintf("\"%s\"", f->nginx);

	ask(f, "GET", "/v2/library/nginx/manifests/1.27", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, f->nginx_body);
	assert_header(&r, "Content-Type", MEDIA_MANIFEST);
	assert_header(&r, "Docker-Content-Digest", f->nginx);
	assert_header(&r, "ETag", etag);
	assert_header(&r, "Docker-Distribution-API-Version", "registry/2.0");
	reply_free(&r);
	free(etag);
}

static void manifest_by_digest_and_head_agree(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("/v2/library/nginx/manifests/%s", f->nginx);
	char *length = xasprintf("%zu", strlen(f->nginx_body));
	struct reply r;

	ask(f, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, f->nginx_body);
	reply_free(&r);
	ask(f, "HEAD", path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	assert_header(&r, "Content-Length", length);
	assert_header(&r, "Docker-Content-Digest", f->nginx);
	assert_header(&r, "Content-Type", MEDIA_MANIFEST);
	reply_free(&r);
	free(length);
	free(path);
}

static void index_and_its_children_are_served_under_the_repository(void **state)
{
	struct fixture *f = *state;
	char *child = xasprintf("/v2/team/app/manifests/%s", f->app_child);
	char *elsewhere = xasprintf("/v2/library/nginx/manifests/%s", f->app_child);
	struct reply r;

	ask(f, "GET", "/v2/team/app/manifests/1", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, f->app_index_body);
	assert_header(&r, "Content-Type", MEDIA_INDEX);
	assert_header(&r, "Docker-Content-Digest", f->app_index);
	reply_free(&r);
	ask(f, "GET", child, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_header(&r, "Content-Type", MEDIA_MANIFEST);
	reply_free(&r);
	/* The child exists on disk, but no image of library/nginx references it. */
	expect_error(f, elsewhere, 404, "MANIFEST_UNKNOWN", f->app_child);
	free(elsewhere);
	free(child);
}

static void unknown_or_invalid_manifest_references_are_named_errors(void **state)
{
	struct fixture *f = *state;
	char *layer_as_manifest = xasprintf("/v2/library/nginx/manifests/%s", f->layer);
	char long_tag[200], *path;

	expect_error(f, "/v2/library/nginx/manifests/9.9", 404, "MANIFEST_UNKNOWN", "9.9");
	expect_error(f, "/v2/no/such/manifests/1", 404, "NAME_UNKNOWN", "no/such");
	expect_error(f, "/v2/Library/Nginx/manifests/1.27", 400, "NAME_INVALID", NULL);
	expect_error(f, "/v2//manifests/1.27", 400, "NAME_INVALID", NULL);
	expect_error(f, "/v2/library/nginx/manifests/-bad", 400, "TAG_INVALID", NULL);
	expect_error(f, "/v2/library/nginx/manifests/sha256:abc", 400, "DIGEST_INVALID", NULL);
	expect_error(f, "/v2/library/nginx/manifests/md5:0123", 400, "DIGEST_INVALID", NULL);
	/* A layer is a blob of the repository but not a manifest. */
	expect_error(f, layer_as_manifest, 404, "MANIFEST_UNKNOWN", f->layer);
	memset(long_tag, 'a', 129);
	long_tag[129] = '\0';
	path = xasprintf("/v2/library/nginx/manifests/%s", long_tag);
	expect_error(f, path, 400, "TAG_INVALID", NULL);
	free(path);
	free(layer_as_manifest);
}

static void blob_is_served_whole_and_by_range(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("/v2/library/nginx/blobs/%s", f->layer);
	char *range = xasprintf("bytes 2-5/%zu", strlen(LAYER));
	char *unsatisfiable = xasprintf("bytes */%zu", strlen(LAYER));
	struct reply r;

	ask(f, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, LAYER);
	assert_header(&r, "Content-Type", "application/octet-stream");
	assert_header(&r, "Docker-Content-Digest", f->layer);
	assert_header(&r, "Accept-Ranges", "bytes");
	reply_free(&r);
	ask(f, "GET", path, "bytes=2-5", &r);
	assert_int_equal(r.status, 206);
	assert_string_equal(r.body.data, "2345");
	assert_header(&r, "Content-Range", range);
	reply_free(&r);
	ask(f, "GET", path, "bytes=1000-", &r);
	assert_int_equal(r.status, 416);
	assert_header(&r, "Content-Range", unsatisfiable);
	reply_free(&r);
	free(unsatisfiable);
	free(range);
	free(path);
}

static void blob_is_reachable_only_through_a_repository_that_references_it(void **state)
{
	struct fixture *f = *state;
	char *other = xasprintf("/v2/team/app/blobs/%s", f->layer);
	char *own = xasprintf("/v2/team/app/blobs/%s", f->app_layer);
	char *manifest_as_blob = xasprintf("/v2/team/app/blobs/%s", f->app_index);
	char missing[DIGEST_STR_MAX], *missing_path;
	struct reply r;

	expect_error(f, other, 404, "BLOB_UNKNOWN", f->layer);
	ask(f, "GET", own, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "app layer");
	reply_free(&r);
	/* Manifests are blobs too (distribution spec: a manifest may be fetched from /blobs/). */
	ask(f, "GET", manifest_as_blob, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, f->app_index_body);
	reply_free(&r);
	snprintf(missing, sizeof(missing), "sha256:%064d", 7);
	missing_path = xasprintf("/v2/team/app/blobs/%s", missing);
	expect_error(f, missing_path, 404, "BLOB_UNKNOWN", missing);
	expect_error(f, "/v2/team/app/blobs/sha256:ABC", 400, "DIGEST_INVALID", NULL);
	expect_error(f, "/v2/no/such/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000",
		     404, "NAME_UNKNOWN", NULL);
	free(missing_path);
	free(manifest_as_blob);
	free(own);
	free(other);
}

static void path_tricks_reach_no_file(void **state)
{
	struct fixture *f = *state;
	static const char *const paths[] = {
	    "/v2/library/nginx/blobs/../../../../../../etc/passwd",
	    "/v2/library/nginx/blobs/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	    "/v2/library/nginx/blobs/sha256:..%2f..%2findex.json",
	    "/v2/library/nginx/manifests/..%2f..%2findex.json",
	    "/v2/../oci/index.json",
	    "/v2/library/nginx/blobs/sha256%3a0123%00",
	};
	struct reply r;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ask(f, "GET", paths[i], NULL, &r);
		if (r.status != 400 && r.status != 404)
			fail_msg("GET %s answered %ld", paths[i], r.status);
		assert_null(strstr(r.body.data ? r.body.data : "", "root:"));
		assert_null(strstr(r.body.data ? r.body.data : "", "schemaVersion"));
		reply_free(&r);
	}
}

static void catalog_lists_repositories_a_page_at_a_time(void **state)
{
	struct fixture *f = *state;

	expect_json(f, "/v2/_catalog", "{\"repositories\":[\"library/busybox\",\"library/nginx\",\"team/app\"]}", NULL);
	expect_json(f, "/v2/_catalog?n=2", "{\"repositories\":[\"library/busybox\",\"library/nginx\"]}",
		    "</v2/_catalog?last=library/nginx&n=2>; rel=\"next\"");
	expect_json(f, "/v2/_catalog?n=2&last=library/nginx", "{\"repositories\":[\"team/app\"]}", NULL);
	/* last need not be a repository: the page starts after it in sort order. */
	expect_json(f, "/v2/_catalog?last=library/c", "{\"repositories\":[\"library/nginx\",\"team/app\"]}", NULL);
	expect_json(f, "/v2/_catalog?last=zzz", "{\"repositories\":[]}", NULL);
	expect_json(f, "/v2/_catalog?n=0", "{\"repositories\":[]}", NULL);
	expect_json(f, "/v2/_catalog?n=3", "{\"repositories\":[\"library/busybox\",\"library/nginx\",\"team/app\"]}",
		    NULL);
}

static void bad_page_sizes_are_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "/v2/_catalog?n=-1", 400, "PAGINATION_NUMBER_INVALID", NULL);
	expect_error(f, "/v2/_catalog?n=two", 400, "PAGINATION_NUMBER_INVALID", NULL);
	expect_error(f, "/v2/_catalog?n=", 400, "PAGINATION_NUMBER_INVALID", NULL);
	expect_error(f, "/v2/_catalog?n=100001", 400, "PAGINATION_NUMBER_INVALID", NULL);
	expect_error(f, "/v2/library/nginx/tags/list?n=1x", 400, "PAGINATION_NUMBER_INVALID", NULL);
}

static void tags_list_is_sorted_and_paginated(void **state)
{
	struct fixture *f = *state;

	expect_json(f, "/v2/library/nginx/tags/list", "{\"name\":\"library/nginx\",\"tags\":[\"1.27\",\"latest\"]}",
		    NULL);
	expect_json(f, "/v2/library/nginx/tags/list?n=1", "{\"name\":\"library/nginx\",\"tags\":[\"1.27\"]}",
		    "</v2/library/nginx/tags/list?last=1.27&n=1>; rel=\"next\"");
	expect_json(f, "/v2/library/nginx/tags/list?n=1&last=1.27",
		    "{\"name\":\"library/nginx\",\"tags\":[\"latest\"]}", NULL);
	expect_json(f, "/v2/team/app/tags/list", "{\"name\":\"team/app\",\"tags\":[\"1\"]}", NULL);
	/* An image pulled by digest only has a repository and no tags. */
	expect_json(f, "/v2/library/busybox/tags/list", "{\"name\":\"library/busybox\",\"tags\":[]}", NULL);
	expect_error(f, "/v2/no/such/tags/list", 404, "NAME_UNKNOWN", "no/such");
	expect_error(f, "/v2/Bad%20Name/tags/list", 400, "NAME_INVALID", NULL);
}

static void writes_and_unknown_endpoints_are_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const methods[] = {"PUT", "POST", "DELETE", "PATCH"};
	char *path = xasprintf("/v2/library/nginx/blobs/%s", f->layer);
	struct reply r;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		ask(f, methods[i], path, NULL, &r);
		assert_oci_error(&r, 405, "UNSUPPORTED", NULL);
		reply_free(&r);
	}
	expect_error(f, "/v2/library/nginx/blobs/uploads/", 404, "NAME_UNKNOWN", NULL);
	expect_error(f, "/v2/library/nginx/referrers/sha256:0", 404, "NAME_UNKNOWN", NULL);
	expect_error(f, "/v2/library/nginx", 404, "NAME_UNKNOWN", NULL);
	/* The layout is still intact and served. */
	ask(f, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	free(path);
}

/* A served directory without oci/: the API answers, and knows no repository. */
static int setup_files_only(void **state)
{
	struct fixture *f = fixture_new();
	char *files = xasprintf("%s/files", f->dir);
	char *file = xasprintf("%s/notes.txt", files);
	struct lerr err;

	fs_remove_tree(f->oci, NULL);
	assert_int_equal(fs_mkdir_p(files, &err), 0);
	assert_int_equal(fs_write_file(file, "hello\n", 6, 0644, &err), 0);
	free(file);
	free(files);
	start_server(f, f->dir);
	assert_null(f->content.catalog);
	*state = f;
	return 0;
}

static void without_images_the_registry_is_empty(void **state)
{
	struct fixture *f = *state;

	expect_json(f, "/v2/_catalog", "{\"repositories\":[]}", NULL);
	expect_error(f, "/v2/library/nginx/manifests/1", 404, "NAME_UNKNOWN", "library/nginx");
	expect_error(f, "/v2/library/nginx/tags/list", 404, "NAME_UNKNOWN", "library/nginx");
	expect_error(f,
		     "/v2/library/nginx/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000",
		     404, "NAME_UNKNOWN", "library/nginx");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(version_check_answers_with_the_api_version),
	    T(manifest_by_tag_is_served_with_its_type_and_digest),
	    T(manifest_by_digest_and_head_agree),
	    T(index_and_its_children_are_served_under_the_repository),
	    T(unknown_or_invalid_manifest_references_are_named_errors),
	    T(blob_is_served_whole_and_by_range),
	    T(blob_is_reachable_only_through_a_repository_that_references_it),
	    T(path_tricks_reach_no_file),
	    T(catalog_lists_repositories_a_page_at_a_time),
	    T(bad_page_sizes_are_refused),
	    T(tags_list_is_sorted_and_paginated),
	    T(writes_and_unknown_endpoints_are_refused),
	    cmocka_unit_test_setup_teardown(without_images_the_registry_is_empty, setup_files_only, teardown),
	};
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	failed = cmocka_run_group_tests_name("serve_oci_api", tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
