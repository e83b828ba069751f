/*
 * Variable values with the types Ansible gives them: YAML 1.1 plain scalars as
 * PyYAML resolves them (null, bool, int, float), INI values as Python's
 * ast.literal_eval reads them (the INI plugin's _parse_value), and lists/maps
 * as JSON text.
 */
#include "inventory/value.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

static int is_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Digits of the given base with single underscores between them (as Python and YAML 1.1 allow). */
static int digits_ok(const char *s, int base, int python)
{
	int prev_digit = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		int d = isdigit((unsigned char)*s)    ? *s - '0'
			: isxdigit((unsigned char)*s) ? tolower((unsigned char)*s) - 'a' + 10
						      : -1;

		if (*s == '_') {
			if (python && !prev_digit)
				return 0;
			prev_digit = 0;
			continue;
		}
		if (d < 0 || d >= base)
			return 0;
		prev_digit = 1;
	}
	return python ? prev_digit : 1;
}

/* Parses an integer literal (sign, 0x/0o/0b, underscores) into decimal text; yaml11 reads 0NNN as octal. */
static char *int_text(const char *s, int yaml11)
{
	char clean[64];
	const char *p = s;
	int negative = 0, base = 10;
	size_t n = 0;
	long long value;
	char *end;

	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X' || p[1] == 'b' || p[1] == 'B' || p[1] == 'o' || p[1] == 'O')) {
		base = tolower((unsigned char)p[1]) == 'x' ? 16 : tolower((unsigned char)p[1]) == 'b' ? 2 : 8;
		if (yaml11 && base == 8)
			return NULL;
		p += 2;
		if (!yaml11 && *p == '_')
			p++;
	} else if (p[0] == '0' && p[1] != '\0') {
		if (!yaml11 && strspn(p, "0_") == strlen(p) && p[strlen(p) - 1] == '0')
			return xstrdup("0");
		if (!yaml11) /* Python 3: leading zeros are a syntax error, so the text stays a string */
			return NULL;
		base = 8;
		p++;
	}
	if (!digits_ok(p, base, !yaml11))
		return NULL;
	for (; *p != '\0' && n + 1 < sizeof(clean); p++)
		if (*p != '_')
			clean[n++] = *p;
	if (*p != '\0')
		return NULL;
	clean[n] = '\0';
	errno = 0;
	value = strtoll(clean, &end, base);
	if (errno != 0 || *end != '\0')
		return NULL;
	return xasprintf("%lld", negative ? -value : value);
}

/* PyYAML's float: [-+]?digits.digits?([eE][-+]digits)? or .digits(exp)?; no inf/nan here. */
static int yaml_float(const char *s)
{
	const char *p = s;
	int before = 0, after = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p) || (*p == '_' && before)) {
		before = 1;
		p++;
	}
	if (*p != '.' || (!before && (s[0] == '+' || s[0] == '-')))
		return 0;
	p++;
	while (isdigit((unsigned char)*p) || *p == '_') {
		after = 1;
		p++;
	}
	if (!before && !after)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p != '+' && *p != '-')
			return 0;
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

static char *strip_underscores(const char *s)
{
	char *out = xstrdup(s), *w = out;

	for (; *s != '\0'; s++)
		if (*s != '_')
			*w++ = *s;
	*w = '\0';
	return out;
}

void inv_value_yaml_scalar(const char *text, int plain, char **out, enum inv_kind *kind)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
	static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
	char *number;

	if (!plain) {
		*kind = INV_STRING;
		*out = xstrdup(text);
	} else if (is_one_of(text, nulls)) {
		*kind = INV_NULL;
		*out = xstrdup("");
	} else if (is_one_of(text, trues) || is_one_of(text, falses)) {
		*kind = INV_BOOL;
		*out = xstrdup(is_one_of(text, trues) ? "true" : "false");
	} else if ((number = int_text(text, 1)) != NULL) {
		*kind = INV_INT;
		*out = number;
	} else if (yaml_float(text)) {
		*kind = INV_FLOAT;
		*out = strip_underscores(text);
	} else {
		*kind = INV_STRING;
		*out = xstrdup(text);
	}
}

