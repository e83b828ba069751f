/* index.yaml URL rewriting on libyaml events (see helmindex.h). */
#include "helmindex.h"

#include <string.h>
#include <yaml.h>

#include "lib/xmalloc.h"

/*
 * The same cap as lib/yamltree.c. Checked on each event: libyaml's scanner
 * reads only a bounded lookahead past the event returned, so its work per
 * token, which grows with the flow depth, stays bounded too.
 */
#define HELM_DEPTH_MAX 64

/* Where the parser is: one frame per open mapping or sequence. */
struct frame {
	int is_map;
	int want_key; /* maps: the next scalar is a key */
	char *key;    /* maps: the key whose value is being read */
};

struct walker {
	struct frame stack[HELM_DEPTH_MAX];
	int depth;
	const char *base;
	int (*fn)(const char *file, void *arg);
	void *arg;
};

static int write_out(void *data, unsigned char *buffer, size_t size)
{
	return buf_add(data, buffer, size, NULL) == 0;
}

/* True when the scalar now being read is an item of entries.<chart>[i].urls. */
static int at_chart_url(const struct walker *w)
{
	return w->depth == 5 && w->stack[0].is_map && w->stack[0].key && strcmp(w->stack[0].key, "entries") == 0 &&
	       w->stack[1].is_map && !w->stack[2].is_map && w->stack[3].is_map && w->stack[3].key &&
	       strcmp(w->stack[3].key, "urls") == 0 && !w->stack[4].is_map;
}

/* The last path element of a URL, without query or fragment. */
static char *url_file(const char *url)
{
	size_t end = strcspn(url, "?#");
	const char *slash;
	char *trimmed = xstrndup(url, end), *file;

	slash = strrchr(trimmed, '/');
	file = xstrdup(slash ? slash + 1 : trimmed);
	free(trimmed);
	return file;
}

/* A value (scalar or collection) was completed inside the top frame. */
static void value_done(struct walker *w)
{
	struct frame *top;

	if (w->depth == 0)
		return;
	top = &w->stack[w->depth - 1];
	if (top->is_map) {
		free(top->key);
		top->key = NULL;
		top->want_key = 1;
	}
}

static int push(struct walker *w, int is_map, const yaml_mark_t *mark, const char *name, struct lerr *err)
{
	if (w->depth >= HELM_DEPTH_MAX)
		return lerr_set(err, LADING_ERR_LIMIT,
				"%s:%zu:%zu: nesting deeper than %d levels of mappings and sequences", name,
				mark->line + 1, mark->column + 1, HELM_DEPTH_MAX);
	w->stack[w->depth].is_map = is_map;
	w->stack[w->depth].want_key = 1;
	w->stack[w->depth].key = NULL;
	w->depth++;
	return 0;
}

static void pop(struct walker *w)
{
	if (w->depth > 0) {
		free(w->stack[w->depth - 1].key);
		w->depth--;
	}
	value_done(w);
}

/*
 * Follows one event; for a chart URL scalar sets *replace to the new text
 * (caller frees) when a base is given. Returns -1 when fn refuses.
 */
static int follow(struct walker *w, yaml_event_t *event, char **replace, const char *name, struct lerr *err)
{
	struct frame *top = w->depth ? &w->stack[w->depth - 1] : NULL;
	const char *value;
	char *file;

	*replace = NULL;
	switch (event->type) {
	case YAML_MAPPING_START_EVENT:
		return push(w, 1, &event->start_mark, name, err);
	case YAML_SEQUENCE_START_EVENT:
		return push(w, 0, &event->start_mark, name, err);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		pop(w);
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		break;
	default:
		return 0;
	}
	if (top != NULL && top->is_map && top->want_key) {
		top->want_key = 0;
		top->key = event->type == YAML_SCALAR_EVENT ? xstrdup((const char *)event->data.scalar.value) : NULL;
		return 0;
	}
	if (event->type == YAML_SCALAR_EVENT && at_chart_url(w)) {
		value = (const char *)event->data.scalar.value;
		file = url_file(value);
		if (w->fn != NULL && w->fn(file, w->arg) != 0) {
			free(file);
			return lerr_set(err, LADING_ERR_NOTFOUND, "%s:%zu:%zu: chart url '%s' names no served file",
					name, event->start_mark.line + 1, event->start_mark.column + 1, value);
		}
		if (w->base != NULL)
			*replace = xasprintf("%s/charts/%s", w->base, file);
		free(file);
	}
	value_done(w);
	return 0;
}

static int parse_error(yaml_parser_t *parser, const char *name, struct lerr *err)
{
	return lerr_set(err, LADING_ERR_FORMAT, "%s:%zu:%zu: %s", name, parser->problem_mark.line + 1,
			parser->problem_mark.column + 1, parser->problem ? parser->problem : "invalid YAML");
}

static int run(struct walker *w, const char *name, const char *text, size_t len, struct buf *out, struct lerr *err)
{
	yaml_parser_t parser;
	yaml_emitter_t emitter;
	yaml_event_t event, scalar;
	char *replace;
	int r = -1, done = 0;

	yaml_parser_initialize(&parser);
	yaml_emitter_initialize(&emitter);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_emitter_set_output(&emitter, write_out, out);
	yaml_emitter_set_unicode(&emitter, 1);
	yaml_emitter_set_width(&emitter, -1);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			parse_error(&parser, name, err);
			goto out;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		if (follow(w, &event, &replace, name, err) != 0) {
			yaml_event_delete(&event);
			goto out;
		}
		if (replace != NULL) {
			yaml_scalar_event_initialize(&scalar, event.data.scalar.anchor, event.data.scalar.tag,
						     (yaml_char_t *)replace, -1, 1, 1, YAML_ANY_SCALAR_STYLE);
			yaml_event_delete(&event);
			free(replace);
			event = scalar;
		}
		if (out == NULL) {
			yaml_event_delete(&event);
		} else if (!yaml_emitter_emit(&emitter, &event)) {
			lerr_set(err, LADING_ERR_FORMAT, "%s: cannot write the rewritten index: %s", name,
				 emitter.problem ? emitter.problem : "emitter error");
			goto out;
		}
	}
	r = 0;
out:
	while (w->depth > 0)
		pop(w);
	yaml_emitter_delete(&emitter);
	yaml_parser_delete(&parser);
	return r;
}

int helm_index_rewrite(const char *name, const char *text, size_t len, const char *base, struct buf *out,
		       struct lerr *err)
{
	struct walker w;

	memset(&w, 0, sizeof(w));
	w.base = base;
	return run(&w, name, text, len, out, err);
}

int helm_index_each_file(const char *name, const char *text, size_t len, int (*fn)(const char *file, void *arg),
			 void *arg, struct lerr *err)
{
	struct walker w;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.arg = arg;
	return run(&w, name, text, len, NULL, err);
}
