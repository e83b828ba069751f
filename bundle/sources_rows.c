#define _GNU_SOURCE /* mkdtemp */
/* The charts/, providers/, modules/, files/ and git/ rows of lading.json, and --update-hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/sources.h"
#include "charts/repo_write.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "providers/mirror.h"

#define MIRROR_JSON_MAX (16u << 20)

static char *swap_plus(const char *version)
{
	char *tag = xstrdup(version), *p;

	for (p = tag; *p; p++)
		if (*p == '+')
			*p = '_';
	return tag;
}

void bundle_sources_oci_results(const struct bundle_sources *src, struct image_result **out, size_t *count)
{
	struct image_result *res = xcalloc(src->chart_count + 1, sizeof(*res));
	size_t i;

	for (i = 0; i < src->chart_count; i++) {
		const struct chart_result *c = &src->charts[i];
		char *tag = swap_plus(c->version);

		res[i].ref = xasprintf("charts/%s:%s", c->name, tag);
		res[i].media_type = xstrdup(CHART_MANIFEST_MEDIA_TYPE);
		snprintf(res[i].digest, sizeof(res[i].digest), "%s", c->manifest_digest);
		res[i].size = c->manifest_size;
		res[i].blobs = xcalloc(3, sizeof(char *));
		res[i].blobs[0] = xstrdup(c->manifest_digest);
		res[i].blobs[1] = xstrdup(c->config_digest);
		res[i].blobs[2] = xstrdup(c->digest);
		res[i].blob_count = 3;
		res[i].total_size = c->manifest_size + c->config_size + c->size;
		free(tag);
	}
	*out = res;
	*count = src->chart_count;
}

static void add_file_row(struct bundle_manifest *m, const char *path, const char *cache, const char *hex, uint64_t size,
			 const char *kind, const char *ref)
{
	char *source = urlstore_path(cache, hex);
	struct bundle_entry *e = bundle_manifest_add_entry(m, path, size, hex, kind, ref);

	bundle_entry_set_file(e, source);
	free(source);
}

static void add_data_row(struct bundle_manifest *m, const char *path, const char *data, size_t len, const char *kind,
			 const char *ref)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(data, len, hex);
	bundle_entry_set_data(bundle_manifest_add_entry(m, path, len, hex, kind, ref), data, len);
}

static int add_charts(struct bundle_manifest *m, const struct bundle_sources *src, const char *cache, int64_t created,
		      struct lerr *err)
{
	struct chart_repo_entry *entries = xcalloc(src->chart_count + 1, sizeof(*entries));
	struct buf index = BUF_INIT(0);
	size_t i, j;

	for (i = 0; i < src->chart_count; i++) {
		const struct chart_result *c = &src->charts[i];
		char *archive = chart_repo_archive_name(c->name, c->version), *path = xasprintf("charts/%s", archive);

		for (j = 0; j < i; j++)
			if (strcmp(c->name, src->charts[j].name) == 0 &&
			    strcmp(c->version, src->charts[j].version) == 0) {
				free(archive);
				free(path);
				free(entries);
				return lerr_set(err, LADING_ERR_USAGE, "chart %s %s comes from two sources (%s, %s)",
						c->name, c->version, src->charts[j].source, c->source);
			}
		add_file_row(m, path, cache, c->digest + 7, c->size, BUNDLE_KIND_CHART, c->source);
		entries[i] = (struct chart_repo_entry){c->name, c->version, c->app_version, NULL, NULL, c->digest + 7};
		free(archive);
		free(path);
	}
	if (src->chart_count > 0) {
		chart_repo_index_render(entries, src->chart_count, created, &index);
		add_data_row(m, "charts/index.yaml", index.data, index.len, BUNDLE_KIND_CHART, NULL);
	}
	buf_free(&index);
	free(entries);
	return 0;
}

/* Links (or copies) a stored zip into the staging mirror. */
static int stage_zip(const char *cache, const char *hex, const char *path, struct lerr *err)
{
	char *source = urlstore_path(cache, hex);
	int r = 0;

	if (link(source, path) != 0) {
		struct buf data = BUF_INIT(0);

		/* Another filesystem: the JSON writer only needs the bytes. */
		r = fs_read_file(source, &data, err) == 0 ? fs_write_file(path, data.data, data.len, 0644, err) : -1;
		buf_free(&data);
	}
	free(source);
	return r;
}

static int add_mirror_json(struct bundle_manifest *m, const char *stage, const char *rel, const char *name,
			   const char *ref, struct lerr *err)
{
	char *file = xasprintf("%s/%s/%s", stage, rel, name), *path = xasprintf("providers/%s/%s", rel, name);
	struct buf text = BUF_INIT(MIRROR_JSON_MAX);
	int r = fs_read_file(file, &text, err);

	if (r == 0)
		add_data_row(m, path, text.data ? text.data : "", text.len, BUNDLE_KIND_PROVIDER, ref);
	buf_free(&text);
	free(file);
	free(path);
	return r;
}

