/* charts:, providers:, modules:, files: in bundle create: requests from the spec and lading.lock, and the lock
 * afterwards. */
#include "bundle/sources.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/lock.h"
#include "images/ref.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The lock file as JSON (an empty object when it does not exist). */
static int lock_json(const char *path, json_t **out, struct lerr *err)
{
	struct buf text = BUF_INIT(BUNDLE_LOCK_MAX);
	json_error_t jerr;
	int r = -1;

	if (!fs_exists(path)) {
		*out = json_object();
		return 0;
	}
	if (fs_read_file(path, &text, err) != 0)
		goto out;
	*out = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		lerr_set(err, LADING_ERR_USAGE, "%s: not a lock file (delete it and run create again)", path);
		goto out;
	}
	r = 0;
out:
	buf_free(&text);
	return r;
}

/* The lock entry of section whose key equals value and whose constraint equals constraint. */
static json_t *lock_find(json_t *lock, const char *section, const char *key, const char *value, const char *constraint)
{
	json_t *list = json_object_get(lock, section);
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		json_t *item = json_array_get(list, i);
		const char *c = str(item, "constraint");

		if (str(item, key) != NULL && strcmp(str(item, key), value) == 0 && c != NULL &&
		    strcmp(c, constraint ? constraint : "") == 0)
			return item;
	}
	return NULL;
}

static int not_locked(const struct bundle_spec *spec, int line, int col, const char *what, const char *name,
		      struct lerr *err)
{
	return lerr_set(err, LADING_ERR_USAGE,
			"%s:%d:%d: %s '%s' is not in %s (run create without --locked to resolve it)", spec->path, line,
			col, what, name, BUNDLE_LOCK_NAME);
}

static int fetch_charts(struct bundle_spec *spec, const struct bundle_sources_opts *opts, json_t *lock,
			struct bundle_sources *out, struct lerr *err)
{
	const struct spec_sources *s = &spec->sources;
	struct chart_request *reqs = xcalloc(s->chart_count + 1, sizeof(*reqs));
	struct chart_fetch_opts copts = {opts->cache, &spec->registries, NULL, opts->locked, opts->lg};
	size_t i;
	int r = -1;

	for (i = 0; i < s->chart_count; i++) {
		const struct spec_chart *c = &s->charts[i];
		json_t *item = opts->locked ? lock_find(lock, "charts", "source", c->key, c->version) : NULL;

		reqs[i] = (struct chart_request){
		    c->repo, c->name, c->oci, c->version, NULL, NULL, c->images_from_charts, c->values};
		if (opts->locked && (item == NULL || str(item, "version") == NULL)) {
			not_locked(spec, c->line, c->col, "chart", c->key, err);
			goto out;
		}
		if (item != NULL) {
			reqs[i].locked_version = str(item, "version");
			reqs[i].locked_digest = str(item, "digest");
		}
	}
	if (charts_fetch(&copts, reqs, s->chart_count, &out->charts, err) != 0)
		goto out;
	out->chart_count = s->chart_count;
	r = 0;
out:
	free(reqs);
	return r;
}

static int fetch_providers(struct bundle_spec *spec, const struct bundle_sources_opts *opts, json_t *lock,
			   struct bundle_sources *out, struct lerr *err)
{
	const struct spec_sources *s = &spec->sources;
	struct provider_request *reqs = xcalloc(s->provider_count + 1, sizeof(*reqs));
	const char ***sums = xcalloc(s->provider_count + 1, sizeof(*sums));
	struct provider_fetch_opts popts = {opts->cache, &spec->registries, getenv("LADING_GPGV"), opts->locked,
					    opts->lg};
	size_t i, j;
	int r = -1;

