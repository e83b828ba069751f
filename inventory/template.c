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

struct render {
	const char *text;  /* the whole template */
	const char *where; /* its name in messages */
	int line;	   /* of counted */
	const char *counted;
	size_t mark; /* out->len after the last expression: "{{-" trims back to here */
};

/* The line of position p (p never goes backwards between calls). */
static int line_at(struct render *r, const char *p)
{
	for (; r->counted < p; r->counted++)
		r->line += *r->counted == '\n';
	return r->line;
}

/*
 * One expression starting at open ("{{"); *next is set past its "}}". Jinja's
 * whitespace control is honoured: "{{-" trims the whitespace before, "-}}"
 * the whitespace after.
 */
static int render_expr(struct render *r, const char *open, const char *end, tmpl_lookup_fn lookup, void *ctx,
		       struct buf *out, const char **next, struct lerr *err)
{
	const char *close, *inner = open + 2, *value;
	struct expr e;

	for (close = inner; close + 1 < end && !(close[0] == '}' && close[1] == '}'); close++)
		;
	if (close + 1 >= end)
		return lerr_set(err, LADING_ERR_USAGE, "%s:%d: '{{' without its closing '}}'", r->where,
				line_at(r, open));
	*next = close + 2;
	if (*inner == '-') {
		inner++;
		while (out->len > r->mark && isspace((unsigned char)out->data[out->len - 1]))
			out->data[--out->len] = '\0';
	}
	if (close > inner && close[-1] == '-') {
		close--;
		while (*next < end && isspace((unsigned char)**next))
			(*next)++;
	}
	if (parse_expr(inner, close, &e) != 0)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s:%d: cannot read '%.*s': expected {{ name }} or {{ name | default('text') }}",
				r->where, line_at(r, open), (int)(*next - open), open);
	value = lookup(ctx, e.name);
	if (value == NULL && !e.has_default)
		return lerr_set(err, LADING_ERR_USAGE, "%s:%d: undefined variable '%s'", r->where, line_at(r, open),
				e.name);
	if (value != NULL ? buf_addstr(out, value, err) : buf_add(out, e.default_text, e.default_len, err))
		return lerr_prefix(err, "%s", r->where);
	r->mark = out->len;
	return 0;
}

int tmpl_render(const char *text, size_t len, const char *where, int first_line, tmpl_lookup_fn lookup, void *ctx,
		struct buf *out, struct lerr *err)
{
	struct render r = {text, where, first_line, text, out->len};
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *brace = memchr(p, '{', (size_t)(end - p));
		const char *upto = brace == NULL ? end : brace + (brace + 1 < end && brace[1] == '{' ? 0 : 1);

		if (brace != NULL && brace + 1 < end && brace[1] == '%')
			return lerr_set(err, LADING_ERR_USAGE,
					"%s:%d: '{%%' statements are not supported (only {{ name }} and {{ name | "
					"default('text') }})",
					where, line_at(&r, brace));
		if (buf_add(out, p, (size_t)(upto - p), err) != 0)
			return lerr_prefix(err, "%s", where);
		p = upto;
		if (brace == NULL || p != brace)
			continue; /* plain text, or a lone '{' */
		if (render_expr(&r, brace, end, lookup, ctx, out, &p, err) != 0)
			return -1;
	}
	return 0;
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
