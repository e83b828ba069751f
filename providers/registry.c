#define _GNU_SOURCE /* mkdtemp */
#include "providers/registry.h"
#include "providers/tfcreds.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hostcfg.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/semver.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "providers/tfversion.h"

#define DISCOVERY_MAX (64u << 10)
#define VERSIONS_MAX (8u << 20)
#define DOWNLOAD_JSON_MAX (1u << 20)
#define SHASUMS_MAX (1u << 20)
#define SIGNATURE_MAX (64u << 10)

struct pctx {
	const struct provider_fetch_opts *opts;
	struct http_session *http;
	struct host_tls_ctx tls;
	char *gpgv;
	char *base;	  /* providers.v1 URL, ending in '/' */
	char *what;	  /* "provider HOST/NS/TYPE" */
	char *tmp_dir;	  /* scratch files for gpgv */
	json_t *versions; /* the "versions" array */
};

int provider_source_parse(const char *source, char **host, char **namespace, char **type, struct lerr *err)
{
	char *parts[3] = {NULL, NULL, NULL}, *copy = xstrdup(source), *p, *save = NULL;
	int n = 0, r = -1, i;

	for (p = strtok_r(copy, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		if (n == 3)
			goto bad;
		parts[n++] = p;
	}
	if (n < 2 || strchr(source, '\0')[-1] == '/' || strstr(source, "//") != NULL)
		goto bad;
	for (i = 0; i < n; i++)
		for (p = parts[i]; *p; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.' &&
			    !(i == 0 && n == 3 && *p == ':'))
				goto bad;
			*p = (char)tolower((unsigned char)*p);
		}
	*host = xstrdup(n == 3 ? parts[0] : PROVIDER_DEFAULT_HOST);
	*namespace = xstrdup(parts[n - 2]);
	*type = xstrdup(parts[n - 1]);
	r = 0;
	goto out;
bad:
	lerr_set(err, LADING_ERR_USAGE, "provider source '%s': expected [HOST/]NAMESPACE/TYPE", source);
out:
	free(copy);
	return r;
}

/* GETs url and parses it as a JSON object. */
static int get_json(struct pctx *x, const char *url, size_t max, const char *what, json_t **out, char **final_url,
		    struct lerr *err)
{
	struct buf body = BUF_INIT(max);
	json_error_t jerr;
	int r = -1;

	if (urlstore_get(x->http, url, what, &body, final_url, err) != 0)
		goto out;
	*out = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		if (final_url != NULL) {
			free(*final_url);
			*final_url = NULL;
		}
		lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' is not a JSON object", what, url);
		goto out;
	}
	r = 0;
out:
	buf_free(&body);
	return r;
}

/* Service discovery (SPECS §4.1): the providers.v1 base URL of host. */
static int discover(struct pctx *x, const char *host, struct lerr *err)
{
	char *url = xasprintf("%s://%s/.well-known/terraform.json", host_tls_scheme(x->opts->registries, host), host);
	char *final = NULL;
	json_t *doc = NULL;
	const char *base;
	int r = -1;

	if (get_json(x, url, DISCOVERY_MAX, x->what, &doc, &final, err) != 0)
		goto out;
	base = json_string_value(json_object_get(doc, "providers.v1"));
	if (base == NULL) {
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: host %s offers no provider registry (no providers.v1 in %s)",
			 x->what, host, url);
		goto out;
	}
	x->base = http_url_resolve(final, base);
	if (x->base == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: bad providers.v1 '%s' in %s", x->what, base, url);
		goto out;
	}
	if (x->base[strlen(x->base) - 1] != '/') {
		char *slash = xasprintf("%s/", x->base);

		free(x->base);
		x->base = slash;
	}
	r = 0;
out:
	json_decref(doc);
	free(url);
	free(final);
	return r;
}

static void list_available(struct buf *b, json_t *versions)
{
	size_t i;

	for (i = 0; i < json_array_size(versions) && b->len < 400; i++) {
		const char *v = json_string_value(json_object_get(json_array_get(versions, i), "version"));

		if (v != NULL)
			buf_printf(b, "%s%s", b->len ? ", " : "", v);
	}
	if (b->len == 0)
		buf_puts(b, "none");
}

