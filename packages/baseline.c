#include "packages/baseline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "packages/debversion.h"
#include "packages/resolve.h"

/* A dpkg-query listing of a whole system is a few thousand short lines; a longer line is not one. */
#define BASELINE_LINE_MAX 4096

void apt_baseline_init(struct apt_baseline *b)
{
	b->entries = NULL;
	b->count = 0;
	apt_index_init(&b->status);
	name_map_init(&b->by_name);
}

static void baseline_put(struct apt_baseline *b, const char *name, const char *version, const struct apt_pkg *stanza)
{
	size_t name_len = strcspn(name, ":");
	uint32_t *slot = name_map_find(&b->by_name, name, name_len);
	struct apt_baseline_entry *e;

	if (slot != NULL) {
		e = &b->entries[*slot];
		/* Two architectures of one package: the higher version is the one a dependency sees first. */
		if (deb_version_cmp(version, e->version) > 0) {
			free(e->version);
			e->version = xstrdup(version);
			e->stanza = stanza;
		}
		return;
	}
	/* The map borrows the names: the entries array may move, the strings do not. */
	b->entries = grow_array(b->entries, b->count, sizeof(*b->entries));
	e = &b->entries[b->count];
	e->name = xstrndup(name, name_len);
	e->version = xstrdup(version);
	e->stanza = stanza;
	name_map_put(&b->by_name, e->name, (uint32_t)b->count);
	b->count++;
}

void apt_baseline_add(struct apt_baseline *b, const char *name, const char *version)
{
	baseline_put(b, name, version, NULL);
}

/* The status file's stanzas stream into b->status (index.c's deb822 parser); each becomes an entry. */
static int load_status(struct apt_baseline *b, const char *path, struct lerr *err)
{
	size_t first = b->status.count, i;

	if (apt_index_load_status_file(&b->status, path, err) != 0)
		return -1;
	for (i = first; i < b->status.count; i++)
		baseline_put(b, b->status.pkgs[i]->name, b->status.pkgs[i]->version, b->status.pkgs[i]);
	return 0;
}

static int baseline_line(struct apt_baseline *b, char *line, const char *path, size_t lineno, struct lerr *err)
{
	char *tab, *version;
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	if (len == 0)
		return 0;
	if ((tab = strchr(line, '\t')) == NULL || tab == line)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: expected 'name<TAB>version' (dpkg-query -W)", path,
				lineno);
	*tab = '\0';
	version = tab + 1;
	version += strspn(version, " \t");
	/* dpkg-query -W lists packages it knows of but has not installed with an empty version. */
	if (*version == '\0')
		return 0;
	if (!deb_version_valid(version))
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: %s: invalid version '%.100s'", path, lineno, line,
				version);
	apt_baseline_add(b, line, version);
	return 0;
}

int apt_baseline_load(struct apt_baseline *b, const char *path, struct lerr *err)
{
	char line[BASELINE_LINE_MAX];
	size_t lineno = 0;
	FILE *f;
	int ret = -1;

	if ((f = fopen(path, "r")) == NULL)
		return lerr_sys(err, "cannot open '%s'", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		/* dpkg writes every stanza of its status file Package: first; no listing line starts so. */
		if (lineno == 1 && strncmp(line, "Package:", 8) == 0) {
			fclose(f);
			return load_status(b, path, err);
		}
		if (strchr(line, '\n') == NULL && !feof(f)) {
			lerr_set(err, LADING_ERR_FORMAT, "%s:%zu: line longer than %d bytes", path, lineno,
				 BASELINE_LINE_MAX - 1);
			goto out;
		}
		if (baseline_line(b, line, path, lineno, err) != 0)
			goto out;
	}
	if (ferror(f)) {
		lerr_sys(err, "cannot read '%s'", path);
		goto out;
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

void apt_baseline_required(struct apt_baseline *b, const struct apt_index *idx)
{
	const char **names = NULL;
	const struct apt_pkg **closure = NULL;
	size_t count = 0, closure_count = 0, i;
	struct lerr err;

	for (i = 0; i < idx->count; i++) {
		const struct apt_pkg *pkg = idx->pkgs[i];

		if (pkg->essential || (pkg->priority != NULL && strcmp(pkg->priority, "required") == 0)) {
			names = grow_array(names, count, sizeof(*names));
			names[count++] = pkg->name;
			apt_baseline_add(b, pkg->name, pkg->version);
		}
	}
	/*
	 * debootstrap installs the required packages with what they depend on (libc6 itself is Priority:
	 * optional in bookworm); when that closure cannot be had, the required packages alone remain.
	 */
	if (count > 0 && apt_resolve(idx, NULL, names, count, "baseline", &closure, &closure_count, &err) == 0) {
		for (i = 0; i < closure_count; i++)
			apt_baseline_add(b, closure[i]->name, closure[i]->version);
	}
	free(closure);
	free(names);
}

const char *apt_baseline_version(const struct apt_baseline *b, const char *name)
{
	uint32_t *slot = name_map_find(&b->by_name, name, strlen(name));

	return slot != NULL ? b->entries[*slot].version : NULL;
}

void apt_baseline_free(struct apt_baseline *b)
{
	size_t i;

	for (i = 0; i < b->count; i++) {
		free(b->entries[i].name);
		free(b->entries[i].version);
	}
	free(b->entries);
	apt_index_free(&b->status);
	name_map_free(&b->by_name);
	apt_baseline_init(b);
}
