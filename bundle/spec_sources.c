#include "bundle/spec_sources.h"

#include <stdlib.h>
#include <string.h>

#include "bundle/files.h"
#include "bundle/sources_git.h"
#include "lib/digest.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "providers/module.h"

int spec_name_is_valid(const char *name)
{
	const char *p;

	if (name[0] == '\0' || name[0] == '.' || strlen(name) > 128)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int spec_opt_string(const struct ynode *map, const char *key, char **out, struct lerr *err)
{
	const struct ynode *node = ynode_get(map, key);
	const char *text;

	if (node == NULL)
		return 0;
	if (ynode_string(node, key, &text, err) != 0)
		return -1;
	*out = xstrdup(text);
	return 0;
}

static int parse_chart(struct spec_chart *c, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"repo", "name", "oci", "version", "images_from_charts", "values", NULL};
	const struct ynode *flag, *values;

	c->line = node->line;
	c->col = node->col;
	if (ynode_expect(node, YNODE_MAP, "a chart", err) != 0 || ynode_check_keys(node, keys, "a chart", err) != 0 ||
	    spec_opt_string(node, "repo", &c->repo, err) != 0 || spec_opt_string(node, "name", &c->name, err) != 0 ||
	    spec_opt_string(node, "oci", &c->oci, err) != 0 || spec_opt_string(node, "version", &c->version, err) != 0)
		return -1;
	if ((flag = ynode_get(node, "images_from_charts")) != NULL &&
	    ynode_bool(flag, "images_from_charts", &c->images_from_charts, err) != 0)
		return -1;
	if ((values = ynode_get(node, "values")) != NULL) {
		if (ynode_expect(values, YNODE_MAP, "values", err) != 0)
			return -1;
		c->values_origin = xasprintf("%s:%d:%d", values->file, values->line, values->col);
		c->values = cvalue_from_ynode(values, c->values_origin);
	}
	if ((c->repo == NULL) == (c->oci == NULL))
		return ynode_error(node, err, LADING_ERR_USAGE, "a chart needs either 'repo' and 'name', or 'oci'");
	if (c->repo != NULL && c->name == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "a chart from 'repo' needs 'name'");
	if (c->oci != NULL && c->name != NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "an 'oci' chart takes its name from the reference");
	if (c->oci != NULL && strncmp(c->oci, "oci://", 6) != 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "'oci' must start with oci://");
	if (c->repo != NULL && strncmp(c->repo, "http://", 7) != 0 && strncmp(c->repo, "https://", 8) != 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "'repo' must be an http:// or https:// URL");
	c->key = c->oci != NULL ? xstrdup(c->oci) : xasprintf("%s %s", c->repo, c->name);
	return 0;
}

static int parse_provider(struct spec_provider *p, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"source", "version", "platforms", NULL};
	const struct ynode *list;
	size_t i;

	p->line = node->line;
	p->col = node->col;
	if (ynode_expect(node, YNODE_MAP, "a provider", err) != 0 ||
	    ynode_check_keys(node, keys, "a provider", err) != 0 ||
	    spec_opt_string(node, "source", &p->source, err) != 0 ||
	    spec_opt_string(node, "version", &p->version, err) != 0)
		return -1;
	if (p->source == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "a provider needs 'source' (NAMESPACE/TYPE)");
	if ((list = ynode_get(node, "platforms")) == NULL)
		return 0;
	if (ynode_expect(list, YNODE_SEQ, "platforms", err) != 0)
		return -1;
	p->platforms = xcalloc(list->count + 1, sizeof(char *));
	for (i = 0; i < list->count; i++) {
		const char *text;

		if (ynode_string(list->items[i], "a platform", &text, err) != 0)
			return -1;
		if (strchr(text, '_') == NULL || strchr(text, '/') != NULL)
			return ynode_error(list->items[i], err, LADING_ERR_USAGE,
					   "provider platform '%s' must be OS_ARCH like linux_amd64", text);
		p->platforms[p->platform_count++] = xstrdup(text);
	}
	return 0;
}

static int parse_module(struct spec_module *m, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"source", "version", NULL};
	char *host = NULL, *ns = NULL, *name = NULL, *system = NULL;
	int r;

	m->line = node->line;
	m->col = node->col;
	if (ynode_check_keys(node, keys, "a module", err) != 0 ||
	    spec_opt_string(node, "source", &m->source, err) != 0 ||
	    spec_opt_string(node, "version", &m->version, err) != 0)
		return -1;
	if (m->source == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE,
				   "a module needs 'source' (HOST/NAMESPACE/NAME/SYSTEM) or 'git' and 'ref'");
	r = module_source_parse(m->source, &host, &ns, &name, &system, err);
	free(host);
	free(ns);
	free(name);
	free(system);
	return r != 0 ? ynode_error(node, err, LADING_ERR_USAGE, "%s", err->msg) : 0;
}