/* The newest listed version allowed by constraint (empty = newest without prerelease). */
static int pick_version(struct pctx *x, const char *constraint, json_t **chosen, struct lerr *err)
{
	struct tf_constraint *c = NULL;
	struct semver best = {0}, v;
	struct buf list = BUF_INIT(0);
	size_t i;
	int r = -1;

	*chosen = NULL;
	if (constraint != NULL && *constraint && tf_constraint_parse(constraint, &c, err) != 0) {
		lerr_prefix(err, "%s", x->what);
		goto out;
	}
	for (i = 0; i < json_array_size(x->versions); i++) {
		json_t *entry = json_array_get(x->versions, i);
		const char *text = json_string_value(json_object_get(entry, "version"));

		if (text == NULL || semver_parse(text, &v, NULL) != 0)
			continue;
		if (c != NULL ? !tf_constraint_check(c, &v) : v.pre[0] != '\0')
			continue;
		if (*chosen == NULL || semver_compare(&v, &best) > 0) {
			best = v;
			*chosen = entry;
		}
	}
	if (*chosen == NULL) {
		list_available(&list, x->versions);
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: no version matches '%s' (available: %s)", x->what,
			 constraint != NULL && *constraint ? constraint : "any", list.data);
		goto out;
	}
	r = 0;
out:
	tf_constraint_free(c);
	buf_free(&list);
	return r;
}

static int load_versions(struct pctx *x, const char *ns, const char *type, struct lerr *err)
{
	char *url = xasprintf("%s%s/%s/versions", x->base, ns, type);
	json_t *doc = NULL;
	int r = -1;

	if (get_json(x, url, VERSIONS_MAX, x->what, &doc, NULL, err) != 0)
		goto out;
	x->versions = json_incref(json_object_get(doc, "versions"));
	if (!json_is_array(x->versions)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' has no versions list", x->what, url);
		goto out;
	}
	r = 0;
out:
	json_decref(doc);
	free(url);
	return r;
}

/* Fails naming the platforms the version has when platform is not among them. */
static int check_platform(struct pctx *x, json_t *entry, const char *version, const char *platform, struct lerr *err)
{
	json_t *list = json_object_get(entry, "platforms");
	struct buf have = BUF_INIT(0);
	size_t i;
	int r = -1;

	if (!json_is_array(list))
		return 0; /* nothing listed: the download endpoint decides */
	for (i = 0; i < json_array_size(list); i++) {
		const char *os = json_string_value(json_object_get(json_array_get(list, i), "os"));
		const char *arch = json_string_value(json_object_get(json_array_get(list, i), "arch"));
		char *name = xasprintf("%s_%s", os ? os : "?", arch ? arch : "?");

		if (strcmp(name, platform) == 0)
			r = 0;
		buf_printf(&have, "%s%s", i ? ", " : "", name);
		free(name);
	}
	if (r != 0)
		lerr_set(err, LADING_ERR_NOTFOUND, "%s %s: no package for %s (available: %s)", x->what, version,
			 platform, have.len ? have.data : "none");
	buf_free(&have);
	return r;
}

/* The hex sha256 that SHA256SUMS lists for filename, or -1. */
static int sums_lookup(const struct buf *sums, const char *filename, char hex[SHA256_HEX_LEN + 1])
{
	const char *line = sums->data ? sums->data : "";
	size_t name_len = strlen(filename);

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *name = line + SHA256_HEX_LEN;

		if (len > SHA256_HEX_LEN + 2 && (name[0] == ' ' || name[0] == '\t')) {
			while (name < line + len && (*name == ' ' || *name == '\t' || *name == '*'))
				name++;
			if ((size_t)(line + len - name) >= name_len && strncmp(name, filename, name_len) == 0 &&
			    (line + len - name == (long)name_len || name[name_len] == '\r')) {
				memcpy(hex, line, SHA256_HEX_LEN);
				hex[SHA256_HEX_LEN] = '\0';
				return hex_is_sha256(hex) ? 0 : -1;
			}
		}
		line += len + (eol != NULL);
	}
	return -1;
}