	for (i = 0; i < s->provider_count; i++) {
		const struct spec_provider *p = &s->providers[i];
		json_t *item = opts->locked ? lock_find(lock, "providers", "source", p->source, p->version) : NULL;

		reqs[i].source = p->source;
		reqs[i].version = p->version;
		reqs[i].platforms = (const char *const *)p->platforms;
		reqs[i].platform_count = p->platform_count;
		if (opts->locked && (item == NULL || str(item, "version") == NULL)) {
			not_locked(spec, p->line, p->col, "provider", p->source, err);
			goto out;
		}
		if (item == NULL)
			continue;
		reqs[i].locked_version = str(item, "version");
		sums[i] = xcalloc(p->platform_count + 1, sizeof(char *));
		for (j = 0; j < p->platform_count; j++)
			sums[i][j] = str(json_object_get(item, "sha256"), p->platforms[j]);
		reqs[i].locked_sha256s = sums[i];
	}
	if (providers_fetch(&popts, reqs, s->provider_count, &out->providers, err) != 0)
		goto out;
	out->provider_count = s->provider_count;
	r = 0;
out:
	for (i = 0; i < s->provider_count; i++)
		free(sums[i]);
	free(sums);
	free(reqs);
	return r;
}

static int fetch_modules(struct bundle_spec *spec, const struct bundle_sources_opts *opts, json_t *lock,
			 struct bundle_sources *out, struct lerr *err)
{
	const struct spec_sources *s = &spec->sources;
	struct module_request *reqs = xcalloc(s->module_count + 1, sizeof(*reqs));
	struct git_fetch_opts gopts = {opts->cache, &spec->registries, opts->lg};
	struct module_fetch_opts mopts = {opts->cache, &spec->registries, opts->locked,
					  opts->lg,    git_module_tree,	  &gopts};
	size_t i;
	int r = -1;

	for (i = 0; i < s->module_count; i++) {
		const struct spec_module *m = &s->modules[i];
		json_t *item = opts->locked ? lock_find(lock, "modules", "source", m->source, m->version) : NULL;

		reqs[i].source = m->source;
		reqs[i].version = m->version;
		if (opts->locked && (item == NULL || str(item, "version") == NULL ||
				     (str(item, "sha256") == NULL && str(item, "commit") == NULL))) {
			not_locked(spec, m->line, m->col, "module", m->source, err);
			goto out;
		}
		if (item != NULL) {
			reqs[i].locked_version = str(item, "version");
			reqs[i].locked_sha256 = str(item, "sha256");
			reqs[i].locked_commit = str(item, "commit");
		}
	}
	if (modules_fetch(&mopts, reqs, s->module_count, &out->modules, err) != 0)
		goto out;
	out->module_count = s->module_count;
	r = 0;
out:
	free(reqs);
	return r;
}

static int fetch_files(struct bundle_spec *spec, const struct bundle_sources_opts *opts, struct bundle_sources *out,
		       struct lerr *err)
{
	const struct spec_sources *s = &spec->sources;
	struct file_request *reqs = xcalloc(s->file_count + 1, sizeof(*reqs));
	struct file_fetch_opts fopts = {opts->cache, &spec->registries, opts->update_hashes, opts->lg};
	size_t i;
	int r = -1;

	for (i = 0; i < s->file_count; i++) {
		reqs[i] = (struct file_request){s->files[i].url, s->files[i].sha256, s->files[i].name};
		if (reqs[i].sha256 == NULL && !opts->update_hashes) {
			lerr_set(err, LADING_ERR_USAGE,
				 "%s:%d:%d: file '%s' has no sha256 (bundle create --update-hashes fills it in)",
				 spec->path, s->files[i].line, s->files[i].col, s->files[i].url);
			goto out;
		}
	}
	if (files_fetch(&fopts, reqs, s->file_count, &out->files, err) != 0)
		goto out;
	out->file_count = s->file_count;
	r = 0;
out:
	free(reqs);
	return r;
}

static int fetch_apt(struct bundle_spec *spec, const struct bundle_sources_opts *opts, json_t *lock,
		     struct bundle_sources *out, struct lerr *err)
{
	struct apt_fetch_opts aopts = {opts->cache, &spec->registries, getenv("LADING_GPGV"), 1, 0, opts->lg};

