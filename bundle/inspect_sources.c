/* inspect: the chart, provider, module and file rows of lading.json, grouped by kind. */
#include "bundle/inspect_sources.h"

#include <stdio.h>
#include <string.h>

#include "bundle/files.h"
#include "bundle/gitcarry.h"
#include "bundle/sources.h"
#include "lib/log.h"

static void kind_table(const struct bundle_manifest *m, const char *kind, const char *title, struct buf *out)
{
	char size[32];
	uint64_t total = 0;
	size_t i, count = 0;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];

		if (strcmp(e->kind, kind) != 0)
			continue;
		if (count++ == 0)
			buf_printf(out, "\n%-85s %10s\n", title, "SIZE");
		log_format_bytes(e->size, size, sizeof(size));
		buf_printf(out, "%-85s %10s\n", e->path, size);
		total += e->size;
	}
	if (count > 0) {
		log_format_bytes(total, size, sizeof(size));
		buf_printf(out, "%zu %s entr%s, %s\n", count, kind, count == 1 ? "y" : "ies", size);
	}
}

/* "apt/SOURCE/…": the source's name, or NULL for a row outside apt/. */
static int apt_source(const char *path, const char **name, int *len)
{
	const char *slash;

	if (strncmp(path, "apt/", 4) != 0 || (slash = strchr(path + 4, '/')) == NULL)
		return 0;
	*name = path + 4;
	*len = (int)(slash - *name);
	return 1;
}

/* One row per carried package: name, version, architecture, source, size. */
static void package_table(const struct bundle_manifest *m, struct buf *out)
{
	char size[32];
	uint64_t total = 0;
	size_t i, count = 0;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		const char *name;
		int len;

		if (strcmp(e->kind, BUNDLE_KIND_PACKAGE) != 0 || e->ref == NULL || !apt_source(e->path, &name, &len))
			continue;
		if (count++ == 0)
			buf_printf(out, "\n%-74s %-10s %10s\n", "PACKAGES (NAME VERSION ARCH)", "SOURCE", "SIZE");
		log_format_bytes(e->size, size, sizeof(size));
		buf_printf(out, "%-74s %-10.*s %10s\n", e->ref, len, name, size);
		total += e->size;
	}
	if (count > 0) {
		log_format_bytes(total, size, sizeof(size));
		buf_printf(out, "%zu package%s, %s\n", count, count == 1 ? "" : "s", size);
	}
}

json_t *bundle_inspect_packages_json(const struct bundle_manifest *m)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		char name[256], version[256], arch[64];
		const char *source;
		int len;

		if (strcmp(e->kind, BUNDLE_KIND_PACKAGE) != 0 || e->ref == NULL ||
		    !apt_source(e->path, &source, &len) || sscanf(e->ref, "%255s %255s %63s", name, version, arch) != 3)
			continue;
		json_array_append_new(list,
				      json_pack("{s:s#, s:s, s:s, s:s, s:s, s:I, s:s}", "source", source, (size_t)len,
						"name", name, "version", version, "arch", arch, "path", e->path, "size",
						(json_int_t)e->size, "sha256", e->sha256));
	}
	return list;
}

json_t *bundle_inspect_modules_json(const struct bundle_manifest *m)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		char source[512], version[128];

		if (strcmp(e->kind, BUNDLE_KIND_MODULE) != 0 || e->ref == NULL ||
		    sscanf(e->ref, "%511s %127s", source, version) != 2)
			continue;
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:I, s:s}", "source", source, "version", version,
						"path", e->path, "size", (json_int_t)e->size, "sha256", e->sha256));
	}
	return list;
}

/* "git/NAME.bundle": NAME and its length, or 0 for another row. */
static int git_name(const struct bundle_entry *e, const char **name, int *len)
{
	size_t plen = strlen(e->path);

	if (strcmp(e->kind, BUNDLE_KIND_GIT) != 0 || e->ref == NULL || strncmp(e->path, "git/", 4) != 0 ||
	    plen < 4 + 7 + 1 || strcmp(e->path + plen - 7, ".bundle") != 0)
		return 0;
	*name = e->path + 4;
	*len = (int)(plen - 4 - 7);
	return 1;
}

/* One block per carried repository: name, URL and size, then each ref with its commit (or tag) id. */
static void git_table(const struct bundle_manifest *m, struct buf *out)
{
	char size[32];
	size_t i, j, count = 0;

	for (i = 0; i < m->entry_count; i++) {
		struct git_result g;
		const char *name;
		int len;

		if (!git_name(&m->entries[i], &name, &len) || git_row_parse(m->entries[i].ref, &g, NULL) != 0)
			continue;
		if (count++ == 0)
			buf_printf(out, "\n%-85s %10s\n", "GIT REPOSITORIES (NAME URL; REF ID)", "SIZE");
		log_format_bytes(m->entries[i].size, size, sizeof(size));
		buf_printf(out, "%-20.*s %-64s %10s\n", len, name, g.url, size);
		for (j = 0; j < g.ref_count; j++)
			buf_printf(out, "  %-40s %s%s\n", g.refs[j].ref, g.refs[j].id,
				   g.head != NULL && strcmp(g.head, g.refs[j].ref) == 0 ? " (HEAD)" : "");
		git_result_clear(&g);
	}
	if (count > 0)
		buf_printf(out, "%zu git repositor%s\n", count, count == 1 ? "y" : "ies");
}

json_t *bundle_inspect_git_json(const struct bundle_manifest *m)
{
	json_t *list = json_array();
	size_t i, j;

	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		struct git_result g;
		const char *name;
		json_t *refs;
		int len;

		if (!git_name(e, &name, &len) || git_row_parse(e->ref, &g, NULL) != 0)
			continue;
		refs = json_object();
		for (j = 0; j < g.ref_count; j++)
			json_object_set_new(refs, g.refs[j].ref, json_string(g.refs[j].id));
		json_array_append_new(list,
				      json_pack("{s:s#, s:s, s:s, s:I, s:s, s:o, s:s?}", "name", name, (size_t)len,
						"url", g.url, "path", e->path, "size", (json_int_t)e->size, "sha256",
						e->sha256, "refs", refs, "head", g.head));
		git_result_clear(&g);
	}
	return list;
}

void bundle_inspect_sources_text(const struct bundle_manifest *m, struct buf *out)
{
	kind_table(m, BUNDLE_KIND_CHART, "CHARTS", out);
	kind_table(m, BUNDLE_KIND_PROVIDER, "PROVIDERS", out);
	kind_table(m, BUNDLE_KIND_MODULE, "MODULES", out);
	kind_table(m, BUNDLE_KIND_FILE, "FILES", out);
	package_table(m, out);
	git_table(m, out);
}

void bundle_inspect_origins_text(const struct bundle_manifest *m, struct buf *out)
{
	size_t i, shown = 0;

	for (i = 0; i < m->image_count; i++) {
		if (m->images[i].origin == NULL)
			continue;
		if (shown++ == 0)
			buf_printf(out, "\n%-56s %s\n", "IMAGE", "ORIGIN");
		buf_printf(out, "%-56s %s\n", m->images[i].ref, m->images[i].origin);
	}
}
