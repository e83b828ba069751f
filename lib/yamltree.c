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
#include "grow.h"
#include "xmalloc.h"

/*
 * Collections inside collections. libyaml's scanner does work per token in
 * proportion to the flow depth (a 200 000-deep "[[[...]]]" takes minutes),
 * so the depth is checked on each event as it comes: the scanner reads at
 * most about 1024 characters past the event the loader has reached (a
 * simple key's lookahead), so a deep input is refused after a bounded scan.
 */
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 1000000 /* aliases expanded: no billion laughs */

/* Anchors by name in an open-addressing table: aliases stay linear however many there are. */
struct anchor {
	char *name;
	const struct ynode *node;
};

struct loader {
	yaml_parser_t parser;
	const char *file;
	size_t nodes;
	struct anchor *anchors;
	size_t anchor_cap;
	size_t anchor_count;
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

static int at_mark(struct loader *ld, int code, const yaml_mark_t *mark, const char *msg)
{
	return lerr_set(ld->err, code, "%s:%zu:%zu: %s", ld->file, mark->line + 1, mark->column + 1, msg);
}

static int next_event(struct loader *ld, yaml_event_t *event)
{
	yaml_parser_t *p = &ld->parser;

	if (yaml_parser_parse(p, event))
		return 0;
	return lerr_set(ld->err, LADING_ERR_FORMAT, "%s:%zu:%zu: %s%s%s", ld->file, p->problem_mark.line + 1,
			p->problem_mark.column + 1, p->problem ? p->problem : "invalid YAML", p->context ? " " : "",
			p->context ? p->context : "");
}

/* A node at depth (collections around it), counted against the caps; NULL with err set past one. */
static struct ynode *node_new(struct loader *ld, enum ynode_type type, const yaml_mark_t *mark, int depth)
{
	struct ynode *node;
	char msg[96];

