#include "charts/fetch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charts/chart_archive.h"
#include "charts/repo_index.h"
#include "lib/hostcfg.h"
#include "images/store.h"
#include "lib/buf.h"
#include "lib/http.h"
#include "lib/semver.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

/* The available versions are listed in errors up to this many bytes. */
#define CHART_VERSION_LIST_MAX 400

static struct http_session *plain_session(const struct chart_fetch_opts *opts, struct host_tls_ctx *tls)
{
	struct http_session *s = http_session_new(opts->lg);

	tls->registries = opts->registries;
	http_session_set_tls(s, host_tls_lookup, tls);
	http_session_set_auth(s, host_auth_lookup, (void *)opts->registries);
	return s;
}

/* The index's digest as 64 hex digits (Helm 4 strips an "alg:" prefix), or NULL. */
static const char *index_digest_hex(const char *digest)
{
	if (digest == NULL)
		return NULL;
	if (strncmp(digest, "sha256:", 7) == 0)
		digest += 7;
	return digest;
}

static int fetch_http(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		      struct lerr *err)
{
	struct host_tls_ctx tls = {0};
	struct http_session *s = plain_session(opts, &tls);
	struct chart_version cv = {0};
	size_t len = strlen(req->repo);
	char *index_url, *index_path = NULL, *url = NULL, *what = NULL, *repo_what;
	const char *constraint = req->locked_version != NULL ? req->locked_version : req->version;
	const char *expect;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size;
	int r = -1;

	while (len > 0 && req->repo[len - 1] == '/')
		len--;
	index_url = xasprintf("%.*s/index.yaml", (int)len, req->repo);
	repo_what = xasprintf("chart repository '%.*s'", (int)len, req->repo);
	if (urlstore_fetch(s, index_url, opts->store_dir, NULL, CHART_INDEX_MAX_BYTES, repo_what, hex, &size, err) != 0)
		goto out;
	index_path = urlstore_path(opts->store_dir, hex);
	if (chart_index_select(index_path, index_url, req->name, constraint != NULL ? constraint : "", &cv, err) != 0)
		goto out;
	if (cv.url_count == 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: chart %s %s has no urls", index_url, cv.name, cv.version);
		goto out;
	}
	url = http_url_resolve(index_url, cv.urls[0]);
	what = xasprintf("chart %s %s", cv.name, cv.version);
	if (url == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: bad url '%s' in %s", what, cv.urls[0], index_url);
		goto out;
	}
	expect = index_digest_hex(cv.digest);
	if (expect != NULL && !hex_is_sha256(expect)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: digest '%s' in %s is not a sha256", what, cv.digest, index_url);
		goto out;
	}
	if (req->locked_digest != NULL) {
		const char *locked = req->locked_digest + (strncmp(req->locked_digest, "sha256:", 7) == 0 ? 7 : 0);

		if (expect != NULL && strcmp(expect, locked) != 0) {
			lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s lists digest %s but lading.lock has %s", what,
				 index_url, expect, locked);
			goto out;
		}
		expect = locked;
	}
	if (expect == NULL)
		log_msg(opts->lg, LOG_WARN, "%s: %s lists no digest; the archive is not verified", what, index_url);
	if (urlstore_fetch(s, url, opts->store_dir, expect, CHART_MAX_BYTES, what, hex, &res->size, err) != 0)
		goto out;
	snprintf(res->digest, sizeof(res->digest), "sha256:%s", hex);
	res->version = xstrdup(cv.version);
	r = 0;
out:
	chart_version_free(&cv);
	http_session_free(s);
	free(index_url);
	free(index_path);
	free(repo_what);
	free(url);
	free(what);
	return r;
}

/* Puts a JSON document into the store; fills its digest and size. */
static int store_json(const char *store, json_t *doc, char digest[DIGEST_STR_MAX], uint64_t *size, struct lerr *err)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char hex[SHA256_HEX_LEN + 1];
	int r;

	if (text == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot serialise JSON");
	sha256_hex(text, strlen(text), hex);
	snprintf(digest, DIGEST_STR_MAX, "sha256:%s", hex);
	*size = strlen(text);
	r = store_put(store, digest, text, *size, err);
	free(text);
	return r;
}

static json_t *descriptor(const char *media_type, const char *digest, uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size", (json_int_t)size);
}

/*
 * The OCI artifact `helm push` would make of the chart (SPECS §3.4): config =
 * Chart metadata in Go's field order, one content layer, title and version
 * annotations (no created time, so the same chart gives the same digest).
 */
static int synthesize_manifest(const char *store, const struct chart_meta *meta, struct chart_result *res,
			       struct lerr *err)
{
	json_t *config = json_object(), *manifest = NULL;
	int r = -1;

	json_object_set_new(config, "name", json_string(meta->name));
	json_object_set_new(config, "version", json_string(meta->version));
	if (meta->description != NULL)
		json_object_set_new(config, "description", json_string(meta->description));
	json_object_set_new(config, "apiVersion", json_string(meta->api_version ? meta->api_version : "v2"));
	if (meta->app_version != NULL)
		json_object_set_new(config, "appVersion", json_string(meta->app_version));
	if (store_json(store, config, res->config_digest, &res->config_size, err) != 0)
		goto out;
	manifest = json_pack(
	    "{s:i, s:s, s:o, s:[o], s:{s:s, s:s}}", "schemaVersion", 2, "mediaType", CHART_MANIFEST_MEDIA_TYPE,
	    "config", descriptor(CHART_CONFIG_MEDIA_TYPE, res->config_digest, res->config_size), "layers",
	    descriptor(CHART_LAYER_MEDIA_TYPE, res->digest, res->size), "annotations", "org.opencontainers.image.title",
	    meta->name, "org.opencontainers.image.version", meta->version);
	if (manifest == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot build the OCI manifest of chart %s", meta->name);
		goto out;
	}
	r = store_json(store, manifest, res->manifest_digest, &res->manifest_size, err);
out:
	json_decref(config);
	json_decref(manifest);
	return r;
}

