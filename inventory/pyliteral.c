/*
 * INI values as Ansible's INI plugin reads them: Python's ast.literal_eval
 * (numbers, quoted strings, True/False/None, lists, tuples, dicts), and the
 * text itself when it is no literal.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/value.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

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
	if ((text = inv_int_text(token, 0)) != NULL) {
		v = json_integer(strtoll(text, NULL, 10));
		free(text);
	} else if (py_float_ok(token)) {
		text = inv_strip_underscores(token);
		v = json_real(strtod(text, NULL));
		free(text);
	}
	free(token);
	return v;
}

static void put_utf8(struct buf *out, unsigned long code)
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
	buf_add(out, enc, n, NULL); /* out has no cap: it holds one INI value */
}

/* One escape after a backslash, as Python reads it in a string literal. */
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
	put_utf8(out, code);
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
		*out = json_dumps(v, INV_JSON_FLAGS);
		if (*out == NULL)
			abort();
	}
	json_decref(v);
}
