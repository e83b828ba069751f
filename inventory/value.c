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
char *inv_int_text(const char *s, int yaml11)
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

char *inv_strip_underscores(const char *s)
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
	} else if ((number = inv_int_text(text, 1)) != NULL) {
		*kind = INV_INT;
		*out = number;
	} else if (yaml_float(text)) {
		*kind = INV_FLOAT;
		*out = inv_strip_underscores(text);
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
	*out = json_dumps(v, INV_JSON_FLAGS);
	if (*out == NULL)
		abort(); /* only out of memory: every value built above is valid JSON */
	*kind = INV_JSON;
	json_decref(v);
}
