/*
 * Finding the volumes of a set (reader.h): every "*.tar.zst" beside the
 * volume given, or in the directory given, is opened for its head only; those
 * whose lading.json has the same sha256 and that were cut to the same size
 * form the set.
 */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle/format/path.h"
#include "bundle/format/reader.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

struct found {
	char *path;
	char *set;
	char sha[SHA256_HEX_LEN + 1];
	size_t number, count;
	uint64_t volume_size;
};

static void found_free(struct found *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].set);
	}
	free(f);
}

/* 1 with *f filled when path is a volume, 0 when it is not (err says why when it cannot be read), -1 never. */
static int probe(const char *path, struct found *f, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_volume *v;
	int got = 0;

	if (bundle_reader_open_volume(&r, path, err) != 0)
		return 0;
	if ((v = bundle_reader_volume(r)) != NULL) {
		f->path = xstrdup(path);
		f->set = xstrdup(v->set);
		memcpy(f->sha, v->lading_json, sizeof(f->sha));
		f->number = v->number;
		f->count = v->count;
		f->volume_size = v->volume_size;
		got = 1;
	}
	bundle_reader_close(r);
	return got;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n > m && strcmp(s + n - m, tail) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* The volumes in dir (sorted by file name); unreadable files are skipped, the first reason kept in why. */
static int scan_dir(const char *dir, struct found **out, size_t *n, struct lerr *why, struct lerr *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, i;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return lerr_sys(err, "cannot read the directory '%s'", dir);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && ends_with(de->d_name, ".tar.zst")) {
			names = grow_array(names, count, sizeof(*names));
			names[count++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	for (i = 0; i < count; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		struct found f;
		struct lerr e;

		memset(&f, 0, sizeof(f));
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (probe(path, &f, &e) == 1) {
				*out = grow_array(*out, *n, sizeof(**out));
				(*out)[(*n)++] = f;
			} else if (why->code == 0 && e.code != 0) {
				*why = e;
			}
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int same_cut(const struct found *a, const struct found *b)
{
	return strcmp(a->sha, b->sha) == 0 && a->volume_size == b->volume_size && a->count == b->count;
}

/* Fills set from the volumes of one cut in f (the one like f[pick]); names the missing ones. */
static int assemble(const char *where, struct found *f, size_t n, size_t pick, const struct lerr *why,
		    struct bundle_set *set, struct lerr *err)
{
	size_t count = f[pick].count, i, have = 0;
	char missing[256] = "", present[256] = "", foreign[BUNDLE_PATH_MAX + 256] = "";

	set->paths = xcalloc(count, sizeof(char *));
	set->count = count;
	set->name = xstrdup(f[pick].set);
	memcpy(set->lading_json, f[pick].sha, sizeof(set->lading_json));
	for (i = 0; i < n; i++)
		if (same_cut(&f[i], &f[pick]) && f[i].number <= count && set->paths[f[i].number - 1] == NULL)
			set->paths[f[i].number - 1] = xstrdup(f[i].path);
	for (i = 0; i < count; i++) {
		char *list = set->paths[i] != NULL ? present : missing;
		size_t len = strlen(list);

		have += set->paths[i] != NULL;
		if (len < sizeof(missing) - 16)
			snprintf(list + len, sizeof(missing) - len, "%s%zu", len ? ", " : "", i + 1);
		else if (list[len - 1] != '.')
			snprintf(list + len, sizeof(missing) - len, ", ...");
	}
	if (have == count)
		return 0;
	/* A volume of that number from another set (last month's?) is the likeliest mistake: name it. */
	for (i = 0; i < n && foreign[0] == '\0'; i++)
		if (!same_cut(&f[i], &f[pick]) && f[i].number <= count && set->paths[f[i].number - 1] == NULL)
			snprintf(foreign, sizeof(foreign),
				 "; %s is volume %zu of another set ('%s', lading.json %.12s…)", f[i].path, f[i].number,
				 f[i].set, f[i].sha);
	lerr_set(err, LADING_ERR_NOTFOUND,
		 "set '%s' (lading.json sha256 %.12s…) has %zu volumes; %s: volume%s %s missing (found %s)%s%s%s: "
		 "bring every volume into one directory",
		 set->name, set->lading_json, count, where, count - have > 1 ? "s" : "", missing,
		 present[0] ? present : "none", foreign, why->code ? "; could not read: " : "",
		 why->code ? why->msg : "");
	bundle_set_free(set);
	return -1;
}

static int from_dir(const char *dir, struct bundle_set *set, struct lerr *err)
{
	struct found *f;
	struct lerr why = {0};
	size_t n, i;
	int r;

	if (scan_dir(dir, &f, &n, &why, err) != 0)
		return -1;
	if (n == 0) {
		found_free(f, n);
		return 0;
	}
	for (i = 1; i < n; i++)
		if (!same_cut(&f[0], &f[i])) {
			lerr_set(
			    err, LADING_ERR_USAGE,
			    "%s holds volumes of two sets: %s (set '%s', lading.json %.12s…, %zu volumes) and %s (set "
			    "'%s', lading.json %.12s…, %zu volumes): keep one set per directory",
			    dir, f[0].path, f[0].set, f[0].sha, f[0].count, f[i].path, f[i].set, f[i].sha, f[i].count);
			found_free(f, n);
			return -1;
		}
	r = assemble(dir, f, n, 0, &why, set, err);
	found_free(f, n);
	return r < 0 ? -1 : 1;
}

int bundle_set_find(const char *path, struct bundle_set *out, struct lerr *err)
{
	struct found self, *f = NULL;
	struct lerr why = {0}, e;
	struct stat st;
	size_t n = 0, i;
	char *copy;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&self, 0, sizeof(self));
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return from_dir(path, out, err);
	if (probe(path, &self, &e) != 1)
		return 0;
	copy = xstrdup(path);
	r = scan_dir(dirname(copy), &f, &n, &why, err);
	free(copy);
	if (r == 0) {
		f = grow_array(f, n, sizeof(*f));
		f[n++] = self;
		memset(&self, 0, sizeof(self));
		/* The volume named first: a copy of it elsewhere in the directory is the same bytes anyway. */
		for (i = n - 1; i > 0; i--) {
			struct found t = f[i];

			f[i] = f[i - 1];
			f[i - 1] = t;
		}
		r = assemble(path, f, n, 0, &why, out, err) < 0 ? -1 : 1;
	}
	found_free(f, n);
	free(self.path);
	free(self.set);
	return r;
}

void bundle_set_free(struct bundle_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		free(set->paths[i]);
	free(set->paths);
	free(set->name);
	memset(set, 0, sizeof(*set));
}
