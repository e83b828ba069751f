/* The module registry protocol from the carried modules (see modules.h). */
#include "serve/modules.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

#define MODULES_API "/v1/modules/"
#define MODULE_SUFFIX ".tar.gz"

/* One carried archive's path, "HOST/NS/NAME/SYSTEM/VERSION.tar.gz", taken apart (in a copy). */
struct carried {
	char *copy;
	const char *host, *ns, *name, *system;
	char *version;
};

static int carried_split(const char *rel, struct carried *c)
{
	char *p, *parts[5];
	size_t n = 0, len;

	memset(c, 0, sizeof(*c));
	c->copy = xstrdup(rel);
	for (p = c->copy; n < 5; n++) {
		parts[n] = p;
		p = strchr(p, '/');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	len = n == 4 ? strlen(parts[4]) : 0;
	if (n != 4 || len <= strlen(MODULE_SUFFIX) ||
	    strcmp(parts[4] + len - strlen(MODULE_SUFFIX), MODULE_SUFFIX) != 0) {
		free(c->copy);
		c->copy = NULL;
		return -1;
	}
	parts[4][len - strlen(MODULE_SUFFIX)] = '\0';
	c->host = parts[0];
	c->ns = parts[1];
	c->name = parts[2];
	c->system = parts[3];
	c->version = parts[4];
	return 0;
}

/* What a request asks for: NS/NAME/SYSTEM and, for a download, the version (lowercased copies). */
struct wanted {
	char *copy;
	const char *ns, *name, *system, *version;
	const struct serve_tree *modules;
	json_t *versions; /* for versions */
	char *found;	  /* for download: the matching rel */
	const char *first_host;
	struct lerr *err;
	const char *root;
};

static int same_module(const struct wanted *w, const struct carried *c)
{
	return strcmp(w->ns, c->ns) == 0 && strcmp(w->name, c->name) == 0 && strcmp(w->system, c->system) == 0;
}

static int collect(void *ctx, const char *rel)
{
	struct wanted *w = ctx;
	struct carried c;

	if (carried_split(rel, &c) != 0)
		return 0;
	if (same_module(w, &c)) {
		if (w->version == NULL)
			json_array_append_new(w->versions, json_pack("{s:s}", "version", c.version));
		else if (strcmp(w->version, c.version) == 0 && w->found == NULL)
			w->found = xstrdup(rel);
	}
	free(c.copy);
	return 0;
}

/* Splits "NS/NAME/SYSTEM/versions" or "NS/NAME/SYSTEM/VERSION/download" (lowercase, as stored). */
static int parse_api(const char *rest, struct wanted *w)
{
	char *parts[6], *p;
	size_t n = 0, slashes = 0;

	w->copy = xstrdup(rest);
	/* Terraform compares NAMESPACE/NAME/SYSTEM without case (stored lowercase); a version keeps its case. */
	for (p = w->copy; *p && slashes < 3; p++) {
		slashes += *p == '/';
		*p = (char)tolower((unsigned char)*p);
	}
	for (p = w->copy; n < 6; n++) {
		parts[n] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n == 3 && strcmp(parts[3], "versions") == 0)
		w->version = NULL;
	else if (n == 4 && strcmp(parts[4], "download") == 0 && parts[3][0] != '\0')
		w->version = parts[3];
	else
		return -1;
	w->ns = parts[0];
	w->name = parts[1];
	w->system = parts[2];
	return 0;
}

static enum MHD_Result answer_json(struct serve_request *req, unsigned status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	enum MHD_Result ret;

	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	ret = serve_respond_text(req, status, "application/json", text, strlen(text));
	free(text);
	return ret;
}

static enum MHD_Result not_found(struct serve_request *req, const char *what)
{
	return answer_json(req, MHD_HTTP_NOT_FOUND, json_pack("{s:[s]}", "errors", what));
}

/* Terraform needs 204 + X-Terraform-Get (a 200 JSON body fails, SPECS-2 §7); "/…" resolves against this URL. */
static enum MHD_Result download(struct serve_request *req, const char *rel)
{
	char *location = xasprintf("/modules/%s?archive=tar.gz", rel);
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_NO;

	if (resp != NULL) {
		MHD_add_response_header(resp, "X-Terraform-Get", location);
		ret = serve_respond(req, MHD_HTTP_NO_CONTENT, resp);
	}
	free(location);
	return ret;
}

int serve_modules_route(const char *path)
{
	return strcmp(path, "/.well-known/terraform.json") == 0 || strncmp(path, MODULES_API, strlen(MODULES_API)) == 0;
}

enum MHD_Result serve_modules_handle(struct serve_request *req, const struct serve_tree *modules)
{
	struct wanted w;
	enum MHD_Result ret;

	if (serve_tree_count(modules) == 0)
		return not_found(req, "this server carries no modules");
	if (strcmp(req->path, "/.well-known/terraform.json") == 0)
		return answer_json(req, MHD_HTTP_OK, json_pack("{s:s}", "modules.v1", MODULES_API));
	memset(&w, 0, sizeof(w));
	if (parse_api(req->path + strlen(MODULES_API), &w) != 0) {
		free(w.copy);
		return not_found(req, "not a module registry path");
	}
	w.versions = w.version == NULL ? json_array() : NULL;
	serve_tree_each(modules, collect, &w);
	if (w.version == NULL)
		ret = json_array_size(w.versions) == 0
			  ? not_found(req, "module not carried")
			  : answer_json(req, MHD_HTTP_OK, json_pack("{s:[{s:O}]}", "modules", "versions", w.versions));
	else
		ret = w.found == NULL ? not_found(req, "module version not carried") : download(req, w.found);
	json_decref(w.versions);
	free(w.found);
	free(w.copy);
	return ret;
}

static int clash(void *ctx, const char *rel)
{
	struct wanted *w = ctx;
	struct carried c;
	int r = 0;

	if (carried_split(rel, &c) != 0)
		return 0;
	if (same_module(w, &c) && strcmp(c.host, w->first_host) != 0)
		r = lerr_set(w->err, LADING_ERR_USAGE,
			     "'%s': modules %s/%s/%s/%s and %s/%s/%s/%s share NAMESPACE/NAME/SYSTEM: serve can answer "
			     "for one host only",
			     w->root, w->first_host, w->ns, w->name, w->system, c.host, c.ns, c.name, c.system);
	free(c.copy);
	return r;
}

static int check_one(void *ctx, const char *rel)
{
	struct wanted *outer = ctx, w = *outer;
	struct carried c;
	int r;

	if (carried_split(rel, &c) != 0)
		return 0;
	w.ns = c.ns;
	w.name = c.name;
	w.system = c.system;
	w.first_host = c.host;
	r = serve_tree_each(outer->modules, clash, &w);
	free(c.copy);
	return r;
}

int serve_modules_check(const struct serve_tree *modules, const char *root, struct lerr *err)
{
	struct wanted w;

	memset(&w, 0, sizeof(w));
	w.modules = modules;
	w.err = err;
	w.root = root;
	return serve_tree_each(modules, check_one, &w) != 0 ? -1 : 0;
}