json_t *inv_value_json(const char *text, enum inv_kind kind)
{
	switch (kind) {
	case INV_INT:
		return json_integer(strtoll(text, NULL, 10));
	case INV_FLOAT:
		return json_real(strtod(text, NULL));
	case INV_BOOL:
		return json_boolean(strcmp(text, "true") == 0);
	case INV_NULL:
		return json_null();
	case INV_JSON: {
		json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

		return v != NULL ? v : json_string(text);
	}
	case INV_STRING:
		break;
	}
	return json_stringn(text, strlen(text));
}

static int is_merge_key(const struct ynode *key)
{
	return key->plain && strcmp(key->value, "<<") == 0;
}

void inv_ymap_each(const struct ynode *map, void (*fn)(void *ctx, const struct ynode *key, const struct ynode *value),
		   void *ctx)
{
	size_t i, j;

	for (i = 0; i < map->count; i++) {
		const struct ynode *merged = map->pairs[i].value;

		if (!is_merge_key(map->pairs[i].key))
			continue;
		if (merged->type == YNODE_MAP)
			inv_ymap_each(merged, fn, ctx);
		for (j = merged->count; merged->type == YNODE_SEQ && j > 0; j--)
			if (merged->items[j - 1]->type == YNODE_MAP)
				inv_ymap_each(merged->items[j - 1], fn, ctx);
	}
	for (i = 0; i < map->count; i++)
		if (!is_merge_key(map->pairs[i].key))
			fn(ctx, map->pairs[i].key, map->pairs[i].value);
}

static json_t *ynode_json(const struct ynode *node);

static void json_set_pair(void *ctx, const struct ynode *key, const struct ynode *value)
{
	json_object_set_new(ctx, key->value, ynode_json(value));
}

static json_t *ynode_json(const struct ynode *node)
{
	json_t *v;
	char *text;
	enum inv_kind kind;
	size_t i;

	switch (node->type) {
	case YNODE_SEQ:
		v = json_array();
		for (i = 0; i < node->count; i++)
			json_array_append_new(v, ynode_json(node->items[i]));
		return v;
	case YNODE_MAP:
		v = json_object();
		inv_ymap_each(node, json_set_pair, v);
		return v;
	case YNODE_SCALAR:
		break;
	}
	inv_value_yaml_scalar(node->value, node->plain, &text, &kind);
	v = inv_value_json(text, kind);
	free(text);
	return v;
}

void inv_value_yaml(const struct ynode *node, char **out, enum inv_kind *kind)
{
	json_t *v;

	if (node->type == YNODE_SCALAR) {
		inv_value_yaml_scalar(node->value, node->plain, out, kind);
		return;
	}
	v = ynode_json(node);
	*out = json_dumps(v, JSON_FLAGS);
	if (*out == NULL)
		abort(); /* only out of memory: every value built above is valid JSON */
	*kind = INV_JSON;
	json_decref(v);
}

/* ---- Python literals (ast.literal_eval) for INI values ---- */

#define PY_MAX_DEPTH 64

struct py {
	const char *p;
	int depth;
};

