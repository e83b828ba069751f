/* The module registry protocol client (see module.h; SPECS-2 §7). */
#include "providers/module.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/semver.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "providers/tfcreds.h"
#include "providers/tfversion.h"

#define MODULE_JSON_MAX (8u << 20)

struct mctx {
	const struct module_fetch_opts *opts;
	struct http_session *http;
	struct host_tls_ctx tls;
	char *base; /* modules.v1 URL, ending in '/' */
	char *what; /* "module HOST/NS/NAME/SYSTEM" */
};

int module_source_parse(const char *source, char **host, char **namespace, char **name, char **system, struct lerr *err)
{
	char *parts[4] = {NULL, NULL, NULL, NULL}, *copy = xstrdup(source), *p, *save = NULL;
	int n = 0, r = -1, i;

	for (p = strtok_r(copy, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		if (n == 4)
			goto bad;
		parts[n++] = p;
	}
	if (n != 4 || strchr(source, '\0')[-1] == '/' || strstr(source, "//") != NULL || source[0] == '/')
		goto bad;
	for (i = 0; i < n; i++)
		for (p = parts[i]; *p; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.' &&
			    !(i == 0 && *p == ':'))
				goto bad;
			*p = (char)tolower((unsigned char)*p);
		}
	/* Terraform takes a first part without a dot for a namespace (SPECS-2 §7: hosts need one). */
	if (strchr(parts[0], '.') == NULL || parts[0][0] == '.')
		goto bad;
	*host = xstrdup(parts[0]);
	*namespace = xstrdup(parts[1]);
	*name = xstrdup(parts[2]);
	*system = xstrdup(parts[3]);
	r = 0;
	goto out;
bad:
	lerr_set(err, LADING_ERR_USAGE, "module source '%s': expected HOST/NAMESPACE/NAME/SYSTEM (the host has a dot)",
		 source);
out:
	free(copy);
	return r;
}

void module_location_free(struct module_location *loc)
{
	free(loc->url);
	free(loc->subdir);
	free(loc->archive);
	free(loc->ref);
	memset(loc, 0, sizeof(*loc));
}

/* %XX decoded in place (a query value as go-getter's url.Query gives it); 0 when one decodes to NUL. */
static int percent_decode(char *text)
{
	char *in = text, *out = text;

	for (; *in; in++, out++) {
		if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
			char hex[3] = {in[1], in[2], '\0'};

			*out = (char)strtol(hex, NULL, 16);
			if (*out == '\0')
				return 0;
			in += 2;
		} else {
			*out = *in;
		}
	}
	*out = '\0';
	return 1;
}

/* Removes "NAME=…" from the query of url (in place); returns its decoded value (newly allocated) or NULL. */
static char *take_param(char *url, const char *name)
{
	char *query = strchr(url, '?'), *p, *value = NULL;
	struct buf rest = BUF_INIT(0);
	size_t name_len = strlen(name);

	if (query == NULL)
		return NULL;
	for (p = query + 1; *p;) {
		size_t len = strcspn(p, "&");

		if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
			free(value);
			value = xstrndup(p + name_len + 1, len - name_len - 1);
		} else if (len > 0) {
			buf_printf(&rest, "%s%.*s", rest.len ? "&" : "", (int)len, p);
		}
		p += len + (p[len] == '&');
	}
	if (rest.len)
		sprintf(query + 1, "%s", rest.data); /* never longer than what it replaces */
	else
		*query = '\0';
	buf_free(&rest);
	if (value != NULL && !percent_decode(value)) {
		free(value);
		value = xstrdup("");
	}
	return value;
}

/* The archive type of a URL path by its suffix, or NULL. */
static const char *archive_by_suffix(const char *url)
{
	static const char *const types[] = {"tar.gz", "tgz", "tar.bz2", "tbz2", "tar.xz", "txz", "zip", "tar"};
	size_t path_len = strcspn(url, "?#"), i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t len = strlen(types[i]);

		if (path_len > len + 1 && url[path_len - len - 1] == '.' &&
		    strncmp(url + path_len - len, types[i], len) == 0)
			return types[i];
	}
	return NULL;
}