int chart_finish(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		 struct lerr *err)
{
	struct chart_meta meta = {0};
	char *path = store_blob_path(opts->store_dir, res->digest);
	int r = -1;

	if (chart_archive_read(path, 0, &meta, err) != 0 ||
	    (req->want_images && chart_meta_images(path, req->values, &meta, err) != 0)) {
		lerr_prefix(err, "%s", res->source);
		goto out;
	}
	if (strcmp(meta.version, res->version) != 0 || (req->name != NULL && strcmp(meta.name, req->name) != 0)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: the archive holds chart %s %s, not %s %s", res->source, meta.name,
			 meta.version, req->name != NULL ? req->name : meta.name, res->version);
		goto out;
	}
	if (res->manifest_digest[0] == '\0' && synthesize_manifest(opts->store_dir, &meta, res, err) != 0)
		goto out;
	res->name = meta.name;
	res->app_version = meta.app_version;
	res->images = meta.images;
	res->image_sources = meta.image_sources;
	res->image_count = meta.image_count;
	meta.name = meta.app_version = NULL;
	meta.images = meta.image_sources = NULL;
	meta.image_count = 0;
	r = 0;
out:
	chart_meta_free(&meta);
	free(path);
	return r;
}

static void list_versions(struct buf *b, char *const *versions, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (b->len > CHART_VERSION_LIST_MAX) {
			buf_printf(b, ", ...");
			break;
		}
		buf_printf(b, "%s%s", i ? ", " : "", versions[i]);
	}
	if (count == 0)
		buf_puts(b, "none");
}

int chart_pick_version(const char *what, char *const *versions, size_t count, const char *constraint,
		       const char **chosen, struct lerr *err)
{
	struct semver_constraint *c = NULL;
	struct semver best = {0}, v;
	struct buf list = BUF_INIT(0);
	const char *found = NULL;
	size_t i;
	int r = -1;

	for (i = 0; i < count; i++)
		if (constraint != NULL && strcmp(versions[i], constraint) == 0) {
			*chosen = versions[i];
			return 0;
		}
	if (semver_constraint_parse(constraint != NULL && *constraint ? constraint : "*", &c, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (semver_parse(versions[i], &v, NULL) != 0 || !semver_constraint_check(c, &v))
			continue;
		if (found == NULL || semver_compare(&v, &best) > 0) {
			best = v;
			found = versions[i];
		}
	}
	if (found == NULL) {
		list_versions(&list, versions, count);
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: no version matches '%s' (available: %s)", what,
			 constraint != NULL && *constraint ? constraint : "*", list.data);
		goto out;
	}
	*chosen = found;
	r = 0;
out:
	semver_constraint_free(c);
	buf_free(&list);
	return r;
}

static int fetch_one(const struct chart_fetch_opts *opts, const struct chart_request *req, struct chart_result *res,
		     struct lerr *err)
{
	if ((req->repo == NULL) == (req->oci == NULL) || (req->repo != NULL && req->name == NULL))
		return lerr_set(err, LADING_ERR_USAGE, "chart: give either repo and name, or oci");
	res->source = req->oci != NULL ? xstrdup(req->oci) : xasprintf("%s %s", req->repo, req->name);
	if (opts->locked && req->locked_version == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "chart %s: not in lading.lock (run without --locked once)",
				res->source);
	if (req->oci != NULL) {
		if (chart_fetch_oci(opts, req, res, err) != 0)
			return -1;
	} else if (fetch_http(opts, req, res, err) != 0) {
		return -1;
	}
	return chart_finish(opts, req, res, err);
}

int charts_fetch(const struct chart_fetch_opts *opts, const struct chart_request *reqs, size_t count,
		 struct chart_result **results, struct lerr *err)
{
	struct chart_result *res = xcalloc(count ? count : 1, sizeof(*res));
	size_t i;

	if (store_init(opts->store_dir, err) != 0)
		goto fail;
	for (i = 0; i < count; i++) {
		log_msg(opts->lg, LOG_VERBOSE, "chart %s", reqs[i].oci ? reqs[i].oci : reqs[i].name);
		if (fetch_one(opts, &reqs[i], &res[i], err) != 0)
			goto fail;
	}
	*results = res;
	return 0;
fail:
	chart_results_free(res, count);
	return -1;
}

void chart_results_free(struct chart_result *results, size_t count)
{
	size_t i, j;

	for (i = 0; results != NULL && i < count; i++) {
		free(results[i].source);
		free(results[i].name);
		free(results[i].version);
		free(results[i].app_version);
		for (j = 0; j < results[i].image_count; j++) {
			free(results[i].images[j]);
			free(results[i].image_sources[j]);
		}
		free(results[i].images);
		free(results[i].image_sources);
	}
	free(results);
}