/* Verifies the signature of SHA256SUMS with gpgv, or warns when there is no gpgv. */
static int check_signature(struct pctx *x, const char *what, json_t *download, const char *base_url,
			   const struct buf *sums, int *checked, struct lerr *err)
{
	const char *sig_url = json_string_value(json_object_get(download, "shasums_signature_url"));
	json_t *keys = json_object_get(json_object_get(download, "signing_keys"), "gpg_public_keys");
	const char **armors = xcalloc(json_array_size(keys) + 1, sizeof(*armors));
	struct buf sig = BUF_INIT(SIGNATURE_MAX);
	char *url = NULL, *sums_path = xasprintf("%s/SHA256SUMS", x->tmp_dir);
	char *sig_path = xasprintf("%s/SHA256SUMS.sig", x->tmp_dir);
	size_t i, n = 0;
	int r = -1;

	if (x->gpgv == NULL) {
		log_msg(x->opts->lg, LOG_WARN, "%s: gpgv is not installed; the signature of SHA256SUMS is not checked",
			what);
		r = 0;
		goto out;
	}
	if (sig_url == NULL || (url = http_url_resolve(base_url, sig_url)) == NULL) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: the registry gives no shasums_signature_url", what);
		goto out;
	}
	for (i = 0; i < json_array_size(keys); i++) {
		const char *armor = json_string_value(json_object_get(json_array_get(keys, i), "ascii_armor"));

		if (armor != NULL && *armor)
			armors[n++] = armor;
	}
	if (urlstore_get(x->http, url, what, &sig, NULL, err) != 0 ||
	    fs_write_file(sums_path, sums->data ? sums->data : "", sums->len, 0600, err) != 0 ||
	    fs_write_file(sig_path, sig.data ? sig.data : "", sig.len, 0600, err) != 0 ||
	    provider_gpg_verify(x->gpgv, x->tmp_dir, what, armors, n, sig_path, sums_path, err) != 0)
		goto out;
	*checked = 1;
	r = 0;
out:
	free(armors);
	buf_free(&sig);
	free(url);
	free(sums_path);
	free(sig_path);
	return r;
}

struct package_job {
	const char *ns, *type, *version, *platform, *locked_sha256;
	struct provider_package *pkg;
	int *signature_checked;
};

/* Reads SHA256SUMS and its signature; fills the expected hex of filename. */
static int checked_sum(struct pctx *x, const char *what, json_t *download, const char *base_url, const char *filename,
		       int *checked, char hex[SHA256_HEX_LEN + 1], struct lerr *err)
{
	const char *sums_url = json_string_value(json_object_get(download, "shasums_url"));
	const char *shasum = json_string_value(json_object_get(download, "shasum"));
	struct buf sums = BUF_INIT(SHASUMS_MAX);
	char *url = sums_url != NULL ? http_url_resolve(base_url, sums_url) : NULL;
	int r = -1;

	if (url == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: the download JSON has no usable shasums_url", what);
		goto out;
	}
	if (urlstore_get(x->http, url, what, &sums, NULL, err) != 0 ||
	    check_signature(x, what, download, base_url, &sums, checked, err) != 0)
		goto out;
	if (sums_lookup(&sums, filename, hex) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: SHA256SUMS at '%s' has no entry for %s", what, url, filename);
		goto out;
	}
	if (shasum != NULL && strcmp(shasum, hex) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: the download JSON says sha256 %s but SHA256SUMS says %s", what,
			 shasum, hex);
		goto out;
	}
	r = 0;
out:
	buf_free(&sums);
	free(url);
	return r;
}