/* go-getter's SourceDirSubdir: "//" after the scheme and before the query splits off the subdir. */
static void split_subdir(const char *src, char **url, char **subdir)
{
	size_t stop = strcspn(src, "?"), offset = 0;
	const char *scheme = strstr(src, "://"), *dbl;

	*subdir = NULL;
	if (scheme != NULL && (size_t)(scheme - src) < stop)
		offset = (size_t)(scheme - src) + 3;
	dbl = strstr(src + offset, "//");
	if (dbl == NULL || (size_t)(dbl - src) >= stop) {
		*url = xstrdup(src);
		return;
	}
	*subdir = xstrndup(dbl + 2, stop - (size_t)(dbl - src) - 2);
	*url = xasprintf("%.*s%s", (int)(dbl - src), src, src + stop);
}

static int subdir_is_safe(const char *subdir)
{
	char *copy;
	size_t len;
	int ok;

	if (subdir == NULL)
		return 1;
	copy = xstrdup(subdir);
	len = strlen(copy);
	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	ok = len > 0 && fs_relpath_is_safe(copy, 4096);
	free(copy);
	return ok;
}

static void trim_slashes(char *path)
{
	size_t len = path != NULL ? strlen(path) : 0;

	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
}

/* go-getter's git getter: "git::https://host/repo.git//sub?ref=R&depth=N"; only http(s) is carried. */
static int git_location_parse(const char *location, const char *what, struct module_location *out, struct lerr *err)
{
	const char *src = location + 5;
	char *url = NULL, *subdir = NULL, *ref = NULL, *unwanted = NULL;
	int r = -1;

	if (strncmp(src, "https://", 8) != 0 && strncmp(src, "http://", 7) != 0) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "%s: location '%s': only git over https (or http) is carried, not SSH or other transports: "
			 "ask the registry's owner for an https URL",
			 what, location);
		goto out;
	}
	split_subdir(src, &url, &subdir);
	if (!subdir_is_safe(subdir)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s': subdirectory '%s' escapes the repository", what,
			 location, subdir);
		goto out;
	}
	ref = take_param(url, "ref");
	free(take_param(url, "depth")); /* a shallow clone is go-getter's speed-up; the tree is the same */
	if ((unwanted = take_param(url, "sshkey")) != NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s': sshkey= is for git over SSH, which is not carried",
			 what, location);
		goto out;
	}
	/* The ref reaches git's command line: it must not read as an option or a revision range. */
	if (ref != NULL && (*ref == '\0' || *ref == '-' || strstr(ref, "..") != NULL || strchr(ref, ':') != NULL ||
			    strstr(ref, "@{") != NULL || strpbrk(ref, " \t\n\\~^?*[") != NULL)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s': ref '%s' is not a branch, tag or commit id", what,
			 location, ref);
		goto out;
	}
	trim_slashes(subdir);
	out->url = url;
	out->subdir = subdir;
	out->ref = ref;
	out->git = 1;
	url = subdir = ref = NULL;
	r = 0;
out:
	free(url);
	free(subdir);
	free(ref);
	free(unwanted);
	return r;
}

int module_location_parse(const char *download_url, const char *location, const char *what, struct module_location *out,
			  struct lerr *err)
{
	const char *forced = strstr(location, "::");
	char *url = NULL, *subdir = NULL, *resolved = NULL, *archive = NULL;
	int relative = location[0] == '/' || strncmp(location, "./", 2) == 0 || strncmp(location, "../", 3) == 0;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (strncmp(location, "git::", 5) == 0)
		return git_location_parse(location, what, out, err);
	if (strncmp(location, "git@", 4) == 0) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "%s: location '%s' is git over SSH, which is not carried: ask the registry's owner for a "
			 "git::https:// URL",
			 what, location);
		goto out;
	}
	if (forced != NULL && forced < location + strcspn(location, "/?")) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s': only http(s) archives and git:: are carried", what,
			 location);
		goto out;
	}
	if (relative && strncmp(location, "//", 2) == 0)
		relative = 0;
	split_subdir(location, &url, &subdir);
	if (relative)
		resolved = http_url_resolve(download_url, url);
	else if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)
		resolved = xstrdup(url);
	if (resolved == NULL || (!relative && strncmp(location, "http", 4) != 0)) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "%s: invalid package location '%s': expected an http(s) URL or one starting with /, ./ or ../",
			 what, location);
		goto out;
	}
	if (!subdir_is_safe(subdir)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s': subdirectory '%s' escapes the archive", what,
			 location, subdir);
		goto out;
	}
	archive = take_param(resolved, "archive");
	if (archive == NULL && archive_by_suffix(resolved) != NULL)
		archive = xstrdup(archive_by_suffix(resolved));
	if (archive == NULL || strchr(archive, '/') != NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: location '%s' names no archive (.tar.gz, .zip, ?archive=)", what,
			 location);
		goto out;
	}
	trim_slashes(subdir);
	out->url = resolved;
	out->subdir = subdir;
	out->archive = archive;
	resolved = subdir = archive = NULL;
	r = 0;
