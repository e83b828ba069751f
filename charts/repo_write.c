#include "charts/repo_write.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charts/chart_archive.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/semver.h"
#include "lib/xmalloc.h"

char *chart_repo_archive_name(const char *name, const char *version)
{
	return xasprintf("%s-%s.tgz", name, version);
}

/* A JSON string is a valid YAML double-quoted scalar; newly allocated. */
static char *quote(const char *value)
{
	json_t *s = json_string(value);
	char *text = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

	json_decref(s);
	return text != NULL ? text : xstrdup("\"\""); /* not UTF-8: the YAML parser rejected it before */
}

static void put_quoted(struct buf *out, const char *indent, const char *key, const char *value)
{
	char *text = quote(value);

	buf_printf(out, "%s%s%s\n", indent, key, text);
	free(text);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct chart_repo_entry *x = a, *y = b;
	struct semver vx, vy;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	if (semver_parse(x->version, &vx, NULL) == 0 && semver_parse(y->version, &vy, NULL) == 0)
		return -semver_compare(&vx, &vy);
	return -strcmp(x->version, y->version);
}

void chart_repo_index_render(const struct chart_repo_entry *entries, size_t count, int64_t generated, struct buf *out)
{
	struct chart_repo_entry *sorted = xcalloc(count ? count : 1, sizeof(*sorted));
	char stamp[32];
	time_t when = (time_t)generated;
	struct tm tm;
	size_t i;

	memcpy(sorted, entries, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), entry_cmp);
	buf_puts(out, "apiVersion: v1\nentries:\n");
	for (i = 0; i < count; i++) {
		const struct chart_repo_entry *e = &sorted[i];
		char *archive = chart_repo_archive_name(e->name, e->version);

		if (i == 0 || strcmp(sorted[i - 1].name, e->name) != 0) {
			char *key = quote(e->name);

			buf_printf(out, "  %s:\n", key);
			free(key);
		}
		put_quoted(out, "  ", "- apiVersion: ", e->api_version ? e->api_version : "v2");
		if (e->app_version != NULL)
			put_quoted(out, "    ", "appVersion: ", e->app_version);
		if (e->description != NULL)
			put_quoted(out, "    ", "description: ", e->description);
		put_quoted(out, "    ", "digest: ", e->digest_hex);
		put_quoted(out, "    ", "name: ", e->name);
		buf_puts(out, "    urls:\n");
		put_quoted(out, "    ", "- ", archive);
		put_quoted(out, "    ", "version: ", e->version);
		free(archive);
	}
	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "generated: \"%s\"\n", stamp);
	free(sorted);
}

struct scanned {
	struct chart_meta meta;
	char hex[SHA256_HEX_LEN + 1];
};

static int scan_one(const char *dir, const char *file, struct scanned *out, struct lerr *err)
{
	char *path = xasprintf("%s/%s", dir, file), *expect = NULL;
	int r = -1;

	if (chart_archive_read(path, 0, &out->meta, err) != 0)
		goto out;
	expect = chart_repo_archive_name(out->meta.name, out->meta.version);
	if (strcmp(expect, file) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: holds chart %s %s, so it must be named %s", path, out->meta.name,
			 out->meta.version, expect);
		goto out;
	}
	r = sha256_file(path, out->hex, NULL, err);
out:
	free(expect);
	free(path);
	return r;
}

int chart_repo_write_index(const char *dir, int64_t generated, struct lerr *err)
{
	struct scanned *found = NULL;
	struct chart_repo_entry *entries = NULL;
	struct buf text = BUF_INIT(0);
	size_t count = 0, i;
	struct dirent *de;
	char *index = xasprintf("%s/index.yaml", dir);
	DIR *d = opendir(dir);
	int r = -1;

	if (d == NULL) {
		lerr_sys(err, "cannot open '%s'", dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".tgz") != 0 || de->d_name[0] == '.')
			continue;
		found = grow_array(found, count, sizeof(*found));
		memset(&found[count], 0, sizeof(*found));
		count++;
		if (scan_one(dir, de->d_name, &found[count - 1], err) != 0)
			goto out;
	}
	entries = xcalloc(count ? count : 1, sizeof(*entries));
	for (i = 0; i < count; i++) {
		struct chart_repo_entry e = {found[i].meta.name,	found[i].meta.version,
					     found[i].meta.app_version, found[i].meta.api_version,
					     found[i].meta.description, found[i].hex};

		entries[i] = e;
	}
	chart_repo_index_render(entries, count, generated, &text);
	r = fs_write_file(index, text.data, text.len, 0644, err);
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < count; i++)
		chart_meta_free(&found[i].meta);
	free(found);
	free(entries);
	buf_free(&text);
	free(index);
	return r;
}