	if (type != YNODE_SCALAR && depth >= YAML_MAX_DEPTH) {
		snprintf(msg, sizeof(msg), "nesting deeper than %d levels of mappings and sequences", YAML_MAX_DEPTH);
		at_mark(ld, LADING_ERR_LIMIT, mark, msg);
		return NULL;
	}
	if (++ld->nodes > YAML_MAX_NODES) {
		snprintf(msg, sizeof(msg), "more than %d nodes (aliases expanded)", YAML_MAX_NODES);
		at_mark(ld, LADING_ERR_LIMIT, mark, msg);
		return NULL;
	}
	node = xcalloc(1, sizeof(*node));
	node->type = type;
	node->file = ld->file;
	node->line = (int)mark->line + 1;
	node->col = (int)mark->column + 1;
	return node;
}

static size_t anchor_slot(const struct loader *ld, const char *name)
{
	size_t h = 5381;
	const char *p;

	for (p = name; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	for (h &= ld->anchor_cap - 1; ld->anchors[h].name != NULL && strcmp(ld->anchors[h].name, name) != 0;)
		h = (h + 1) & (ld->anchor_cap - 1);
	return h;
}

static const struct ynode *anchor_find(const struct loader *ld, const char *name)
{
	return ld->anchor_cap == 0 ? NULL : ld->anchors[anchor_slot(ld, name)].node;
}

static void anchor_put(struct loader *ld, const char *name, const struct ynode *node)
{
	size_t i, slot;

	if ((ld->anchor_count + 1) * 2 > ld->anchor_cap) {
		struct loader bigger = {.anchor_cap = ld->anchor_cap ? ld->anchor_cap * 2 : 16};

		bigger.anchors = xcalloc(bigger.anchor_cap, sizeof(*bigger.anchors));
		for (i = 0; i < ld->anchor_cap; i++)
			if (ld->anchors[i].name != NULL)
				bigger.anchors[anchor_slot(&bigger, ld->anchors[i].name)] = ld->anchors[i];
		free(ld->anchors);
		ld->anchors = bigger.anchors;
		ld->anchor_cap = bigger.anchor_cap;
	}
	slot = anchor_slot(ld, name);
	ld->anchors[slot].name = xstrdup(name);
	ld->anchors[slot].node = node;
	ld->anchor_count++;
}

/* Records node under anchor (NULL: none); a name given twice is an error, as in libyaml's loader. */
static int anchor_add(struct loader *ld, const yaml_char_t *anchor, const struct ynode *node, const yaml_mark_t *mark)
{
	const struct ynode *first;
	char msg[LERR_MSG_MAX / 2];

	if (anchor == NULL)
		return 0;
	if ((first = anchor_find(ld, (const char *)anchor)) != NULL) {
		snprintf(msg, sizeof(msg), "anchor '&%.200s' is defined twice (first at line %d)", (const char *)anchor,
			 first->line);
		return at_mark(ld, LADING_ERR_FORMAT, mark, msg);
	}
	anchor_put(ld, (const char *)anchor, node);
	return 0;
}

/* An alias becomes a copy of its anchor's node, counted and depth-checked where it lands. */
static struct ynode *node_copy(struct loader *ld, const struct ynode *src, const yaml_mark_t *mark, int depth)
{
	struct ynode *node = node_new(ld, src->type, mark, depth);
	size_t i;

	if (node == NULL)
		return NULL;
	node->line = src->line;
	node->col = src->col;
	node->plain = src->plain;
	node->value = src->value != NULL ? xstrdup(src->value) : NULL;
	node->count = src->count;
	if (src->type == YNODE_SEQ)
		node->items = xcalloc(src->count, sizeof(*node->items));
	if (src->type == YNODE_MAP)
		node->pairs = xcalloc(src->count, sizeof(*node->pairs));
	for (i = 0; i < src->count; i++) {
		if (src->type == YNODE_SEQ && (node->items[i] = node_copy(ld, src->items[i], mark, depth + 1)) == NULL)
			goto fail;
		if (src->type == YNODE_MAP &&
		    ((node->pairs[i].key = node_copy(ld, src->pairs[i].key, mark, depth + 1)) == NULL ||
		     (node->pairs[i].value = node_copy(ld, src->pairs[i].value, mark, depth + 1)) == NULL))
			goto fail;
	}
	return node;
fail:
	ynode_free(node);
	return NULL;
}

static struct ynode *load_node(struct loader *ld, const yaml_event_t *event, int depth);

/* Reads items (or key, value pairs) until the collection's end event. */
static int load_children(struct loader *ld, struct ynode *node, int depth)
{
	yaml_event_t event;
	struct ynode *child, *key;

	for (;;) {
		if (next_event(ld, &event) != 0)
			return -1;
		if (event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&event);
			return 0;
		}
		child = load_node(ld, &event, depth + 1);
		yaml_event_delete(&event);
		if (child == NULL)
			return -1;
		if (node->type == YNODE_SEQ) {
			node->items = grow_array(node->items, node->count, sizeof(*node->items));
			node->items[node->count++] = child;
			continue;
		}
		if (child->type != YNODE_SCALAR) {
			ynode_error(child, ld->err, LADING_ERR_FORMAT, "mapping keys must be scalars");
			ynode_free(child);
			return -1;
		}
		key = child;
		if (next_event(ld, &event) != 0) {
			ynode_free(key);
			return -1;
		}
		child = load_node(ld, &event, depth + 1);
		yaml_event_delete(&event);
		if (child == NULL) {
			ynode_free(key);
			return -1;
		}
		node->pairs = grow_array(node->pairs, node->count, sizeof(*node->pairs));
		node->pairs[node->count].key = key;
		node->pairs[node->count++].value = child;
	}
}

/* The node that event starts (its children read from the parser); NULL with err set on failure. */
static struct ynode *load_node(struct loader *ld, const yaml_event_t *event, int depth)
{
	const yaml_char_t *anchor = NULL;
	const struct ynode *src;
	struct ynode *node = NULL;
	char msg[LERR_MSG_MAX / 2];