	if (spec->sources.apt_count == 0)
		return 0;
	if (bundle_apt_fetch(spec->path, &spec->sources, &aopts, lock, opts->locked, &out->apts, err) != 0)
		return -1;
	out->apt_count = spec->sources.apt_count;
	return 0;
}

/* The lock entry of the git: repository with this url and name. */
static json_t *lock_find_git(json_t *lock, const struct spec_git *g)
{
	json_t *list = json_object_get(lock, "git");
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		json_t *item = json_array_get(list, i);

		if (str(item, "url") != NULL && strcmp(str(item, "url"), g->url) == 0 && str(item, "name") != NULL &&
		    strcmp(str(item, "name"), g->name) == 0 && json_is_object(json_object_get(item, "refs")))
			return item;
	}
	return NULL;
}

/* A ref as named in lading.yaml ("main", "v1", "refs/tags/v1") names the full ref. */
static int ref_names(const char *name, const char *full)
{
	return strcmp(full, name) == 0 || (strncmp(full, "refs/heads/", 11) == 0 && strcmp(full + 11, name) == 0) ||
	       (strncmp(full, "refs/tags/", 10) == 0 && strcmp(full + 10, name) == 0);
}

/* Each ref lading.yaml names is locked and, when it names any, each locked ref is one of them. */
static int refs_match_lock(const struct bundle_spec *spec, const struct spec_git *g, const struct git_ref_id *locked,
			   size_t count, struct lerr *err)
{
	size_t i, j;
	int found;

	for (i = 0; i < g->ref_count; i++) {
		for (j = 0, found = 0; j < count && !found; j++)
			found = ref_names(g->refs[i], locked[j].ref);
		if (!found)
			return not_locked(spec, g->line, g->col, "git ref", g->refs[i], err);
	}
	for (j = 0; j < count && g->ref_count > 0; j++) {
		for (i = 0, found = 0; i < g->ref_count && !found; i++)
			found = ref_names(g->refs[i], locked[j].ref);
		if (!found)
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d:%d: git repository '%s': %s is in %s but not in refs: (run create "
					"without --locked to lock what lading.yaml names)",
					spec->path, g->line, g->col, g->name, locked[j].ref, BUNDLE_LOCK_NAME);
	}
	return 0;
}

/* The locked refs of item into req (ids must look like object ids; gitcarry compares them with upstream). */
static int git_locked(const struct bundle_spec *spec, const struct spec_git *g, json_t *item, struct git_request *req,
		      struct git_ref_id **ids, struct lerr *err)
{
	json_t *refs = json_object_get(item, "refs"), *id;
	const char *ref;
	size_t n = 0;

	*ids = xcalloc(json_object_size(refs) + 1, sizeof(**ids));
	json_object_foreach(refs, ref, id)
	{
		if (!json_is_string(id) || json_string_length(id) > GIT_OID_MAX)
			return lerr_set(err, LADING_ERR_USAGE, "%s: git repository '%s': ref %s has no object id",
					BUNDLE_LOCK_NAME, g->name, ref);
		(*ids)[n].ref = (char *)ref;
		snprintf((*ids)[n].id, sizeof((*ids)[n].id), "%s", json_string_value(id));
		n++;
	}
	if (refs_match_lock(spec, g, *ids, n, err) != 0)
		return -1;
	req->locked = *ids;
	req->locked_count = n;
	req->locked_sha256 = str(item, "sha256");
	req->locked_head = str(item, "head");
	return 0;
}

static int fetch_gits(struct bundle_spec *spec, const struct bundle_sources_opts *opts, json_t *lock,
		      struct bundle_sources *out, struct lerr *err)
{
	const struct spec_sources *s = &spec->sources;
	struct git_request *reqs = xcalloc(s->git_count + 1, sizeof(*reqs));
	struct git_ref_id **ids = xcalloc(s->git_count + 1, sizeof(*ids));
	struct git_fetch_opts gopts = {opts->cache, &spec->registries, opts->lg};
	size_t i;
	int r = -1;

