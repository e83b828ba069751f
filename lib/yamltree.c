#include "yamltree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "buf.h"
#include "fsutil.h"
#include "xmalloc.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 1000000

struct convert {
	yaml_document_t *ydoc;
	const char *file;
	size_t nodes;
	struct lerr *err;
};

static void ynode_free(struct ynode *node)
{
	size_t i;

	if (node == NULL)
		return;
	free(node->value);
	for (i = 0; node->type == YNODE_SEQ && i < node->count; i++)
		ynode_free(node->items[i]);
	for (i = 0; node->type == YNODE_MAP && i < node->count; i++) {
		ynode_free(node->pairs[i].key);
		ynode_free(node->pairs[i].value);
	}
	free(node->items);
	free(node->pairs);
	free(node);
}

static struct ynode *convert_node(struct convert *cv, yaml_node_t *src, int depth)
{
	struct ynode *node;
	size_t i;

	if (depth > YAML_MAX_DEPTH || ++cv->nodes > YAML_MAX_NODES) {
		lerr_set(cv->err, LADING_ERR_LIMIT, "%s:%zu:%zu: document nested too deeply or too large", cv->file,
			 src->start_mark.line + 1, src->start_mark.column + 1);
		return NULL;
	}
	node = xcalloc(1, sizeof(*node));
	node->file = cv->file;
	node->line = (int)src->start_mark.line + 1;
	node->col = (int)src->start_mark.column + 1;
	switch (src->type) {
	case YAML_SCALAR_NODE:
		node->type = YNODE_SCALAR;
		node->value = xstrndup((const char *)src->data.scalar.value, src->data.scalar.length);
		node->plain = src->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it;

		node->type = YNODE_SEQ;
		node->count = (size_t)(src->data.sequence.items.top - src->data.sequence.items.start);
		node->items = xcalloc(node->count, sizeof(*node->items));
		for (i = 0, it = src->data.sequence.items.start; it < src->data.sequence.items.top; it++, i++) {
			node->items[i] = convert_node(cv, yaml_document_get_node(cv->ydoc, *it), depth + 1);
			if (node->items[i] == NULL)
				goto fail;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *pair;

		node->type = YNODE_MAP;
		node->count = (size_t)(src->data.mapping.pairs.top - src->data.mapping.pairs.start);
		node->pairs = xcalloc(node->count, sizeof(*node->pairs));
		for (i = 0, pair = src->data.mapping.pairs.start; pair < src->data.mapping.pairs.top; pair++, i++) {
			node->pairs[i].key = convert_node(cv, yaml_document_get_node(cv->ydoc, pair->key), depth + 1);
			if (node->pairs[i].key == NULL)
				goto fail;
			node->pairs[i].value =
			    convert_node(cv, yaml_document_get_node(cv->ydoc, pair->value), depth + 1);
			if (node->pairs[i].value == NULL)
				goto fail;
			if (node->pairs[i].key->type != YNODE_SCALAR) {
				ynode_error(node->pairs[i].key, cv->err, LADING_ERR_FORMAT,
					    "mapping keys must be scalars");
				goto fail;
			}
		}
		break;
	}
	default:
		lerr_set(cv->err, LADING_ERR_FORMAT, "%s:%d:%d: empty node", cv->file, node->line, node->col);
		goto fail;
	}
	return node;
fail:
	ynode_free(node);
	return NULL;
}

int ydoc_load_string(struct ydoc *doc, const char *name, const char *data, size_t len, struct lerr *err)
{
	yaml_parser_t parser;
	yaml_document_t ydoc;
	yaml_node_t *root;
	struct convert cv;
	int r = -1;

	doc->file = xstrdup(name);
	doc->root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot initialise the YAML parser", name);
		goto fail;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &ydoc)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:%zu:%zu: %s%s%s", name, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto fail;
	}
	root = yaml_document_get_root_node(&ydoc);
	if (root != NULL) {
		cv.ydoc = &ydoc;
		cv.file = doc->file;
		cv.nodes = 0;
		cv.err = err;
		doc->root = convert_node(&cv, root, 0);
		if (doc->root == NULL) {
			yaml_document_delete(&ydoc);
			yaml_parser_delete(&parser);
			goto fail;
		}
	}
	yaml_document_delete(&ydoc);
	yaml_parser_delete(&parser);
	return 0;
