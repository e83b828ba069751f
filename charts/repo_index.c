#include "charts/repo_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/semver.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

static const char *scalar_of(const struct ynode *map, const char *key)
{
	const struct ynode *node = ynode_get(map, key);

	return node != NULL && node->type == YNODE_SCALAR ? node->value : NULL;
}

static void fill_version(const struct ynode *entry, const char *chart, struct chart_version *out)
{
	const struct ynode *urls = ynode_get(entry, "urls");
	const char *digest = scalar_of(entry, "digest");
	size_t i;

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(chart);
	out->version = xstrdup(scalar_of(entry, "version"));
	/* Helm 4 strips an optional "sha256:" prefix from digest. */
	if (digest != NULL)
		out->digest = xstrdup(strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest);
	for (i = 0; urls != NULL && urls->type == YNODE_SEQ && i < urls->count; i++) {
		if (urls->items[i]->type != YNODE_SCALAR)
			continue;
		out->urls = grow_array(out->urls, out->url_count, sizeof(*out->urls));
		out->urls[out->url_count++] = xstrdup(urls->items[i]->value);
	}
}

/*
 * Index entries that are not maps, lack a version or a URL are skipped, as Helm
 * skips them; a urls list of only non-scalars ([[a]], [{}]) counts as none.
 */
static int entry_usable(const struct ynode *entry)
{
	const struct ynode *urls = ynode_get(entry, "urls");
	size_t i;

	if (entry->type != YNODE_MAP || scalar_of(entry, "version") == NULL || urls == NULL || urls->type != YNODE_SEQ)
		return 0;
	for (i = 0; i < urls->count; i++)
		if (urls->items[i]->type == YNODE_SCALAR)
			return 1;
	return 0;
}

static int select_version(const struct ynode *list, const char *name, const char *chart, const char *constraint,
			  struct chart_version *out, struct lerr *err)
{
	struct semver_constraint *want = NULL;
	const struct ynode *best = NULL;
	struct semver best_version, version;
	struct buf seen = BUF_INIT(0);
	size_t i;
	int r = -1;

	for (i = 0; i < list->count; i++) /* an exact string match is tried first */
		if (entry_usable(list->items[i]) && strcmp(scalar_of(list->items[i], "version"), constraint) == 0) {
			fill_version(list->items[i], chart, out);
			return 0;
		}
	if (semver_constraint_parse(constraint, &want, err) != 0)
		return lerr_prefix(err, "chart '%s'", chart);
	for (i = 0; i < list->count; i++) {
		const struct ynode *entry = list->items[i];

		if (!entry_usable(entry) || semver_parse(scalar_of(entry, "version"), &version, NULL) != 0)
			continue;
		buf_printf(&seen, "%s%s", seen.len ? ", " : "", scalar_of(entry, "version"));
		if (!semver_constraint_check(want, &version))
			continue;
		if (best == NULL || semver_compare(&version, &best_version) > 0) {
			best = entry;
			best_version = version;
		}
	}
	if (best == NULL) {
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: chart '%s': no version matches '%s' (available: %s)", name,
			 chart, constraint, seen.len ? seen.data : "none");
		goto out;
	}
	fill_version(best, chart, out);
	r = 0;
out:
	buf_free(&seen);
	semver_constraint_free(want);
	return r;
}

int chart_index_select(const char *path, const char *name, const char *chart, const char *constraint,
		       struct chart_version *out, struct lerr *err)
{
	struct ydoc doc = {NULL, NULL};
	const struct ynode *entries, *list;
	int r = -1;

	if (ydoc_load_file(&doc, path, CHART_INDEX_MAX_BYTES, err) != 0) {
		/* Messages carry the temporary path; name the repository instead. */
		if (strncmp(err->msg, path, strlen(path)) == 0) {
			char rest[LERR_MSG_MAX];

			snprintf(rest, sizeof(rest), "%s", err->msg + strlen(path));
			lerr_set(err, LADING_ERR_FORMAT, "%s%s", name, rest);
		}
		goto out;
	}
	if (doc.root == NULL || doc.root->type != YNODE_MAP || scalar_of(doc.root, "apiVersion") == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not a Helm repository index (no apiVersion)", name);
		goto out;
	}
	entries = ynode_get(doc.root, "entries");
	list = entries != NULL ? ynode_get(entries, chart) : NULL;
	if (list == NULL || list->type != YNODE_SEQ) {
		lerr_set(err, LADING_ERR_NOTFOUND, "%s: no chart named '%s' in the repository index", name, chart);
		goto out;
	}
	r = select_version(list, name, chart, constraint ? constraint : "", out, err);
out:
	ydoc_free(&doc);
	return r;
}

void chart_version_free(struct chart_version *cv)
{
	size_t i;

	if (cv == NULL)
		return;
	free(cv->name);
	free(cv->version);
	free(cv->digest);
	for (i = 0; i < cv->url_count; i++)
		free(cv->urls[i]);
	free(cv->urls);
	memset(cv, 0, sizeof(*cv));
}
