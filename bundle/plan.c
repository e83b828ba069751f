#include "bundle/plan.h"

#include <stdlib.h>
#include <string.h>

#include "bundle/cache.h"
#include "bundle/create.h"
#include "bundle/sources.h"
#include "bundle/sources_apt.h"
#include "bundle/spec.h"
#include "charts/fetch.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

static void add_item(struct bundle_plan *plan, char *line, char *ref, char *source)
{
	plan->lines = grow_array(plan->lines, plan->count, sizeof(*plan->lines));
	plan->refs = grow_array(plan->refs, plan->count, sizeof(*plan->refs));
	plan->sources = grow_array(plan->sources, plan->count, sizeof(*plan->sources));
	plan->lines[plan->count] = line;
	plan->refs[plan->count] = ref;
	plan->sources[plan->count++] = source;
}

static void add_line(struct bundle_plan *plan, char *line)
{
	add_item(plan, line, NULL, NULL);
}

/* The images of chart (1 + its index; 0: those listed in the spec), each with where it came from. */
static void add_images(const struct bundle_spec *spec, const struct chart_result *res, size_t chart,
		       struct bundle_plan *plan)
{
	size_t i;

	for (i = 0; i < spec->image_count; i++) {
		const struct spec_image *img = &spec->images[i];
		char *source;

		if (img->chart != chart)
			continue;
		if (chart == 0 && img->source != NULL)
			source = xstrdup(img->source);
		else if (chart == 0)
			source = xasprintf("%s:%d:%d", spec->path, img->line, img->col);
		else
			source = xasprintf("chart %s %s %s", res[chart - 1].name, res[chart - 1].version, img->source);
		add_item(plan,
			 chart == 0 ? xasprintf("image %s (%s)", img->ref, source)
				    : xasprintf("image %s (from chart %s %s: %s)", img->ref, res[chart - 1].name,
						res[chart - 1].version, img->source),
			 xstrdup(img->ref), source);
	}
}

static void add_charts(const struct bundle_spec *spec, const struct chart_result *res, struct bundle_plan *plan)
{
	size_t i;

	for (i = 0; i < spec->sources.chart_count; i++) {
		add_line(plan, xasprintf("chart %s %s %s", res[i].name, res[i].version, res[i].source));
		add_images(spec, res, i + 1, plan);
	}
}

static void add_rest(const struct bundle_spec *spec, struct bundle_plan *plan)
{
	const struct spec_sources *s = &spec->sources;
	size_t i, j;

	for (i = 0; i < s->provider_count; i++) {
		struct buf platforms = BUF_INIT(0);

		for (j = 0; j < s->providers[i].platform_count; j++)
			buf_printf(&platforms, "%s%s", j ? "," : "", s->providers[i].platforms[j]);
		add_line(plan, xasprintf("provider %s %s %s", s->providers[i].source,
					 s->providers[i].version ? s->providers[i].version : "(newest)",
					 platforms.len ? platforms.data : "linux_amd64"));
		buf_free(&platforms);
	}
	for (i = 0; i < s->module_count; i++)
		add_line(plan, xasprintf("module %s %s", s->modules[i].source,
					 s->modules[i].version ? s->modules[i].version : "(newest)"));
	for (i = 0; i < s->file_count; i++)
		add_line(plan, xasprintf("file %s %s", s->files[i].name ? s->files[i].name : "-", s->files[i].url));
	/* No git runs for a dry run: the refs as written (resolved at create). */
	for (i = 0; i < s->git_count; i++) {
		struct buf refs = BUF_INIT(0);

		for (j = 0; j < s->gits[i].ref_count; j++)
			buf_printf(&refs, "%s%s", j ? "," : "", s->gits[i].refs[j]);
		add_line(plan, xasprintf("git %s %s %s", s->gits[i].name, s->gits[i].url,
					 refs.len ? refs.data : "(all branches and tags)"));
		buf_free(&refs);
	}
}

/* Resolves each package source without downloading a .deb: one line per package it would carry. */
static int add_packages(const struct bundle_spec *spec, const char *cache, const struct logger *lg,
			struct bundle_plan *plan, struct lerr *err)
{
	struct apt_fetch_opts aopts = {cache, &spec->registries, getenv("LADING_GPGV"), 0, 0, lg};
	struct apt_source_result *res = NULL;
	size_t i, j;

	if (spec->sources.apt_count == 0)
		return 0;
	if (bundle_apt_fetch(spec->path, &spec->sources, &aopts, NULL, 0, &res, err) != 0)
		return -1;
	for (i = 0; i < spec->sources.apt_count; i++)
		for (j = 0; j < res[i].package_count; j++)
			add_line(plan,
				 xasprintf("package %s %s %s %s", res[i].packages[j].name, res[i].packages[j].version,
					   res[i].packages[j].arch, spec->sources.apts[i].name));
	bundle_apt_results_free(res, spec->sources.apt_count);
	return 0;
}

int bundle_plan_build(const char *spec_path, const char *images_file, const struct logger *lg, struct bundle_plan *plan,
		      struct lerr *err)
{
	struct bundle_spec spec = {0};
	struct chart_request *reqs = NULL;
	struct chart_result *res = NULL;
	char *cache = NULL;
	size_t i, n = 0;
	int r = -1;

	memset(plan, 0, sizeof(*plan));
	if (bundle_create_load_spec(spec_path, images_file, &spec, err) != 0)
		goto out;
	n = spec.sources.chart_count;
	add_images(&spec, NULL, 0, plan);
	reqs = xcalloc(n + 1, sizeof(*reqs));
	for (i = 0; i < n; i++) {
		const struct spec_chart *c = &spec.sources.charts[i];

		reqs[i] = (struct chart_request){
		    c->repo, c->name, c->oci, c->version, NULL, NULL, c->images_from_charts, c->values};
	}
	if ((n > 0 || spec.sources.apt_count > 0) && bundle_cache_dir(&cache, err) != 0)
		goto out;
	if (n > 0) {
		struct chart_fetch_opts copts = {NULL, &spec.registries, NULL, 0, lg};
		struct bundle_sources src = {0};

		copts.store_dir = cache;
		if (charts_fetch(&copts, reqs, n, &res, err) != 0)
			goto out;
		src.charts = res;
		src.chart_count = n;
		if (bundle_sources_add_chart_images(&spec, &src, err) != 0)
			goto out;
		add_charts(&spec, res, plan);
	}
	add_rest(&spec, plan);
	if (add_packages(&spec, cache, lg, plan, err) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		bundle_plan_free(plan);
	chart_results_free(res, res != NULL ? n : 0);
	free(reqs);
	free(cache);
	bundle_spec_free(&spec);
	return r;
}

void bundle_plan_free(struct bundle_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		free(plan->lines[i]);
		free(plan->refs[i]);
		free(plan->sources[i]);
	}
	free(plan->lines);
	free(plan->refs);
	free(plan->sources);
	memset(plan, 0, sizeof(*plan));
}