	for (i = 0; i < s->git_count; i++) {
		const struct spec_git *g = &s->gits[i];
		json_t *item = opts->locked ? lock_find_git(lock, g) : NULL;

		reqs[i] = (struct git_request){g->url, g->name, (const char *const *)g->refs, g->ref_count, NULL, 0,
					       NULL,   NULL};
		if (opts->locked && item == NULL) {
			not_locked(spec, g->line, g->col, "git repository", g->name, err);
			goto out;
		}
		if (item != NULL && git_locked(spec, g, item, &reqs[i], &ids[i], err) != 0)
			goto out;
	}
	if (git_fetch_all(&gopts, reqs, s->git_count, &out->gits, err) != 0)
		goto out;
	out->git_count = s->git_count;
	r = 0;
out:
	for (i = 0; i < s->git_count; i++)
		free(ids[i]);
	free(ids);
	free(reqs);
	return r;
}

static int listed(const struct bundle_spec *spec, const char *ref)
{
	size_t k;

	for (k = 0; k < spec->image_count; k++)
		if (strcmp(spec->images[k].ref, ref) == 0)
			return 1;
	return 0;
}

/* A chart's image must parse as create would fetch it; the message names the chart line and where it was found. */
static int check_ref(const struct bundle_spec *spec, const struct spec_chart *c, const struct chart_result *res,
		     size_t j, struct lerr *err)
{
	struct image_ref ref;

	if (image_ref_parse(res->images[j], &ref, err) != 0)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s:%d:%d: chart %s %s: image '%s' (%s) is not a valid reference", spec->path, c->line,
				c->col, res->name, res->version, res->images[j],
				res->image_sources ? res->image_sources[j] : "values.yaml");
	image_ref_free(&ref);
	return 0;
}

int bundle_sources_add_chart_images(struct bundle_spec *spec, const struct bundle_sources *src, struct lerr *err)
{
	size_t i, j;

	for (i = 0; i < src->chart_count; i++)
		for (j = 0; j < src->charts[i].image_count; j++) {
			const struct spec_chart *c = &spec->sources.charts[i];
			struct spec_image *img;

			if (check_ref(spec, c, &src->charts[i], j, err) != 0)
				return -1;
			if (listed(spec, src->charts[i].images[j]))
				continue;
			spec->images = grow_array(spec->images, spec->image_count, sizeof(*spec->images));
			img = &spec->images[spec->image_count++];
			memset(img, 0, sizeof(*img));
			img->ref = xstrdup(src->charts[i].images[j]);
			img->source =
			    xstrdup(src->charts[i].image_sources ? src->charts[i].image_sources[j] : "values.yaml");
			img->chart = i + 1;
			img->line = c->line;
			img->col = c->col;
		}
	return 0;
}

int bundle_sources_fetch(struct bundle_spec *spec, const struct bundle_sources_opts *opts, struct bundle_sources *out,
			 struct lerr *err)
{
	json_t *lock = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (!spec_sources_any(&spec->sources))
		return 0;
	if (lock_json(opts->lock_path, &lock, err) != 0)
		return -1;
	if (fetch_charts(spec, opts, lock, out, err) != 0 || fetch_providers(spec, opts, lock, out, err) != 0 ||
	    fetch_modules(spec, opts, lock, out, err) != 0 || fetch_files(spec, opts, out, err) != 0 ||
	    fetch_apt(spec, opts, lock, out, err) != 0 || fetch_gits(spec, opts, lock, out, err) != 0)
		goto out;
	if (bundle_sources_add_chart_images(spec, out, err) != 0)
		goto out;
	r = 0;
out:
	json_decref(lock);
	return r;
}

/* git: [{url, name, head, refs: {REF: ID}, sha256, size}], only when there are repositories. */
static json_t *lock_git(const struct bundle_sources *src)
{
	json_t *list = json_array();
	size_t i, j;

	for (i = 0; i < src->git_count; i++) {
		const struct git_result *g = &src->gits[i];
		json_t *refs = json_object();
		json_t *item = json_pack("{s:s, s:s, s:s, s:I}", "url", g->url, "name", g->name, "sha256", g->sha256,
					 "size", (json_int_t)g->size);

		for (j = 0; j < g->ref_count; j++)
			json_object_set_new(refs, g->refs[j].ref, json_string(g->refs[j].id));
		json_object_set_new(item, "refs", refs);
		if (g->head != NULL)
			json_object_set_new(item, "head", json_string(g->head));
		json_array_append_new(list, item);
	}
	return list;
}

