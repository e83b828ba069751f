#include "charts/values.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static struct cvalue *node_new(enum cvalue_type type, const char *origin)
{
	struct cvalue *v = xcalloc(1, sizeof(*v));

	v->type = type;
	v->origin = origin;
	return v;
}

static int is_null(const struct cvalue *v)
{
	return v->type == CVALUE_SCALAR && v->plain &&
	       (v->text[0] == '\0' || strcmp(v->text, "null") == 0 || strcmp(v->text, "~") == 0 ||
		strcmp(v->text, "Null") == 0 || strcmp(v->text, "NULL") == 0);
}

struct cvalue *cvalue_from_ynode(const struct ynode *node, const char *origin)
{
	struct cvalue *v;
	size_t i;

	if (node == NULL)
		return NULL;
	v = node_new(node->type == YNODE_MAP   ? CVALUE_MAP
		     : node->type == YNODE_SEQ ? CVALUE_SEQ
					       : CVALUE_SCALAR,
		     origin);
	if (node->type == YNODE_SCALAR) {
		v->text = xstrdup(node->value);
		v->plain = node->plain;
		return v;
	}
	v->count = node->count;
	v->items = xcalloc(node->count + 1, sizeof(*v->items));
	if (node->type == YNODE_MAP)
		v->keys = xcalloc(node->count + 1, sizeof(*v->keys));
	for (i = 0; i < node->count; i++) {
		if (node->type == YNODE_SEQ) {
			v->items[i] = cvalue_from_ynode(node->items[i], origin);
			continue;
		}
		v->keys[i] = xstrdup(node->pairs[i].key->value ? node->pairs[i].key->value : "");
		v->items[i] = cvalue_from_ynode(node->pairs[i].value, origin);
	}
	return v;
}

struct cvalue *cvalue_copy(const struct cvalue *value)
{
	struct cvalue *v;
	size_t i;

	if (value == NULL)
		return NULL;
	v = node_new(value->type, value->origin);
	v->plain = value->plain;
	v->text = value->text != NULL ? xstrdup(value->text) : NULL;
	v->count = value->count;
	v->items = xcalloc(value->count + 1, sizeof(*v->items));
	if (value->keys != NULL)
		v->keys = xcalloc(value->count + 1, sizeof(*v->keys));
	for (i = 0; i < value->count; i++) {
		v->items[i] = cvalue_copy(value->items[i]);
		if (value->keys != NULL)
			v->keys[i] = xstrdup(value->keys[i]);
	}
	return v;
}

static size_t find_key(const struct cvalue *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return i;
	return map->count;
}

static void remove_at(struct cvalue *map, size_t at)
{
	cvalue_free(map->items[at]);
	free(map->keys[at]);
	memmove(&map->items[at], &map->items[at + 1], (map->count - at - 1) * sizeof(*map->items));
	memmove(&map->keys[at], &map->keys[at + 1], (map->count - at - 1) * sizeof(*map->keys));
	map->count--;
}

void cvalue_merge(struct cvalue **base, const struct cvalue *override)
{
	size_t i, at;

	if (override == NULL)
		return;
	if (*base == NULL || (*base)->type != CVALUE_MAP || override->type != CVALUE_MAP) {
		cvalue_free(*base);
		*base = cvalue_copy(override);
		return;
	}
	for (i = 0; i < override->count; i++) {
		at = find_key(*base, override->keys[i]);
		if (is_null(override->items[i])) {
			if (at < (*base)->count)
				remove_at(*base, at);
			continue;
		}
		if (at == (*base)->count) {
			(*base)->items = xrealloc((*base)->items, ((*base)->count + 2) * sizeof(*(*base)->items));
			(*base)->keys = xrealloc((*base)->keys, ((*base)->count + 2) * sizeof(*(*base)->keys));
			(*base)->keys[at] = xstrdup(override->keys[i]);
			(*base)->items[at] = NULL;
			(*base)->count++;
		}
		cvalue_merge(&(*base)->items[at], override->items[i]);
	}
}

const struct cvalue *cvalue_get(const struct cvalue *map, const char *key)
{
	size_t at;

	if (map == NULL || map->type != CVALUE_MAP)
		return NULL;
	at = find_key(map, key);
	return at < map->count ? map->items[at] : NULL;
}

const struct cvalue *cvalue_path(const struct cvalue *map, const char *path)
{
	const char *dot;
	char *key;

	while (map != NULL && (dot = strchr(path, '.')) != NULL) {
		key = xstrndup(path, (size_t)(dot - path));
		map = cvalue_get(map, key);
		free(key);
		path = dot + 1;
	}
	return cvalue_get(map, path);
}

const char *cvalue_scalar(const struct cvalue *map, const char *key)
{
	const struct cvalue *v = cvalue_get(map, key);

	if (v == NULL || v->type != CVALUE_SCALAR || v->text[0] == '\0' || is_null(v))
		return NULL;
	return v->text;
}

int cvalue_bool(const struct cvalue *value)
{
	if (value == NULL || value->type != CVALUE_SCALAR)
		return -1;
	if (strcmp(value->text, "true") == 0 || strcmp(value->text, "True") == 0 || strcmp(value->text, "TRUE") == 0)
		return 1;
	if (strcmp(value->text, "false") == 0 || strcmp(value->text, "False") == 0 || strcmp(value->text, "FALSE") == 0)
		return 0;
	return -1;
}

void cvalue_free(struct cvalue *value)
{
	size_t i;

	if (value == NULL)
		return;
	for (i = 0; i < value->count; i++) {
		cvalue_free(value->items[i]);
		if (value->keys != NULL)
			free(value->keys[i]);
	}
	free(value->items);
	free(value->keys);
	free(value->text);
	free(value);
}