static void py_space(struct py *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

/* Python's float literal: digits with single underscores, '.', exponent; at least one digit. */
static int py_float_ok(const char *t)
{
	int digits = 0, dot = 0;

	if (*t == '+' || *t == '-')
		t++;
	for (; *t != '\0' && *t != 'e' && *t != 'E'; t++) {
		if (isdigit((unsigned char)*t))
			digits = 1;
		else if (*t == '.' && !dot)
			dot = 1;
		else if (*t != '_' || !isdigit((unsigned char)t[-1]) || !isdigit((unsigned char)t[1]))
			return 0;
	}
	if (!digits)
		return 0;
	if (*t == 'e' || *t == 'E') {
		t++;
		if (*t == '+' || *t == '-')
			t++;
		if (!isdigit((unsigned char)*t))
			return 0;
		while (isdigit((unsigned char)*t) || (*t == '_' && isdigit((unsigned char)t[1])))
			t++;
		return *t == '\0';
	}
	return dot;
}

static json_t *py_number(struct py *s)
{
	const char *start = s->p;
	char *token, *text;
	json_t *v = NULL;

	if (*s->p == '-' || *s->p == '+')
		s->p++;
	while (isalnum((unsigned char)*s->p) || *s->p == '_' || *s->p == '.' ||
	       ((*s->p == '+' || *s->p == '-') && (s->p[-1] == 'e' || s->p[-1] == 'E')))
		s->p++;
	token = xstrndup(start, (size_t)(s->p - start));
	if ((text = int_text(token, 0)) != NULL) {
		v = json_integer(strtoll(text, NULL, 10));
		free(text);
	} else if (py_float_ok(token)) {
		text = strip_underscores(token);
		v = json_real(strtod(text, NULL));
		free(text);
	}
	free(token);
	return v;
}

static int py_escape(struct py *s, struct buf *out)
{
	static const char simple[] = "\\\\''\"\"n\nt\tr\ra\ab\bf\fv\v";
	const char *e;
	unsigned long code;
	int width = 0, i;
	char hex[9];

	for (e = simple; *e != '\0'; e += 2)
		if (*s->p == e[0]) {
			buf_add(out, &e[1], 1, NULL);
			s->p++;
			return 0;
		}
	if (*s->p == '\n') {
		s->p++;
		return 0;
	}
	if (*s->p >= '0' && *s->p <= '7') {
		for (code = 0, i = 0; i < 3 && *s->p >= '0' && *s->p <= '7'; i++)
			code = code * 8 + (unsigned long)(*s->p++ - '0');
		goto utf8;
	}
	width = *s->p == 'x' ? 2 : *s->p == 'u' ? 4 : *s->p == 'U' ? 8 : 0;
	if (width == 0) { /* unknown escapes keep their backslash */
		buf_add(out, "\\", 1, NULL);
		return 0;
	}
	s->p++;
	for (i = 0; i < width; i++) {
		if (!isxdigit((unsigned char)s->p[i]))
			return -1;
		hex[i] = s->p[i];
	}
	hex[width] = '\0';
	s->p += width;
	code = strtoul(hex, NULL, 16);
utf8:
	if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) || code == 0)
		return -1;
	{
		char enc[4];
		size_t n;

		if (code < 0x80) {
			enc[0] = (char)code;
			n = 1;
		} else if (code < 0x800) {
			enc[0] = (char)(0xC0 | (code >> 6));
			enc[1] = (char)(0x80 | (code & 0x3F));
			n = 2;
		} else if (code < 0x10000) {
			enc[0] = (char)(0xE0 | (code >> 12));
			enc[1] = (char)(0x80 | ((code >> 6) & 0x3F));
			enc[2] = (char)(0x80 | (code & 0x3F));
			n = 3;
		} else {
			enc[0] = (char)(0xF0 | (code >> 18));
			enc[1] = (char)(0x80 | ((code >> 12) & 0x3F));
			enc[2] = (char)(0x80 | ((code >> 6) & 0x3F));
			enc[3] = (char)(0x80 | (code & 0x3F));
			n = 4;
		}
		buf_add(out, enc, n, NULL);
	}
	return 0;
}

/* One or more adjacent quoted strings ('a' "b" is "ab" in Python). */
static json_t *py_string(struct py *s)
{
	struct buf out = BUF_INIT(0);
	json_t *v = NULL;

	while (*s->p == '\'' || *s->p == '"' ||
	       ((*s->p == 'u' || *s->p == 'U') && (s->p[1] == '\'' || s->p[1] == '"'))) {
		char quote;

		if (*s->p == 'u' || *s->p == 'U')
			s->p++;
		quote = *s->p++;
		if (s->p[0] == quote && s->p[1] == quote)
			goto out; /* triple-quoted strings are not read here */
		while (*s->p != quote) {
			if (*s->p == '\0' || *s->p == '\n')
				goto out;
			if (*s->p == '\\') {
				s->p++;
				if (py_escape(s, &out) != 0)
					goto out;
				continue;
			}
			buf_add(&out, s->p++, 1, NULL);
		}
		s->p++;
		py_space(s);
	}
	v = json_stringn(out.data != NULL ? out.data : "", out.len);
out:
	buf_free(&out);
	return v;
}

static json_t *py_value(struct py *s);