/* One provider: its zips, and the mirror JSON provider_mirror_write_json makes in a staging copy. */
static int add_provider(struct bundle_manifest *m, const struct provider_result *p, const char *cache,
			const char *stage, struct lerr *err)
{
	char *rel = xasprintf("%s/%s/%s", p->host, p->namespace, p->type), *dir = xasprintf("%s/%s", stage, rel);
	char *ref = xasprintf("%s %s", rel, p->version), *version_json = xasprintf("%s.json", p->version);
	size_t i;
	int r = -1;

	if (fs_mkdir_p(dir, err) != 0)
		goto out;
	for (i = 0; i < p->package_count; i++) {
		char *path = xasprintf("providers/%s/%s", rel, p->packages[i].filename);
		char *staged = xasprintf("%s/%s", dir, p->packages[i].filename);
		int ok = fs_exists(staged) || stage_zip(cache, p->packages[i].sha256, staged, err) == 0;

		if (ok)
			add_file_row(m, path, cache, p->packages[i].sha256, p->packages[i].size, BUNDLE_KIND_PROVIDER,
				     ref);
		free(path);
		free(staged);
		if (!ok)
			goto out;
	}
	if (provider_mirror_write_json(dir, p->type, err) != 0 ||
	    add_mirror_json(m, stage, rel, version_json, ref, err) != 0)
		goto out;
	r = 0;
out:
	free(rel);
	free(dir);
	free(ref);
	free(version_json);
	return r;
}

/* index.json per HOST/NS/TYPE, after every version of it is staged. */
static int add_provider_indexes(struct bundle_manifest *m, const struct bundle_sources *src, const char *stage,
				struct lerr *err)
{
	size_t i, j;

	for (i = 0; i < src->provider_count; i++) {
		const struct provider_result *p = &src->providers[i];
		char *rel = xasprintf("%s/%s/%s", p->host, p->namespace, p->type);
		int seen = 0, r = 0;

		for (j = 0; j < i; j++)
			seen |= strcmp(p->host, src->providers[j].host) == 0 &&
				strcmp(p->namespace, src->providers[j].namespace) == 0 &&
				strcmp(p->type, src->providers[j].type) == 0;
		if (!seen)
			r = add_mirror_json(m, stage, rel, "index.json", NULL, err);
		free(rel);
		if (r != 0)
			return -1;
	}
	return 0;
}

static int add_providers(struct bundle_manifest *m, const struct bundle_sources *src, const char *cache,
			 struct lerr *err)
{
	char *stage = xasprintf("%s/.mirror-XXXXXX", cache);
	size_t i;
	int r = -1;

	if (src->provider_count == 0) {
		free(stage);
		return 0;
	}
	if (mkdtemp(stage) == NULL) {
		lerr_sys(err, "cannot create a directory in '%s'", cache);
		free(stage);
		return -1;
	}
	for (i = 0; i < src->provider_count; i++)
		if (add_provider(m, &src->providers[i], cache, stage, err) != 0)
			goto out;
	r = add_provider_indexes(m, src, stage, err);
out:
	fs_remove_tree(stage, NULL);
	free(stage);
	return r;
}

/* Serve answers /v1/modules/NS/NAME/SYSTEM without the host: two hosts may not share one. */
static int module_clash(const struct module_result *a, const struct module_result *b, struct lerr *err)
{
	if (strcmp(a->namespace, b->namespace) != 0 || strcmp(a->name, b->name) != 0 ||
	    strcmp(a->system, b->system) != 0 || strcmp(a->host, b->host) == 0)
		return 0;
	return lerr_set(err, LADING_ERR_USAGE,
			"modules %s/%s/%s/%s and %s/%s/%s/%s share NAMESPACE/NAME/SYSTEM, which serve answers for one "
			"host only: carry one of them",
			b->host, b->namespace, b->name, b->system, a->host, a->namespace, a->name, a->system);
}