/*
 * "git::https://host/repo.git//sub?ref=v1" as a root module writes it, into the repository URL and the ref
 * (newly allocated; *ref NULL when the URL names none). The //subdir is Terraform's to pick in the clone.
 */
static int git_module_url(const char *text, char **url, char **ref, struct lerr *err)
{
	const char *start = strncmp(text, "git::", 5) == 0 ? text + 5 : text, *scheme = strstr(start, "://");
	size_t stop = strcspn(start, "?"),
	       from = scheme != NULL && (size_t)(scheme - start) < stop ? (size_t)(scheme - start) + 3 : 0;
	const char *dbl = strstr(start + from, "//"), *query = start[stop] == '?' ? start + stop + 1 : NULL;
	size_t url_len = dbl != NULL && (size_t)(dbl - start) < stop ? (size_t)(dbl - start) : stop;

	*ref = NULL;
	while (query != NULL && *query != '\0') {
		size_t len = strcspn(query, "&");

		if (len > 4 && strncmp(query, "ref=", 4) == 0) {
			free(*ref);
			*ref = xstrndup(query + 4, len - 4);
		} else if (strncmp(query, "depth=", 6) != 0) {
			free(*ref);
			*ref = NULL;
			return lerr_set(err, LADING_ERR_USAGE, "git module '%s': only ref= (and depth=) may follow '?'",
					text);
		}
		query += len + (query[len] == '&');
	}
	*url = xstrndup(start, url_len);
	if (git_url_check(*url, err) == 0)
		return 0;
	free(*url);
	free(*ref);
	*url = *ref = NULL;
	return -1;
}

/* The git: repository that carries a git module's ref: the one of the same URL, or a new one. */
static int git_module_fold(struct spec_sources *src, const struct ynode *node, char *url, const char *ref,
			   struct lerr *err)
{
	struct spec_git *g = NULL;
	char *name = NULL;
	size_t i;

	for (i = 0; i < src->git_count && g == NULL; i++)
		if (strcmp(src->gits[i].url, url) == 0)
			g = &src->gits[i];
	if (g == NULL) {
		if (git_name_from_url(url, &name, err) != 0)
			goto bad;
		for (i = 0; i < src->git_count; i++)
			if (strcmp(src->gits[i].name, name) == 0) {
				lerr_set(
				    err, LADING_ERR_USAGE,
				    "git module %s: its name '%s' is that of git repository %s: list %s under git: "
				    "with a 'name:' and the ref in refs:",
				    url, name, src->gits[i].url, url);
				goto bad;
			}
		src->gits = grow_array(src->gits, src->git_count, sizeof(*src->gits));
		g = &src->gits[src->git_count++];
		*g = (struct spec_git){url, name, xcalloc(1, sizeof(char *)), 0, node->line, node->col};
		url = NULL;
	} else if (g->ref_count == 0) {
		free(url);
		return 0; /* every branch and tag is carried already */
	}
	free(url);
	for (i = 0; i < g->ref_count; i++)
		if (strcmp(g->refs[i], ref) == 0)
			return 0;
	g->refs = grow_array(g->refs, g->ref_count, sizeof(*g->refs));
	g->refs[g->ref_count++] = xstrdup(ref);
	return 0;
bad:
	free(url);
	free(name);
	return ynode_error(node, err, LADING_ERR_USAGE, "%s", err->msg);
}

/*
 * A module from Git (git: and ref:). Terraform fetches a git:: source with git, so the module is carried as
 * the repository at that ref (a git: entry, served at /git/NAME.git) for the site to map with git's
 * url.<base>.insteadOf, which keeps the root module unchanged.
 */