/* JSON object keys as Python's json.dumps writes non-string keys. */
static char *py_key(json_t *key)
{
	if (json_is_string(key))
		return xstrdup(json_string_value(key));
	if (json_is_integer(key))
		return xasprintf("%lld", (long long)json_integer_value(key));
	if (json_is_true(key) || json_is_false(key))
		return xstrdup(json_is_true(key) ? "true" : "false");
	if (json_is_null(key))
		return xstrdup("null");
	if (json_is_real(key))
		return xasprintf("%.15g", json_real_value(key));
	return NULL;
}

/* [..], (..) and {..}; a parenthesised single value without a comma is that value. */
static json_t *py_container(struct py *s)
{
	char open = *s->p++, close = open == '[' ? ']' : open == '(' ? ')' : '}';
	json_t *v = open == '{' ? json_object() : json_array();
	int commas = 0;

	for (py_space(s); *s->p != close; py_space(s)) {
		json_t *item = py_value(s), *value;
		char *key;

		if (item == NULL)
			goto fail;
		py_space(s);
		if (open == '{') {
			key = py_key(item);
			json_decref(item);
			if (key == NULL || *s->p != ':') {
				free(key);
				goto fail;
			}
			s->p++;
			value = py_value(s);
			if (value == NULL) {
				free(key);
				goto fail;
			}
			json_object_set_new(v, key, value);
			free(key);
			py_space(s);
		} else {
			json_array_append_new(v, item);
		}
		if (*s->p == ',') {
			s->p++;
			commas++;
		} else if (*s->p != close) {
			goto fail;
		}
	}
	s->p++;
	if (open == '(' && commas == 0 && json_array_size(v) == 1) {
		json_t *only = json_incref(json_array_get(v, 0));

		json_decref(v);
		return only;
	}
	return v;
fail:
	json_decref(v);
	return NULL;
}

static json_t *py_value(struct py *s)
{
	json_t *v = NULL;

	py_space(s);
	if (++s->depth > PY_MAX_DEPTH)
		return NULL;
	if (*s->p == '[' || *s->p == '(' || *s->p == '{')
		v = py_container(s);
	else if (*s->p == '\'' || *s->p == '"' || *s->p == 'u' || *s->p == 'U')
		v = py_string(s);
	else if (isdigit((unsigned char)*s->p) || *s->p == '.' || *s->p == '-' || *s->p == '+')
		v = py_number(s);
	else if (strncmp(s->p, "True", 4) == 0 && !isalnum((unsigned char)s->p[4]) && s->p[4] != '_')
		v = json_true(), s->p += 4;
	else if (strncmp(s->p, "False", 5) == 0 && !isalnum((unsigned char)s->p[5]) && s->p[5] != '_')
		v = json_false(), s->p += 5;
	else if (strncmp(s->p, "None", 4) == 0 && !isalnum((unsigned char)s->p[4]) && s->p[4] != '_')
		v = json_null(), s->p += 4;
	s->depth--;
	return v;
}

void inv_value_python(const char *text, char **out, enum inv_kind *kind)
{
	struct py s = {text, 0};
	json_t *v;

	while (*s.p == ' ' || *s.p == '\t')
		s.p++;
	v = py_value(&s);
	if (v != NULL)
		py_space(&s);
	if (v == NULL || (*s.p != '\0' && *s.p != '#')) { /* literal_eval parses a comment after the value */
		json_decref(v);
		*kind = INV_STRING;
		*out = xstrdup(text);
		return;
	}
	if (json_is_string(v)) {
		*kind = INV_STRING;
		*out = xstrdup(json_string_value(v));
	} else if (json_is_integer(v)) {
		*kind = INV_INT;
		*out = xasprintf("%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		*kind = INV_FLOAT;
		*out = xasprintf("%.15g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		*kind = INV_BOOL;
		*out = xstrdup(json_is_true(v) ? "true" : "false");
	} else if (json_is_null(v)) {
		*kind = INV_NULL;
		*out = xstrdup("");
	} else {
		*kind = INV_JSON;
		*out = json_dumps(v, JSON_FLAGS);
		if (*out == NULL)
			abort();
	}
	json_decref(v);
}