static json_t *lock_sections(const struct bundle_spec *spec, const struct bundle_sources *src, json_t *root)
{
	json_t *charts = json_array(), *providers = json_array(), *modules = json_array(), *files = json_array();
	size_t i, j;

	for (i = 0; i < src->chart_count; i++) {
		const struct spec_chart *c = &spec->sources.charts[i];

		json_array_append_new(charts, json_pack("{s:s, s:s, s:s, s:s}", "source", c->key, "constraint",
							c->version ? c->version : "", "version", src->charts[i].version,
							"digest", src->charts[i].digest));
	}
	for (i = 0; i < src->provider_count; i++) {
		const struct spec_provider *p = &spec->sources.providers[i];
		json_t *sums = json_object();

		for (j = 0; j < src->providers[i].package_count; j++)
			json_object_set_new(sums, src->providers[i].packages[j].platform,
					    json_string(src->providers[i].packages[j].sha256));
		json_array_append_new(providers, json_pack("{s:s, s:s, s:s, s:o}", "source", p->source, "constraint",
							   p->version ? p->version : "", "version",
							   src->providers[i].version, "sha256", sums));
	}
	for (i = 0; i < src->module_count; i++) {
		const struct module_result *m = &src->modules[i];
		json_t *item =
		    json_pack("{s:s, s:s, s:s, s:s}", "source", spec->sources.modules[i].source, "constraint",
			      spec->sources.modules[i].version ? spec->sources.modules[i].version : "", "version",
			      m->version, "location", m->location);

		/* A git:: location is pinned by its commit; an archive by its bytes. */
		if (m->commit[0] != '\0')
			json_object_set_new(item, "commit", json_string(m->commit));
		else
			json_object_set_new(item, "sha256", json_string(m->sha256));

		if (m->subdir != NULL)
			json_object_set_new(item, "subdir", json_string(m->subdir));
		json_array_append_new(modules, item);
	}
	for (i = 0; i < src->file_count; i++)
		json_array_append_new(files, json_pack("{s:s, s:s, s:s}", "url", src->files[i].url, "name",
						       src->files[i].name, "sha256", src->files[i].sha256));
	json_object_set_new(root, "charts", charts);
	json_object_set_new(root, "providers", providers);
	if (src->module_count > 0)
		json_object_set_new(root, "modules", modules);
	else
		json_decref(modules);
	if (src->git_count > 0)
		json_object_set_new(root, "git", lock_git(src));
	else
		json_object_del(root, "git"); /* none left in lading.yaml: no stale ids */
	json_object_set_new(root, "files", files);
	json_object_set_new(root, "packages", bundle_apt_lock_section(&spec->sources, src->apts));
	return root;
}

int bundle_sources_lock_save(const char *lock_path, const struct bundle_spec *spec, const struct bundle_sources *src,
			     struct lerr *err)
{
	json_t *root = NULL;
	char *text = NULL;
	int r = -1;

	if (!spec_sources_any(&spec->sources))
		return 0;
	if (lock_json(lock_path, &root, err) != 0)
		return -1;
	lock_sections(spec, src, root);
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot serialise the lock", lock_path);
		goto out;
	}
	r = fs_write_file(lock_path, text, strlen(text), 0644, err);
out:
	free(text);
	json_decref(root);
	return r;
}

void bundle_sources_free(struct bundle_sources *src)
{
	chart_results_free(src->charts, src->chart_count);
	provider_results_free(src->providers, src->provider_count);
	module_results_free(src->modules, src->module_count);
	file_results_free(src->files, src->file_count);
	bundle_apt_results_free(src->apts, src->apt_count);
	git_results_free(src->gits, src->git_count);
	memset(src, 0, sizeof(*src));
}
