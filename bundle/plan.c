#include "bundle/plan.h"

#include <stdlib.h>
#include <string.h>

#include "bundle/cache.h"
#include "bundle/sources_apt.h"
#include "bundle/spec.h"
#include "charts/fetch.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

static void add_line(struct bundle_plan *plan, char *line)
{
	plan->lines = grow_array(plan->lines, plan->count, sizeof(*plan->lines));
	plan->lines[plan->count++] = line;
}

static int listed(const struct bundle_spec *spec, const struct bundle_plan *plan, const char *ref)
{
	size_t i;

	for (i = 0; i < spec->image_count; i++)
		if (strcmp(spec->images[i].ref, ref) == 0)
			return 1;
	for (i = 0; i < plan->count; i++)
		if (strncmp(plan->lines[i], "image ", 6) == 0 && strncmp(plan->lines[i] + 6, ref, strlen(ref)) == 0 &&
		    plan->lines[i][6 + strlen(ref)] == ' ')
			return 1;
	return 0;
}

static void add_charts(const struct bundle_spec *spec, const struct chart_result *res, struct bundle_plan *plan)
{
	size_t i, j;

	for (i = 0; i < spec->sources.chart_count; i++) {
		add_line(plan, xasprintf("chart %s %s %s", res[i].name, res[i].version, res[i].source));
		for (j = 0; j < res[i].image_count; j++)
			if (!listed(spec, plan, res[i].images[j]))
				add_line(plan, xasprintf("image %s (from chart %s %s)", res[i].images[j], res[i].name,
							 res[i].version));
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
	for (i = 0; i < s->file_count; i++)
		add_line(plan, xasprintf("file %s %s", s->files[i].name ? s->files[i].name : "-", s->files[i].url));
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

int bundle_plan_build(const char *spec_path, const struct logger *lg, struct bundle_plan *plan, struct lerr *err)
{
	struct bundle_spec spec = {0};
	struct chart_request *reqs = NULL;
	struct chart_result *res = NULL;
	char *cache = NULL;
	size_t i, n = 0;
	int r = -1;

	memset(plan, 0, sizeof(*plan));
	if (bundle_spec_load(spec_path, &spec, err) != 0) {
		lerr_input(err);
		goto out;
	}
	n = spec.sources.chart_count;
	for (i = 0; i < spec.image_count; i++)
		add_line(plan, xasprintf("image %s", spec.images[i].ref));
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

		copts.store_dir = cache;
		if (charts_fetch(&copts, reqs, n, &res, err) != 0)
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

	for (i = 0; i < plan->count; i++)
		free(plan->lines[i]);
	free(plan->lines);
	memset(plan, 0, sizeof(*plan));
}