out:
	free(url);
	free(subdir);
	free(resolved);
	free(archive);
	return r;
}

/* GETs url and parses it as a JSON object; *final_url (may be NULL) gets the URL after redirects. */
static int get_json(struct mctx *x, const char *url, json_t **out, char **final_url, struct lerr *err)
{
	struct buf body = BUF_INIT(MODULE_JSON_MAX);
	json_error_t jerr;
	int r = -1;

	if (urlstore_get(x->http, url, x->what, &body, final_url, err) != 0)
		goto out;
	*out = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' is not a JSON object", x->what, url);
		goto out;
	}
	r = 0;
out:
	buf_free(&body);
	return r;
}

/* Service discovery: the modules.v1 base URL of host. */
static int discover(struct mctx *x, const char *host, struct lerr *err)
{
	char *url = xasprintf("%s://%s/.well-known/terraform.json", host_tls_scheme(x->opts->registries, host), host);
	char *final = NULL, *base = NULL;
	json_t *doc = NULL;
	const char *given;
	int r = -1;

	if (get_json(x, url, &doc, &final, err) != 0)
		goto out;
	given = json_string_value(json_object_get(doc, "modules.v1"));
	if (given == NULL) {
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: host %s offers no module registry (no modules.v1 in %s)",
			 x->what, host, url);
		goto out;
	}
	if ((base = http_url_resolve(final, given)) == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: bad modules.v1 '%s' in %s", x->what, given, url);
		goto out;
	}
	x->base = base[strlen(base) - 1] == '/' ? xstrdup(base) : xasprintf("%s/", base);
	r = 0;
out:
	json_decref(doc);
	free(url);
	free(final);
	free(base);
	return r;
}

/* The versions the registry lists: {"modules":[{"versions":[{"version":"1.0.0"}]}]}. */
static json_t *listed_versions(json_t *doc)
{
	return json_object_get(json_array_get(json_object_get(doc, "modules"), 0), "versions");
}

/* The newest listed version allowed by constraint (empty = newest without prerelease); newly allocated. */
static int pick_version(struct mctx *x, json_t *versions, const char *constraint, char **chosen, struct lerr *err)
{
	struct tf_constraint *c = NULL;
	struct semver best = {0}, v;
	struct buf list = BUF_INIT(0);
	const char *found = NULL;
	size_t i;

	if (constraint != NULL && *constraint && tf_constraint_parse(constraint, &c, err) != 0)
		return lerr_prefix(err, "%s", x->what);
	for (i = 0; i < json_array_size(versions); i++) {
		const char *text = json_string_value(json_object_get(json_array_get(versions, i), "version"));

		if (text == NULL || semver_parse(text, &v, NULL) != 0)
			continue;
		if (list.len < 400)
			buf_printf(&list, "%s%s", list.len ? ", " : "", text);
		if (c != NULL ? !tf_constraint_check(c, &v) : v.pre[0] != '\0')
			continue;
		if (found == NULL || semver_compare(&v, &best) > 0) {
			best = v;
			found = text;
		}
	}
	tf_constraint_free(c);
	if (found == NULL)
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: no version matches '%s' (available: %s)", x->what,
			 constraint != NULL && *constraint ? constraint : "any", list.len ? list.data : "none");
	else
		*chosen = xstrdup(found);
	buf_free(&list);
	return found != NULL ? 0 : -1;
}