static int parse_git_module(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"git", "ref", NULL};
	const struct ynode *text_node = ynode_get(node, "git");
	char *text = NULL, *ref = NULL, *url = NULL, *url_ref = NULL;
	int r = -1;

	if (ynode_check_keys(node, keys, "a git module", err) != 0 || spec_opt_string(node, "git", &text, err) != 0 ||
	    spec_opt_string(node, "ref", &ref, err) != 0)
		goto out;
	if (git_module_url(text, &url, &url_ref, err) != 0) {
		ynode_error(text_node, err, LADING_ERR_USAGE, "%s", err->msg);
		goto out;
	}
	if (ref != NULL && url_ref != NULL && strcmp(ref, url_ref) != 0) {
		ynode_error(node, err, LADING_ERR_USAGE, "git module %s: ref: %s and ?ref=%s differ", url, ref,
			    url_ref);
		goto out;
	}
	if (ref == NULL && (ref = url_ref) != NULL)
		url_ref = NULL;
	if (ref == NULL) {
		ynode_error(node, err, LADING_ERR_USAGE,
			    "git module %s needs 'ref' (the tag or branch its source names)", url);
		goto out;
	}
	if (git_ref_check(ref, err) != 0 || (strlen(ref) == 40 && strspn(ref, "0123456789abcdef") == 40)) {
		ynode_error(
		    node, err, LADING_ERR_USAGE,
		    "git module %s: ref '%s' must be a branch or tag (for a commit id, carry a tag that names it)", url,
		    ref);
		goto out;
	}
	r = git_module_fold(src, node, url, ref, err);
	url = NULL;
out:
	free(text);
	free(ref);
	free(url);
	free(url_ref);
	return r;
}

static int parse_file(struct spec_file *f, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"url", "sha256", "name", NULL};
	char *checked = NULL;

	f->line = node->line;
	f->col = node->col;
	if (ynode_expect(node, YNODE_MAP, "a file", err) != 0 || ynode_check_keys(node, keys, "a file", err) != 0 ||
	    spec_opt_string(node, "url", &f->url, err) != 0 || spec_opt_string(node, "sha256", &f->sha256, err) != 0 ||
	    spec_opt_string(node, "name", &f->name, err) != 0)
		return -1;
	if (f->url == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "a file needs 'url'");
	f->url_line = ynode_get(node, "url")->line;
	if (f->sha256 != NULL && !hex_is_sha256(f->sha256))
		return ynode_error(ynode_get(node, "sha256"), err, LADING_ERR_USAGE,
				   "sha256 must be 64 lowercase hex digits");
	if (file_name_resolve(f->url, f->name, &checked, err) != 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s", err->msg);
	free(checked);
	return 0;
}

static int parse_git(struct spec_git *g, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"url", "refs", "name", NULL};
	const struct ynode *list;
	size_t i;

	g->line = node->line;
	g->col = node->col;
	if (ynode_expect(node, YNODE_MAP, "a git repository", err) != 0 ||
	    ynode_check_keys(node, keys, "a git repository", err) != 0 ||
	    spec_opt_string(node, "url", &g->url, err) != 0 || spec_opt_string(node, "name", &g->name, err) != 0)
		return -1;
	if (g->url == NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "a git repository needs 'url'");
	if (git_url_check(g->url, err) != 0)
		return ynode_error(ynode_get(node, "url"), err, LADING_ERR_USAGE, "%s", err->msg);
	if (g->name != NULL && !spec_name_is_valid(g->name))
		return ynode_error(ynode_get(node, "name"), err, LADING_ERR_USAGE,
				   "git name '%s' must be [A-Za-z0-9._-]+, not starting with '.'", g->name);
	if (g->name == NULL && git_name_from_url(g->url, &g->name, err) != 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s", err->msg);
	if ((list = ynode_get(node, "refs")) == NULL)
		return 0;
	if (ynode_expect(list, YNODE_SEQ, "refs", err) != 0)
		return -1;
	g->refs = xcalloc(list->count + 1, sizeof(char *));
	for (i = 0; i < list->count; i++) {
		const char *text;

		if (ynode_string(list->items[i], "a ref", &text, err) != 0)
			return -1;
		if (git_ref_check(text, err) != 0)
			return ynode_error(list->items[i], err, LADING_ERR_USAGE, "%s", err->msg);
		g->refs[g->ref_count++] = xstrdup(text);
	}
	return 0;
}

#define PARSE_SEQ(src, node, what, array, cnt, parse_one)                                                              \
	do {                                                                                                           \
		size_t i_;                                                                                             \
		if (ynode_expect(node, YNODE_SEQ, what, err) != 0)                                                     \
			return -1;                                                                                     \
		for (i_ = 0; i_ < (node)->count; i_++) {                                                               \
			(src)->array = grow_array((src)->array, (src)->cnt, sizeof(*(src)->array));                    \
			memset(&(src)->array[(src)->cnt], 0, sizeof(*(src)->array));                                   \
			if (parse_one(&(src)->array[(src)->cnt++], (node)->items[i_], err) != 0)                       \
				return -1;                                                                             \
		}                                                                                                      \
	} while (0)

