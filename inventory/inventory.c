/*
 * Loading inventories: detect YAML or INI by content, read into the builder,
 * finish into struct inventory. Lookups on the finished inventory.
 */
#include "inventory/inventory.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/build.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

/* An inventory is configuration, not data: a generous cap still bounds memory. */
#define INV_MAX_BYTES (64u * 1024 * 1024)

/*
 * YAML when the first line that is not blank or a comment is "---" or a
 * "key:" mapping entry; INI otherwise ("[group]", "host var=value").
 */
static int looks_like_yaml(const char *data)
{
	const char *line = data, *p;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		for (p = line; p < line + len && isspace((unsigned char)*p); p++)
			;
		if (p < line + len && *p != '#' && *p != ';') {
			if (*p == '[')
				return 0;
			if (strncmp(p, "---", 3) == 0 || *p == '{' ||
			    (*p == '-' && (p + 1 == line + len || p[1] == ' ')))
				return 1;
			for (; p < line + len && !isspace((unsigned char)*p) && *p != '='; p++)
				if (*p == ':' && (p + 1 == line + len || isspace((unsigned char)p[1])))
					return 1;
			return 0;
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
	return 1; /* empty: let the YAML reader say so */
}

static int read_file(struct inv_build *b, const char *path, struct lerr *err)
{
	struct buf data = BUF_INIT(INV_MAX_BYTES);
	int r;

	if (fs_read_file(path, &data, err) != 0) {
		buf_free(&data);
		return -1;
	}
	if (data.len > 0 && memchr(data.data, '\0', data.len) != NULL) {
		buf_free(&data);
		return lerr_set(err, LADING_ERR_USAGE, "%s: not a text file", path);
	}
	if (looks_like_yaml(data.data != NULL ? data.data : ""))
		r = inv_yaml_read(b, path, data.data != NULL ? data.data : "", data.len, err);
	else
		r = inv_ini_read(b, path, data.data, data.len, err);
	if (r == 0)
		r = inv_build_check(b, err);
	buf_free(&data);
	return r;
}

/* A broken inventory is the user's input (exit 2); an unreadable one stays an operation failure. */
static int input_error(struct lerr *err)
{
	if (err->code != LADING_ERR_SYSTEM)
		lerr_input(err);
	return -1;
}

int inv_load(const char *path, struct inventory **out, struct lerr *err)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));

	inv->path = xstrdup(path);
	inv->build = inv_build_new();
	if (read_file(inv->build, path, err) != 0) {
		inv_free(inv);
		return input_error(err);
	}
	inv_build_finish(inv->build, inv);
	*out = inv;
	return 0;
}

int inv_merge_file(struct inventory *inv, const char *path, struct lerr *err)
{
	if (read_file(inv->build, path, err) != 0) {
		/* the builder may hold part of the file: rebuild so inv stays consistent with it */
		inv_build_finish(inv->build, inv);
		return input_error(err);
	}
	inv_build_finish(inv->build, inv);
	return 0;
}

void inv_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	inv_build_clear(inv);
	inv_build_free(inv->build);
	free(inv->path);
	free(inv);
}

const struct inv_var *inv_host_var_full(const struct inv_host *host, const char *name)
{
	size_t lo = 0, hi = host->var_count;

	while (lo < hi) { /* vars are sorted by name */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(host->vars[mid].name, name);

		if (c == 0)
			return &host->vars[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *inv_host_var(const struct inv_host *host, const char *name)
{
	const struct inv_var *v = inv_host_var_full(host, name);

	return v != NULL ? v->value : NULL;
}

const struct inv_group *inv_group_find(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->group_count; i++)
		if (strcmp(inv->groups[i].name, name) == 0)
			return &inv->groups[i];
	return NULL;
}

const struct inv_host *inv_host_find(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->host_count; i++)
		if (strcmp(inv->hosts[i].name, name) == 0)
			return &inv->hosts[i];
	return NULL;
}