fail:
	free(doc->file);
	doc->file = NULL;
	return r;
}

int ydoc_load_file(struct ydoc *doc, const char *path, size_t max_bytes, struct lerr *err)
{
	struct buf data = BUF_INIT(max_bytes);
	int r;

	doc->file = NULL;
	doc->root = NULL;
	if (fs_read_file(path, &data, err) != 0) {
		buf_free(&data);
		return -1;
	}
	r = ydoc_load_string(doc, path, data.data, data.len, err);
	buf_free(&data);
	return r;
}

void ydoc_free(struct ydoc *doc)
{
	if (doc == NULL)
		return;
	ynode_free(doc->root);
	free(doc->file);
	doc->root = NULL;
	doc->file = NULL;
}

const char *ynode_type_name(enum ynode_type type)
{
	switch (type) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_SEQ:
		return "sequence";
	case YNODE_MAP:
		return "mapping";
	}
	return "node";
}

int ynode_error(const struct ynode *node, struct lerr *err, int code, const char *fmt, ...)
{
	char msg[LERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lerr_set(err, code, "%s:%d:%d: %s", node->file, node->line, node->col, msg);
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->pairs[i].key->value, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

int ynode_expect(const struct ynode *node, enum ynode_type type, const char *what, struct lerr *err)
{
	if (node->type == type)
		return 0;
	return ynode_error(node, err, LADING_ERR_USAGE, "%s: expected a %s, got a %s", what, ynode_type_name(type),
			   ynode_type_name(node->type));
}

int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *where, struct lerr *err)
{
	size_t i, j;

	if (ynode_expect(map, YNODE_MAP, where, err) != 0)
		return -1;
	for (i = 0; i < map->count; i++) {
		const char *key = map->pairs[i].key->value;
		int found = 0;

		for (j = 0; allowed[j] != NULL && !found; j++)
			found = strcmp(allowed[j], key) == 0;
		if (!found)
			return ynode_error(map->pairs[i].key, err, LADING_ERR_USAGE, "unknown key '%s' in %s", key,
					   where);
		for (j = 0; j < i; j++)
			if (strcmp(map->pairs[j].key->value, key) == 0)
				return ynode_error(map->pairs[i].key, err, LADING_ERR_USAGE, "duplicate key '%s' in %s",
						   key, where);
	}
	return 0;
}

int ynode_string(const struct ynode *node, const char *what, const char **out, struct lerr *err)
{
	if (ynode_expect(node, YNODE_SCALAR, what, err) != 0)
		return -1;
	*out = node->value;
	return 0;
}

int ynode_bool(const struct ynode *node, const char *what, int *out, struct lerr *err)
{
	static const char *yes[] = {"true", "yes", "on", NULL};
	static const char *no[] = {"false", "no", "off", NULL};
	int i;

	if (ynode_expect(node, YNODE_SCALAR, what, err) != 0)
		return -1;
	for (i = 0; node->plain && yes[i] != NULL; i++)
		if (strcasecmp(node->value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; node->plain && no[i] != NULL; i++)
		if (strcasecmp(node->value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return ynode_error(node, err, LADING_ERR_USAGE, "%s: expected true or false, got '%s'", what, node->value);
}

int ynode_int(const struct ynode *node, const char *what, long long min, long long max, long long *out,
	      struct lerr *err)
{
	char *end = NULL;
	long long value;

	if (ynode_expect(node, YNODE_SCALAR, what, err) != 0)
		return -1;
	errno = 0;
	value = strtoll(node->value, &end, 10);
	if (errno != 0 || end == node->value || *end != '\0' || !node->plain)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s: expected an integer, got '%s'", what, node->value);
	if (value < min || value > max)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s: %lld is out of range [%lld, %lld]", what, value,
				   min, max);
	*out = value;
	return 0;
}