int spec_sources_parse_charts(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	PARSE_SEQ(src, node, "charts", charts, chart_count, parse_chart);
	for (i = 0; i < src->chart_count; i++)
		for (j = 0; j < i; j++)
			if (strcmp(src->charts[i].key, src->charts[j].key) == 0)
				return lerr_set(err, LADING_ERR_USAGE, "%s:%d:%d: chart '%s' is listed twice",
						node->file, src->charts[i].line, src->charts[i].col,
						src->charts[i].key);
	return 0;
}

int spec_sources_parse_providers(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	PARSE_SEQ(src, node, "providers", providers, provider_count, parse_provider);
	return 0;
}

int spec_sources_parse_modules(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	if (ynode_expect(node, YNODE_SEQ, "modules", err) != 0)
		return -1;
	for (i = 0; i < node->count; i++) {
		const struct ynode *item = node->items[i];

		if (ynode_expect(item, YNODE_MAP, "a module", err) != 0)
			return -1;
		if (ynode_get(item, "git") != NULL) {
			if (parse_git_module(src, item, err) != 0)
				return -1;
			continue;
		}
		src->modules = grow_array(src->modules, src->module_count, sizeof(*src->modules));
		memset(&src->modules[src->module_count], 0, sizeof(*src->modules));
		if (parse_module(&src->modules[src->module_count++], item, err) != 0)
			return -1;
	}
	for (i = 0; i < src->module_count; i++)
		for (j = 0; j < i; j++)
			if (strcmp(src->modules[i].source, src->modules[j].source) == 0 &&
			    strcmp(src->modules[i].version ? src->modules[i].version : "",
				   src->modules[j].version ? src->modules[j].version : "") == 0)
				return lerr_set(err, LADING_ERR_USAGE, "%s:%d:%d: module '%s' is listed twice",
						node->file, src->modules[i].line, src->modules[i].col,
						src->modules[i].source);
	return 0;
}

int spec_sources_parse_git(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	PARSE_SEQ(src, node, "git", gits, git_count, parse_git);
	/* Names are file names in the bundle and paths under serve's /git/: two entries must not share one. */
	for (i = 0; i < src->git_count; i++)
		for (j = 0; j < i; j++)
			if (strcmp(src->gits[i].name, src->gits[j].name) == 0)
				return lerr_set(err, LADING_ERR_USAGE,
						"%s:%d:%d: git repository name '%s' of %s is also the name of %s "
						"(%s:%d:%d); give one of them 'name:'",
						node->file, src->gits[i].line, src->gits[i].col, src->gits[i].name,
						src->gits[i].url, src->gits[j].url, node->file, src->gits[j].line,
						src->gits[j].col);
	return 0;
}

int spec_sources_parse_files(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	PARSE_SEQ(src, node, "files", files, file_count, parse_file);
	return 0;
}

int spec_sources_any(const struct spec_sources *src)
{
	return src->chart_count + src->provider_count + src->module_count + src->git_count + src->file_count +
		   src->apt_count >
	       0;
}

void spec_sources_free(struct spec_sources *src)
{
	size_t i, j;

	for (i = 0; i < src->chart_count; i++) {
		free(src->charts[i].repo);
		free(src->charts[i].name);
		free(src->charts[i].oci);
		free(src->charts[i].version);
		free(src->charts[i].key);
		cvalue_free(src->charts[i].values);
		free(src->charts[i].values_origin);
	}
	for (i = 0; i < src->provider_count; i++) {
		free(src->providers[i].source);
		free(src->providers[i].version);
		for (j = 0; j < src->providers[i].platform_count; j++)
			free(src->providers[i].platforms[j]);
		free(src->providers[i].platforms);
	}
	for (i = 0; i < src->module_count; i++) {
		free(src->modules[i].source);
		free(src->modules[i].version);
	}
	for (i = 0; i < src->file_count; i++) {
		free(src->files[i].url);
		free(src->files[i].sha256);
		free(src->files[i].name);
	}
	for (i = 0; i < src->git_count; i++) {
		free(src->gits[i].url);
		free(src->gits[i].name);
		for (j = 0; j < src->gits[i].ref_count; j++)
			free(src->gits[i].refs[j]);
		free(src->gits[i].refs);
	}
	for (i = 0; i < src->apt_count; i++)
		spec_apt_free(&src->apts[i]);
	free(src->charts);
	free(src->providers);
	free(src->modules);
	free(src->files);
	free(src->gits);
	free(src->apts);
	memset(src, 0, sizeof(*src));
}