/* modules/HOST/NS/NAME/SYSTEM/VERSION.tar.gz, the normalized archives (one row per module version). */
static int add_modules(struct bundle_manifest *m, const struct bundle_sources *src, const char *cache, struct lerr *err)
{
	size_t i, j;

	for (i = 0; i < src->module_count; i++) {
		const struct module_result *mod = &src->modules[i];
		char *rel = xasprintf("%s/%s/%s/%s", mod->host, mod->namespace, mod->name, mod->system), *path, *ref;
		int seen = 0;

		for (j = 0; j < i; j++) {
			if (module_clash(mod, &src->modules[j], err) != 0) {
				free(rel);
				return -1;
			}
			seen |= strcmp(mod->host, src->modules[j].host) == 0 &&
				strcmp(mod->version, src->modules[j].version) == 0 &&
				strcmp(mod->namespace, src->modules[j].namespace) == 0 &&
				strcmp(mod->name, src->modules[j].name) == 0 &&
				strcmp(mod->system, src->modules[j].system) == 0;
		}
		path = xasprintf("modules/%s/%s.tar.gz", rel, mod->version);
		ref = xasprintf("%s %s", rel, mod->version);
		if (!seen)
			add_file_row(m, path, cache, mod->tgz_sha256, mod->tgz_size, BUNDLE_KIND_MODULE, ref);
		free(rel);
		free(path);
		free(ref);
	}
	return 0;
}

/* apt/NAME/PATH for every file of every package source; .debs named by package, the rest are its indexes. */
static void add_apt(struct bundle_manifest *m, const struct bundle_sources *src, const struct spec_sources *spec,
		    const char *cache)
{
	size_t i, j, k;

	for (i = 0; i < src->apt_count; i++)
		for (j = 0; j < src->apts[i].file_count; j++) {
			const struct apt_file *f = &src->apts[i].files[j];
			char *path = xasprintf("apt/%s/%s", spec->apts[i].name, f->path), *ref = NULL;

			for (k = 0; k < src->apts[i].package_count && ref == NULL; k++) {
				const struct apt_package *p = &src->apts[i].packages[k];

				if (strcmp(p->filename, f->path) == 0)
					ref = xasprintf("%s %s %s", p->name, p->version, p->arch);
			}
			add_file_row(m, path, cache, f->sha256, f->size,
				     ref != NULL ? BUNDLE_KIND_PACKAGE : BUNDLE_KIND_APT_INDEX,
				     ref != NULL ? ref : spec->apts[i].url);
			free(path);
			free(ref);
		}
}

int bundle_sources_add_rows(struct bundle_manifest *m, const struct bundle_sources *src,
			    const struct spec_sources *spec, const char *cache, int64_t created, struct lerr *err)
{
	size_t i;

	if (add_charts(m, src, cache, created, err) != 0 || add_providers(m, src, cache, err) != 0 ||
	    add_modules(m, src, cache, err) != 0)
		return -1;
	for (i = 0; i < src->file_count; i++) {
		char *path = xasprintf("files/%s", src->files[i].name);

		add_file_row(m, path, cache, src->files[i].sha256, src->files[i].size, BUNDLE_KIND_FILE,
			     src->files[i].url);
		free(path);
	}
	add_apt(m, src, spec, cache);
	for (i = 0; i < src->git_count; i++) {
		char *path = xasprintf("git/%s.bundle", src->gits[i].name), *ref = git_row_ref(&src->gits[i]);

		add_file_row(m, path, cache, src->gits[i].sha256, src->gits[i].size, BUNDLE_KIND_GIT, ref);
		free(path);
		free(ref);
	}
	return 0;
}

/* Inserts "sha256: HEX" lines (bottom up, so earlier line numbers stay right). */
static int insert_hashes(const struct bundle_spec *spec, const struct bundle_sources *src, struct buf *out,
			 struct lerr *err)
{
	const char *text = spec->text;
	int line = 1;
	size_t i;

	for (; *text; line++) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text + 1) : strlen(text);

		buf_add(out, text, len, NULL);
		if (eol == NULL)
			buf_puts(out, "\n");
		for (i = 0; i < src->file_count; i++) {
			const struct spec_file *f = &spec->sources.files[i];

			if (!src->files[i].hash_was_missing || f->url_line != line)
				continue;
			if (memchr(text, '{', len) != NULL)
				return lerr_set(err, LADING_ERR_USAGE,
						"%s:%d: file '%s' is a flow mapping: add 'sha256: %s' by hand",
						spec->path, line, f->url, src->files[i].sha256);
			buf_printf(out, "%*ssha256: %s\n", f->col - 1, "", src->files[i].sha256);
		}
		text += len;
	}
	return 0;
}

int bundle_sources_update_hashes(const struct bundle_spec *spec, const struct bundle_sources *src, struct lerr *err)
{
	struct buf out = BUF_INIT(0);
	size_t i;
	int missing = 0, r = -1;

	for (i = 0; i < src->file_count; i++)
		missing += src->files[i].hash_was_missing;
	if (missing == 0)
		return 0;
	if (insert_hashes(spec, src, &out, err) != 0)
		goto out;
	r = fs_write_file(spec->path, out.data, out.len, 0644, err);
out:
	buf_free(&out);
	return r;
}
