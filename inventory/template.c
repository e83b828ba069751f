/*
 * {{ var }} substitution for template steps and shell commands: a variable
 * name, optionally piped through default('text'), nothing else.
 */
#include "inventory/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define TMPL_NAME_MAX 256

struct expr {
	char name[TMPL_NAME_MAX];
	int has_default;
	const char *default_text; /* into the template */
	size_t default_len;
};

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* "default('x')" or "default(\"x\")" (also Jinja's short name "d"); p after the '|'. */
static const char *parse_default(const char *p, const char *end, struct expr *e)
{
	char quote;
	const char *start;

	p = skip_space(p, end);
	if (end - p >= 7 && strncmp(p, "default", 7) == 0)
		p += 7;
	else if (end - p >= 1 && *p == 'd' && (p + 1 == end || !isalnum((unsigned char)p[1])))
		p += 1;
	else
		return NULL;
	p = skip_space(p, end);
	if (p == end || *p != '(')
		return NULL;
	p = skip_space(p + 1, end);
	if (p == end || (*p != '\'' && *p != '"'))
		return NULL;
	quote = *p++;
	start = p;
	while (p < end && *p != quote)
		p++;
	if (p == end)
		return NULL;
	e->has_default = 1;
	e->default_text = start;
	e->default_len = (size_t)(p - start);
	p = skip_space(p + 1, end);
	if (p == end || *p != ')')
		return NULL;
	return skip_space(p + 1, end);
}

/* Reads the inside of {{ ... }} (begin..end excludes the braces). */
static int parse_expr(const char *begin, const char *end, struct expr *e)
{
	const char *p = skip_space(begin, end), *name = p;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (p == end || !(isalpha((unsigned char)*p) || *p == '_'))
		return -1;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	len = (size_t)(p - name);
	if (len >= sizeof(e->name))
		return -1;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	p = skip_space(p, end);
	if (p < end && *p == '|') {
		p = parse_default(p + 1, end, e);
		if (p == NULL)
			return -1;
	}
	return p == end ? 0 : -1;
}

static int count_lines(const char *from, const char *to)
{
	int lines = 0;

	for (; from < to; from++)
		lines += *from == '\n';
	return lines;
}

int tmpl_render(const char *text, size_t len, const char *where, int first_line, tmpl_lookup_fn lookup, void *ctx,
		struct buf *out, struct lerr *err)
{
	const char *p = text, *end = text + len, *open, *close;
	struct expr e;

	while (p < end) {
		const char *brace = memchr(p, '{', (size_t)(end - p));
		const char *value;

		if (brace == NULL || brace + 1 == end) {
			if (buf_add(out, p, (size_t)(end - p), err) != 0)
				goto full;
			break;
		}
		if (brace[1] != '{' && brace[1] != '%') {
			if (buf_add(out, p, (size_t)(brace + 1 - p), err) != 0)
				goto full;
			p = brace + 1;
			continue;
		}
		if (buf_add(out, p, (size_t)(brace - p), err) != 0)
			goto full;
		open = brace;
		if (brace[1] == '%')
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d: '{%%' statements are not supported (only {{ name }} and {{ name | "
					"default('text') }})",
					where, first_line + count_lines(text, open));
		for (close = open + 2; close + 1 < end && !(close[0] == '}' && close[1] == '}'); close++)
			;
		if (close + 1 >= end)
			return lerr_set(err, LADING_ERR_USAGE, "%s:%d: '{{' without its closing '}}'", where,
					first_line + count_lines(text, open));
		if (parse_expr(open + 2, close, &e) != 0)
			return lerr_set(
			    err, LADING_ERR_USAGE,
			    "%s:%d: cannot read '%.*s': expected {{ name }} or {{ name | default('text') }}", where,
			    first_line + count_lines(text, open), (int)(close + 2 - open), open);
		value = lookup(ctx, e.name);
		if (value != NULL) {
			if (buf_addstr(out, value, err) != 0)
				goto full;
		} else if (e.has_default) {
			if (buf_add(out, e.default_text, e.default_len, err) != 0)
				goto full;
		} else {
			return lerr_set(err, LADING_ERR_USAGE, "%s:%d: undefined variable '%s'", where,
					first_line + count_lines(text, open), e.name);
		}
		p = close + 2;
	}
	return 0;
full:
	return lerr_prefix(err, "%s", where);
}

int tmpl_render_file(const char *path, size_t max_bytes, tmpl_lookup_fn lookup, void *ctx, struct buf *out,
		     struct lerr *err)
{
	struct buf data = BUF_INIT(max_bytes);
	int r;

	if (fs_read_file(path, &data, err) != 0) {
		buf_free(&data);
		return -1;
	}
	r = tmpl_render(data.data != NULL ? data.data : "", data.len, path, 1, lookup, ctx, out, err);
	buf_free(&data);
	return r;
}

const char *tmpl_host_lookup(void *ctx, const char *name)
{
	const struct inv_host *host = ctx;

	if (strcmp(name, "inventory_hostname") == 0)
		return host->name;
	return inv_host_var(host, name);
}
