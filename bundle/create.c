/* bundle create: the one place that ties spec, lock, cache, fetch and writer together. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bundle/cache.h"
#include "bundle/image_list.h"
#include "bundle/create.h"
#include "bundle/layout.h"
#include "bundle/lock.h"
#include "bundle/base.h"
#include "bundle/format/manifest.h"
#include "bundle/sources.h"
#include "bundle/spec.h"
#include "images/fetch.h"
#include "images/ref.h"
#include "lib/version.h"
#include "lib/xmalloc.h"

/* SOURCE_DATE_EPOCH (reproducible-builds.org) or now. */
static int created_time(int64_t *out, struct lerr *err)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long value;

	if (env == NULL || env[0] == '\0') {
		*out = (int64_t)time(NULL);
		return 0;
	}
	errno = 0;
	value = strtoll(env, &end, 10);
	if (errno != 0 || *end != '\0' || value < 0 || value > 253402300799LL)
		return lerr_set(err, LADING_ERR_USAGE, "SOURCE_DATE_EPOCH '%s' is not a number of seconds", env);
	*out = value;
	return 0;
}

static int output_dir_exists(const char *out_path, struct lerr *err)
{
	char *copy = xstrdup(out_path);
	const char *dir = dirname(copy);
	struct stat st;
	int r = 0;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		r = lerr_set(err, LADING_ERR_USAGE, "cannot write '%s': directory '%s' does not exist", out_path, dir);
	free(copy);
	return r;
}

int bundle_create_load_spec(const char *path, const char *images_file, struct bundle_spec *spec, struct lerr *err)
{
	size_t i;

	if (bundle_spec_load(path, spec, err) != 0 || bundle_image_lists_add(spec, images_file, err) != 0) {
		return lerr_input(err); /* a broken spec is bad input: exit 2 */
	}
	for (i = 0; i < spec->image_count; i++) {
		const struct spec_image *img = &spec->images[i];
		struct image_ref ref;

		if (image_ref_parse(img->ref, &ref, err) != 0) {
			if (img->source != NULL)
				return lerr_set(err, LADING_ERR_USAGE, "%s: image '%s' is not a valid reference",
						img->source, img->ref);
			return lerr_set(err, LADING_ERR_USAGE, "%s:%d:%d: image '%s' is not a valid reference", path,
					img->line, img->col, img->ref);
		}
		image_ref_free(&ref);
	}
	if (spec->image_count == 0 && !spec_sources_any(&spec->sources))
		return lerr_set(err, LADING_ERR_USAGE, "%s: nothing to bundle: list images, charts, providers or files",
				path);
	return 0;
}

/* One request per spec image; with locked, each must have its digest in the lock. */
static int build_requests(const struct bundle_spec *spec, const struct bundle_lock *lock, int locked,
			  char *const *platforms, struct image_request **out, struct lerr *err)
{
	struct image_request *reqs = xcalloc(spec->image_count, sizeof(*reqs));
	size_t i;

	for (i = 0; i < spec->image_count; i++) {
		const struct spec_image *img = &spec->images[i];

		reqs[i].ref = img->ref;
		reqs[i].platforms = (const char *const *)img->platforms;
		reqs[i].platform_count = img->platform_count;
		if (img->platform_count == 0 && platforms != NULL) {
			reqs[i].platforms = (const char *const *)platforms;
			while (platforms[reqs[i].platform_count] != NULL)
				reqs[i].platform_count++;
		}
		if (locked && (reqs[i].locked_digest = bundle_lock_find(lock, img->ref)) == NULL) {
			free(reqs);
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d:%d: image '%s' is not in %s (run create without --locked to resolve it)",
					spec->path, img->line, img->col, img->ref, BUNDLE_LOCK_NAME);
		}
	}
	*out = reqs;
	return 0;
}

static void init_manifest(struct bundle_manifest *m, const struct bundle_spec *spec, int64_t created)
{
	memset(m, 0, sizeof(*m));
	m->format = BUNDLE_FORMAT_VERSION;
	m->name = xstrdup(spec->name);
	m->created = created;
	m->tool = xstrdup("lading " LADING_VERSION);
	m->spec = xstrdup(spec->text);
}

static int save_lock(const char *lock_path, const struct bundle_spec *spec, const struct image_result *results,
		     struct lerr *err)
{
	struct bundle_lock lock = {NULL, 0};
	size_t i;
	int r;