	switch (event->type) {
	case YAML_SCALAR_EVENT:
		if ((node = node_new(ld, YNODE_SCALAR, &event->start_mark, depth)) == NULL)
			return NULL;
		node->value = xstrndup((const char *)event->data.scalar.value, event->data.scalar.length);
		node->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		anchor = event->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		node = node_new(ld, event->type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP,
				&event->start_mark, depth);
		if (node == NULL)
			return NULL;
		anchor = event->type == YAML_SEQUENCE_START_EVENT ? event->data.sequence_start.anchor
								  : event->data.mapping_start.anchor;
		if (load_children(ld, node, depth) != 0)
			goto fail;
		break;
	case YAML_ALIAS_EVENT:
		src = anchor_find(ld, (const char *)event->data.alias.anchor);
		if (src == NULL) {
			snprintf(msg, sizeof(msg), "alias '*%.200s' names no anchor defined before it",
				 (const char *)event->data.alias.anchor);
			at_mark(ld, LADING_ERR_FORMAT, &event->start_mark, msg);
			return NULL;
		}
		return node_copy(ld, src, &event->start_mark, depth);
	default:
		at_mark(ld, LADING_ERR_FORMAT, &event->start_mark, "expected a node");
		return NULL;
	}
	if (anchor_add(ld, anchor, node, &event->start_mark) != 0)
		goto fail;
	return node;
fail:
	ynode_free(node);
	return NULL;
}

/* Expects an event of type next; fails naming where it is otherwise. */
static int expect_event(struct loader *ld, yaml_event_type_t type, yaml_event_t *event)
{
	if (next_event(ld, event) != 0)
		return -1;
	if (event->type == type)
		return 0;
	yaml_event_delete(event);
	return at_mark(ld, LADING_ERR_FORMAT, &event->start_mark, "unexpected YAML event");
}

/*
 * One document, or none. A second one (after "---") is an error, as in
 * PyYAML's safe_load that Ansible uses: a file that silently lost its second
 * half is worse than one refused.
 */
static int load_stream(struct loader *ld, struct ynode **root)
{
	yaml_event_t event;
	int r;

	*root = NULL;
	if (expect_event(ld, YAML_STREAM_START_EVENT, &event) != 0)
		return -1;
	yaml_event_delete(&event);
	if (next_event(ld, &event) != 0)
		return -1;
	if (event.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&event);
		return 0;
	}
	yaml_event_delete(&event); /* the document start */
	if (next_event(ld, &event) != 0)
		return -1;
	*root = load_node(ld, &event, 0);
	yaml_event_delete(&event);
	if (*root == NULL || expect_event(ld, YAML_DOCUMENT_END_EVENT, &event) != 0)
		return -1;
	yaml_event_delete(&event);
	if (next_event(ld, &event) != 0)
		return -1;
	r = 0;
	if (event.type == YAML_DOCUMENT_START_EVENT)
		r = at_mark(ld, LADING_ERR_FORMAT, &event.start_mark,
			    "a second YAML document starts here; lading reads one document per file");
	yaml_event_delete(&event);
	return r;
}

int ydoc_load_string(struct ydoc *doc, const char *name, const char *data, size_t len, struct lerr *err)
{
	struct loader ld;
	struct ynode *root = NULL;
	size_t i;
	int r;

	memset(&ld, 0, sizeof(ld));
	doc->file = xstrdup(name);
	doc->root = NULL;
	ld.file = doc->file;
	ld.err = err;
	if (!yaml_parser_initialize(&ld.parser)) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot initialise the YAML parser", name);
		free(doc->file);
		doc->file = NULL;
		return -1;
	}
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)data, len);
	r = load_stream(&ld, &root);
	yaml_parser_delete(&ld.parser);
	for (i = 0; i < ld.anchor_cap; i++)
		free(ld.anchors[i].name);
	free(ld.anchors);
	if (r != 0) {
		ynode_free(root);
		free(doc->file);
		doc->file = NULL;
		return -1;
	}
	doc->root = root;
	return 0;
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