static int resolve_version(struct mctx *x, const struct module_request *req, struct module_result *res,
			   struct lerr *err)
{
	char *url = xasprintf("%s%s/%s/%s/versions", x->base, res->namespace, res->name, res->system);
	json_t *doc = NULL;
	int r = -1;

	if (get_json(x, url, &doc, NULL, err) != 0)
		goto out;
	if (!json_is_array(listed_versions(doc))) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' has no modules[0].versions list", x->what, url);
		goto out;
	}
	r = pick_version(x, listed_versions(doc), req->version, &res->version, err);
out:
	json_decref(doc);
	free(url);
	return r;
}

/* The download endpoint: 204 with X-Terraform-Get (Terraform refuses a 200 JSON body, SPECS-2 §7). */
static int download_location(struct mctx *x, struct module_result *res, struct module_location *loc, struct lerr *err)
{
	char *url = xasprintf("%s%s/%s/%s/%s/download", x->base, res->namespace, res->name, res->system, res->version);
	char *what = xasprintf("%s %s", x->what, res->version);
	struct http_request req = {.method = "GET", .url = url};
	struct http_response resp;
	const char *location;
	int r = -1;

	if (http_do(x->http, &req, &resp, err) != 0) {
		lerr_prefix(err, "%s", what);
		goto out;
	}
	location = http_response_header(&resp, "X-Terraform-Get");
	if (resp.status < 200 || resp.status > 299 || location == NULL || *location == '\0') {
		lerr_set(err, resp.status == 404 ? LADING_ERR_NOTFOUND : LADING_ERR_NETWORK,
			 "%s: '%s' answered HTTP %ld without X-Terraform-Get", what, url, resp.status);
		goto out;
	}
	r = module_location_parse(resp.url ? resp.url : url, location, what, loc, err);
out:
	http_response_free(&resp);
	free(url);
	free(what);
	return r;
}

/* A git:: location: the ref's tree from the caller's git_tree, pinned to its commit, then normalized. */
static int fetch_git_tree(struct mctx *x, const struct module_request *req, struct module_result *res,
			  const struct module_location *loc, const char *what, struct lerr *err)
{
	char *tar = NULL;
	int r;

	if (x->opts->git_tree == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s: location 'git::%s' is a Git repository, which this command "
				"does not fetch",
				what, loc->url);
	if (req->locked_sha256 != NULL && req->locked_commit == NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s: lading.lock has an archive, the registry now gives "
				"'git::%s': run create without --locked to lock the new location",
				what, loc->url);
	if (x->opts->git_tree(x->opts->git_ctx, loc->url, loc->ref, req->locked_commit, what, res->commit, &tar, err) !=
	    0)
		return -1;
	r = module_archive_normalize(tar, loc->subdir, x->opts->store_dir, what, res->tgz_sha256, &res->tgz_size, err);
	unlink(tar);
	free(tar);
	if (r == 0)
		res->location = xasprintf("git::%s%s%s", loc->url,
					  loc->ref == NULL	  ? ""
					  : strchr(loc->url, '?') ? "&ref="
								  : "?ref=",
					  loc->ref == NULL ? "" : loc->ref);
	return r;
}