	for (i = 0; i < spec->image_count; i++)
		bundle_lock_set(&lock, spec->images[i].ref,
				results[i].resolved_digest ? results[i].resolved_digest : results[i].digest);
	r = bundle_lock_save(lock_path, &lock, err);
	bundle_lock_free(&lock);
	return r;
}

static void fill_result(struct bundle_create_result *result, char **out_path, const struct bundle_manifest *m)
{
	struct stat st;
	size_t i;

	memset(result, 0, sizeof(*result));
	result->out_path = *out_path;
	*out_path = NULL;
	result->image_count = m->image_count;
	result->entry_count = m->entry_count;
	for (i = 0; i < m->entry_count; i++)
		result->content_bytes += m->entries[i].size;
	if (stat(result->out_path, &st) == 0)
		result->file_bytes = (uint64_t)st.st_size;
}

/* Everything one create run holds; freed in one place. */
struct create_run {
	struct bundle_spec spec;
	struct bundle_lock lock;
	struct bundle_manifest manifest;
	struct image_request *reqs;
	struct image_result *results;
	struct bundle_sources sources; /* charts, providers, files (bundle/sources.c) */
	char *out_path;
	char *lock_path;
	char *cache;
	int64_t created;
	struct bundle_manifest base; /* --since: the bundle this one is a delta on */
	char base_digest[BUNDLE_BASE_DIGEST_LEN];
};

/* Charts first: images_from_charts adds to the image list. */
static int fetch_sources(struct create_run *run, const struct bundle_create_opts *opts, struct lerr *err)
{
	struct bundle_sources_opts sopts = {run->cache, run->lock_path, opts->locked, opts->update_hashes, opts->lg};

	return bundle_sources_fetch(&run->spec, &sopts, &run->sources, err);
}

static int prepare(struct create_run *run, const struct bundle_create_opts *opts, struct lerr *err)
{
	if (created_time(&run->created, err) != 0 ||
	    bundle_create_load_spec(opts->spec_path, opts->images_file, &run->spec, err) != 0)
		return -1;
	run->out_path = opts->out_path ? xstrdup(opts->out_path) : xasprintf("%s.tar.zst", run->spec.name);
	run->lock_path = bundle_lock_path(opts->spec_path);
	if (output_dir_exists(run->out_path, err) != 0)
		return -1;
	if (bundle_lock_load(run->lock_path, opts->locked, &run->lock, err) != 0) {
		return lerr_input(err);
	}
	if (bundle_cache_dir(&run->cache, err) != 0 || fetch_sources(run, opts, err) != 0)
		return -1;
	return build_requests(&run->spec, &run->lock, opts->locked, opts->platforms, &run->reqs, err);
}

static int fetch(struct create_run *run, const struct bundle_create_opts *opts, struct lerr *err)
{
	struct image_fetch_opts fetch;

	memset(&fetch, 0, sizeof(fetch));
	fetch.store_dir = run->cache;
	fetch.registries = &run->spec.registries;
	fetch.jobs = opts->jobs ? opts->jobs : 4;
	fetch.locked = opts->locked;
	fetch.lg = opts->lg;
	log_msg(opts->lg, LOG_VERBOSE, "%s: %zu image%s, cache %s%s", opts->spec_path, run->spec.image_count,
		run->spec.image_count == 1 ? "" : "s", run->cache, opts->locked ? ", locked" : "");
	if (run->spec.image_count == 0)
		return 0;
	return images_fetch(&fetch, run->reqs, run->spec.image_count, &run->results, err);
}

/* oci/: the images, then the charts as OCI artifacts (so `bundle push` can push them). */
static int add_layout(struct create_run *run, struct lerr *err)
{
	struct image_result *charts = NULL, *all;
	size_t chart_count = 0, n = run->spec.image_count;
	int r;

	bundle_sources_oci_results(&run->sources, &charts, &chart_count);
	all = xcalloc(n + chart_count + 1, sizeof(*all));
	if (n > 0)
		memcpy(all, run->results, n * sizeof(*all));
	if (chart_count > 0)
		memcpy(all + n, charts, chart_count * sizeof(*all));
	r = bundle_layout_add_images(&run->manifest, run->cache, all, n + chart_count, err);
	free(all);
	image_results_free(charts, chart_count);
	return r;
}