static int fetch_package(struct pctx *x, const struct package_job *job, struct lerr *err)
{
	const char *under = strchr(job->platform, '_');
	char *what = xasprintf("%s %s %s", x->what, job->version, job->platform);
	char *url = NULL, *final = NULL, *zip_url = NULL, *zip_path = NULL;
	const char *filename, *download_url;
	char hex[SHA256_HEX_LEN + 1];
	json_t *doc = NULL;
	int r = -1;

	if (under == NULL || under == job->platform || under[1] == '\0' || strchr(job->platform, '/')) {
		lerr_set(err, LADING_ERR_USAGE, "%s: platform must be OS_ARCH like linux_amd64", what);
		goto out;
	}
	url = xasprintf("%s%s/%s/%s/download/%.*s/%s", x->base, job->ns, job->type, job->version,
			(int)(under - job->platform), job->platform, under + 1);
	if (get_json(x, url, DOWNLOAD_JSON_MAX, what, &doc, &final, err) != 0)
		goto out;
	filename = json_string_value(json_object_get(doc, "filename"));
	download_url = json_string_value(json_object_get(doc, "download_url"));
	if (filename == NULL || download_url == NULL || strchr(filename, '/') != NULL ||
	    (zip_url = http_url_resolve(final, download_url)) == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' lacks a usable filename or download_url", what, url);
		goto out;
	}
	if (checked_sum(x, what, doc, final, filename, job->signature_checked, hex, err) != 0)
		goto out;
	if (job->locked_sha256 != NULL && strcmp(job->locked_sha256, hex) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: SHA256SUMS says %s but lading.lock has %s", what, hex,
			 job->locked_sha256);
		goto out;
	}
	if (urlstore_fetch(x->http, zip_url, x->opts->store_dir, hex, PROVIDER_ZIP_MAX, what, job->pkg->sha256,
			   &job->pkg->size, err) != 0)
		goto out;
	zip_path = urlstore_path(x->opts->store_dir, job->pkg->sha256);
	if (dirhash_h1_zip(zip_path, job->pkg->h1, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	job->pkg->platform = xstrdup(job->platform);
	job->pkg->filename = xstrdup(filename);
	r = 0;
out:
	json_decref(doc);
	free(what);
	free(url);
	free(final);
	free(zip_url);
	free(zip_path);
	return r;
}

static int fetch_packages(struct pctx *x, const struct provider_request *req, json_t *entry,
			  struct provider_result *res, struct lerr *err)
{
	static const char *const default_platform[] = {PROVIDER_DEFAULT_PLATFORM};
	const char *const *platforms = req->platform_count ? req->platforms : default_platform;
	size_t count = req->platform_count ? req->platform_count : 1, i;

	res->packages = xcalloc(count, sizeof(*res->packages));
	for (i = 0; i < count; i++) {
		struct package_job job = {res->namespace,
					  res->type,
					  res->version,
					  platforms[i],
					  req->platform_count && req->locked_sha256s ? req->locked_sha256s[i] : NULL,
					  &res->packages[i],
					  &res->signature_checked};

		if ((entry != NULL && check_platform(x, entry, res->version, platforms[i], err) != 0) ||
		    fetch_package(x, &job, err) != 0)
			return -1;
		res->package_count = i + 1;
	}
	return 0;
}

static int fetch_one(const struct provider_fetch_opts *opts, const struct provider_request *req,
		     struct provider_result *res, struct lerr *err)
{
	struct pctx x = {.opts = opts};
	struct tf_credentials creds = {0};
	json_t *entry = NULL;
	char *tmpl = NULL;
	int r = -1;

	if (provider_source_parse(req->source, &res->host, &res->namespace, &res->type, err) != 0)
		return -1;
	x.what = xasprintf("provider %s/%s/%s", res->host, res->namespace, res->type);
	if (opts->locked && req->locked_version == NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s: not in lading.lock (run without --locked once)", x.what);
		goto out;
	}
	x.http = http_session_new(opts->lg);
	x.tls.registries = opts->registries;
	http_session_set_tls(x.http, host_tls_lookup, &x.tls);
	http_session_set_auth(x.http, tf_credentials_auth, &creds);
	if (tf_credentials_load(&creds, err) != 0)
		goto out;
	x.gpgv = provider_gpgv_find(opts->gpgv);
	tmpl = xasprintf("%s/.provider-XXXXXX", opts->store_dir);
	if (mkdtemp(tmpl) == NULL) {
		lerr_sys(err, "cannot create a directory in '%s'", opts->store_dir);
		goto out;
	}
	x.tmp_dir = tmpl;
	if (discover(&x, res->host, err) != 0 || load_versions(&x, res->namespace, res->type, err) != 0)
		goto out;
	if (req->locked_version != NULL) {
		res->version = xstrdup(req->locked_version);
	} else {
		if (pick_version(&x, req->version, &entry, err) != 0)
			goto out;
		res->version = xstrdup(json_string_value(json_object_get(entry, "version")));
	}
	r = fetch_packages(&x, req, entry, res, err);
out:
	if (x.tmp_dir != NULL)
		fs_remove_tree(x.tmp_dir, NULL);
	free(tmpl);
	http_session_free(x.http);
	tf_credentials_free(&creds);
	json_decref(x.versions);
	free(x.gpgv);
	free(x.base);
	free(x.what);
	return r;
}

int providers_fetch(const struct provider_fetch_opts *opts, const struct provider_request *reqs, size_t count,
		    struct provider_result **results, struct lerr *err)
{
	struct provider_result *res = xcalloc(count ? count : 1, sizeof(*res));
	char *dir = xasprintf("%s/blobs/sha256", opts->store_dir);
	size_t i;
	int r = -1;

	if (fs_mkdir_p(dir, err) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		log_msg(opts->lg, LOG_VERBOSE, "provider %s", reqs[i].source);
		if (fetch_one(opts, &reqs[i], &res[i], err) != 0)
			goto out;
	}
	*results = res;
	res = NULL;
	r = 0;
out:
	provider_results_free(res, count);
	free(dir);
	return r;
}

void provider_results_free(struct provider_result *results, size_t count)
{
	size_t i, j;

	for (i = 0; results != NULL && i < count; i++) {
		free(results[i].host);
		free(results[i].namespace);
		free(results[i].type);
		free(results[i].version);
		for (j = 0; j < results[i].package_count; j++) {
			free(results[i].packages[j].platform);
			free(results[i].packages[j].filename);
		}
		free(results[i].packages);
	}
	free(results);
}