static int fetch_archive(struct mctx *x, const struct module_request *req, struct module_result *res, struct lerr *err)
{
	struct module_location loc;
	char *what = NULL, *path = NULL;
	int r = -1;

	if (download_location(x, res, &loc, err) != 0)
		return -1;
	what = xasprintf("%s %s", x->what, res->version);
	log_msg(x->opts->lg, LOG_VERBOSE, "%s: %s%s%s%s", what, loc.git ? "git::" : "", loc.url, loc.subdir ? "//" : "",
		loc.subdir ? loc.subdir : "");
	if (loc.git) {
		if (fetch_git_tree(x, req, res, &loc, what, err) != 0)
			goto out;
		res->subdir = loc.subdir;
		loc.subdir = NULL;
		r = 0;
		goto out;
	}
	if (req->locked_commit != NULL) {
		lerr_set(err, LADING_ERR_USAGE,
			 "%s: lading.lock has a git commit, the registry now gives '%s': run "
			 "create without --locked to lock the new location",
			 what, loc.url);
		goto out;
	}
	if (urlstore_fetch(x->http, loc.url, x->opts->store_dir, req->locked_sha256, MODULE_ARCHIVE_MAX, what,
			   res->sha256, &res->size, err) != 0) {
		if (req->locked_sha256 != NULL && err->code == LADING_ERR_SIGNATURE) {
			char *msg = xstrdup(err->msg);

			lerr_set(err, LADING_ERR_SIGNATURE, "%s: not the archive lading.lock records", msg);
			free(msg);
		}
		goto out;
	}
	path = urlstore_path(x->opts->store_dir, res->sha256);
	if (module_archive_normalize(path, loc.subdir, x->opts->store_dir, what, res->tgz_sha256, &res->tgz_size,
				     err) != 0)
		goto out;
	res->location = loc.url;
	res->subdir = loc.subdir;
	loc.url = loc.subdir = NULL;
	r = 0;
out:
	module_location_free(&loc);
	free(what);
	free(path);
	return r;
}

static int fetch_one(const struct module_fetch_opts *opts, const struct module_request *req, struct module_result *res,
		     struct lerr *err)
{
	struct mctx x = {.opts = opts};
	struct tf_credentials creds = {0};
	struct semver parsed;
	int r = -1;

	if (module_source_parse(req->source, &res->host, &res->namespace, &res->name, &res->system, err) != 0)
		return -1;
	x.what = xasprintf("module %s/%s/%s/%s", res->host, res->namespace, res->name, res->system);
	if (opts->locked &&
	    (req->locked_version == NULL || (req->locked_sha256 == NULL && req->locked_commit == NULL))) {
		lerr_set(err, LADING_ERR_USAGE, "%s: not in lading.lock (run without --locked once)", x.what);
		goto out;
	}
	x.http = http_session_new(opts->lg);
	x.tls.registries = opts->registries;
	http_session_set_tls(x.http, host_tls_lookup, &x.tls);
	http_session_set_auth(x.http, tf_credentials_auth, &creds);
	if (tf_credentials_load(&creds, err) != 0 || discover(&x, res->host, err) != 0)
		goto out;
	if (req->locked_version != NULL)
		res->version = xstrdup(req->locked_version);
	else if (resolve_version(&x, req, res, err) != 0)
		goto out;
	/* The version names a file in the bundle and a URL path: only a semantic version will do. */
	if (semver_parse(res->version, &parsed, NULL) != 0 || strchr(res->version, '/') != NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: version '%s' is not a semantic version", x.what, res->version);
		goto out;
	}
	r = fetch_archive(&x, req, res, err);
out:
	http_session_free(x.http);
	tf_credentials_free(&creds);
	free(x.base);
	free(x.what);
	return r;
}

int modules_fetch(const struct module_fetch_opts *opts, const struct module_request *reqs, size_t count,
		  struct module_result **results, struct lerr *err)
{
	struct module_result *res = xcalloc(count ? count : 1, sizeof(*res));
	char *dir = xasprintf("%s/blobs/sha256", opts->store_dir);
	size_t i;
	int r = -1;

	if (fs_mkdir_p(dir, err) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		log_msg(opts->lg, LOG_VERBOSE, "module %s", reqs[i].source);
		if (fetch_one(opts, &reqs[i], &res[i], err) != 0)
			goto out;
	}
	*results = res;
	res = NULL;
	r = 0;
out:
	module_results_free(res, count);
	free(dir);
	return r;
}

void module_results_free(struct module_result *results, size_t count)
{
	size_t i;

	for (i = 0; results != NULL && i < count; i++) {
		free(results[i].host);
		free(results[i].namespace);
		free(results[i].name);
		free(results[i].system);
		free(results[i].version);
		free(results[i].location);
		free(results[i].subdir);
	}
	free(results);
}