/* Each image row says where the spec named it (lading.json's optional images[].origin, shown by inspect). */
static void set_origins(struct create_run *run)
{
	size_t i, k;

	for (i = 0; i < run->spec.image_count; i++) {
		const struct spec_image *img = &run->spec.images[i];
		struct image_ref ref;
		struct lerr ignored;
		char *normal;

		if (image_ref_parse(img->ref, &ref, &ignored) != 0)
			continue;
		normal = image_ref_string(&ref);
		image_ref_free(&ref);
		for (k = 0; k < run->manifest.image_count; k++) {
			struct bundle_image *row = &run->manifest.images[k];

			if (row->origin != NULL || (strcmp(row->ref, normal) != 0 && strcmp(row->ref, img->ref) != 0))
				continue;
			if (img->chart == 0 && img->source != NULL)
				row->origin = xstrdup(img->source);
			else
				row->origin =
				    img->chart == 0
					? xasprintf("%s:%d:%d", run->spec.path, img->line, img->col)
					: xasprintf("chart %s %s %s", run->sources.charts[img->chart - 1].name,
						    run->sources.charts[img->chart - 1].version, img->source);
		}
		free(normal);
	}
}

static int write_bundle(struct create_run *run, const struct bundle_create_opts *opts, struct lerr *err)
{
	struct bundle_write_opts wopts;

	init_manifest(&run->manifest, &run->spec, run->created);
	if (add_layout(run, err) != 0)
		return -1;
	set_origins(run);
	if (bundle_sources_add_rows(&run->manifest, &run->sources, &run->spec.sources, run->cache, run->created, err) !=
		0 ||
	    bundle_manifest_sort(&run->manifest, err) != 0)
		return -1;
	memset(&wopts, 0, sizeof(wopts));
	wopts.level = opts->level;
	wopts.sign = opts->sign;
	wopts.sign_ctx = opts->sign_ctx;
	wopts.lg = opts->lg;
	if (opts->since != NULL) {
		struct bundle_base_savings saved;
		char bytes[32];

		bundle_base_apply(&run->manifest, &run->base, run->base_digest, &saved);
		log_format_bytes(saved.bytes, bytes, sizeof(bytes));
		log_msg(opts->lg, LOG_INFO, "%s: a delta on %s (%s): %zu entries (%s) left to it", run->out_path,
			opts->since, run->base.name, saved.entries, bytes);
	}
	log_msg(opts->lg, LOG_VERBOSE, "%s: writing %zu entries", run->out_path, run->manifest.entry_count);
	return bundle_write(run->out_path, &run->manifest, &wopts, err);
}

int bundle_create(const struct bundle_create_opts *opts, struct bundle_create_result *result, struct lerr *err)
{
	struct create_run run;
	int r = -1;

	memset(&run, 0, sizeof(run));
	/* Read first: a wrong --since should not cost a download. */
	if (opts->since != NULL && bundle_base_load(opts->since, &run.base, run.base_digest, err) != 0) {
		lerr_prefix(err, "--since");
		goto out;
	}
	if (prepare(&run, opts, err) != 0 || fetch(&run, opts, err) != 0 || write_bundle(&run, opts, err) != 0)
		goto out;
	if (!opts->locked && (save_lock(run.lock_path, &run.spec, run.results, err) != 0 ||
			      bundle_sources_lock_save(run.lock_path, &run.spec, &run.sources, err) != 0))
		goto out;
	if (opts->update_hashes && bundle_sources_update_hashes(&run.spec, &run.sources, err) != 0)
		goto out;
	fill_result(result, &run.out_path, &run.manifest);
	r = 0;
out:
	if (run.results != NULL)
		image_results_free(run.results, run.spec.image_count);
	bundle_sources_free(&run.sources);
	bundle_manifest_free(&run.manifest);
	bundle_manifest_free(&run.base);
	bundle_lock_free(&run.lock);
	bundle_spec_free(&run.spec);
	free(run.reqs);
	free(run.cache);
	free(run.lock_path);
	free(run.out_path);
	return r;
}

void bundle_create_result_free(struct bundle_create_result *result)
{
	if (result == NULL)
		return;
	free(result->out_path);
	result->out_path = NULL;
}
