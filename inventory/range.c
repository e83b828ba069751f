/*
 * Host ranges, following Ansible's plugins/inventory expand_hostname_range:
 * the first "[...:...]" after position 0 is expanded, then the rest of the
 * name recursively.
 */
#include "inventory/range.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/grow.h"
#include "lib/xmalloc.h"

static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct names {
	char **items;
	size_t count;
};

static void names_push(struct names *n, char *name)
{
	n->items = grow_array(n->items, n->count, sizeof(*n->items));
	n->items[n->count++] = name;
}

void inv_range_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Ansible's detect_range: '[' after position 0, then ':', then ']'. */
static int find_range(const char *s, const char **open, const char **close)
{
	const char *o = strchr(s, '['), *c, *colon;

	if (o == NULL || o == s)
		return 0;
	c = strchr(o, ']');
	colon = strchr(o, ':');
	if (c == NULL || colon == NULL || colon > c)
		return 0;
	*open = o;
	*close = c;
	return 1;
}

static int parse_count(const char *s, size_t len, long *out)
{
	char buf[32], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	*out = strtol(buf, &end, 10);
	return errno != 0 || *end != '\0' || *out > 1000000000000L ? -1 : 0;
}

/* The values of one "[beg:end:step]" as strings. */
static int range_values(const char *spec, size_t len, struct names *out, struct lerr *err)
{
	const char *c1 = memchr(spec, ':', len), *c2;
	size_t beg_len, end_len, step_len;
	long beg, end, step = 1, v;
	const char *lb, *le;

	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - spec));
	if (c2 != NULL && memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - spec)) != NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"bad host range '[%.*s]': expected [begin:end] or [begin:end:step]", (int)len, spec);
	beg_len = (size_t)(c1 - spec);
	end_len = (size_t)((c2 ? c2 : spec + len) - (c1 + 1));
	step_len = c2 ? (size_t)(spec + len - (c2 + 1)) : 0;
	if (end_len == 0)
		return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': no end value", (int)len, spec);
	if (c2 != NULL && (parse_count(c2 + 1, step_len, &step) != 0 || step < 1))
		return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': step must be a positive integer",
				(int)len, spec);
	if (beg_len == 1 && end_len == 1 && isalpha((unsigned char)spec[0]) && isalpha((unsigned char)c1[1])) {
		lb = strchr(letters, spec[0]);
		le = strchr(letters, c1[1]);
		if (lb > le)
			return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': begin is after end", (int)len,
					spec);
		for (; lb <= le; lb += step) {
			names_push(out, xstrndup(lb, 1));
			if (le - lb < step)
				break;
		}
		return 0;
	}
	if (beg_len == 0)
		beg = 0;
	else if (parse_count(spec, beg_len, &beg) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': begin must be a number or a letter",
				(int)len, spec);
	if (parse_count(c1 + 1, end_len, &end) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': end must be a number or a letter",
				(int)len, spec);
	if (beg_len > 1 && spec[0] == '0' && beg_len != end_len)
		return lerr_set(err, LADING_ERR_USAGE,
				"bad host range '[%.*s]': a zero-padded begin and its end must have the same width",
				(int)len, spec);
	if (beg > end)
		return lerr_set(err, LADING_ERR_USAGE, "bad host range '[%.*s]': begin is after end", (int)len, spec);
	if ((end - beg) / step + 1 > INV_RANGE_MAX)
		return lerr_set(err, LADING_ERR_LIMIT, "host range expands to more than %d names", INV_RANGE_MAX);
	for (v = beg; v <= end; v += step)
		names_push(out, xasprintf("%0*ld", beg_len > 1 && spec[0] == '0' ? (int)beg_len : 1, v));
	return 0;
}

static int expand(const char *pattern, struct names *out, size_t base, size_t *bad_offset, struct lerr *err)
{
	const char *open, *close;
	struct names values = {NULL, 0}, tails = {NULL, 0};
	size_t i, j;
	int r = -1;

	if (!find_range(pattern, &open, &close)) {
		names_push(out, xstrdup(pattern));
		return 0;
	}
	if (range_values(open + 1, (size_t)(close - open - 1), &values, err) != 0) {
		*bad_offset = base + (size_t)(open - pattern);
		goto out;
	}
	if (expand(close + 1, &tails, base + (size_t)(close + 1 - pattern), bad_offset, err) != 0)
		goto out;
	if (values.count * tails.count + out->count > INV_RANGE_MAX) {
		*bad_offset = base + (size_t)(open - pattern);
		lerr_set(err, LADING_ERR_LIMIT, "host range expands to more than %d names", INV_RANGE_MAX);
		goto out;
	}
	for (i = 0; i < values.count; i++)
		for (j = 0; j < tails.count; j++)
			names_push(out, xasprintf("%.*s%s%s", (int)(open - pattern), pattern, values.items[i],
						  tails.items[j]));
	r = 0;
out:
	inv_range_free(values.items, values.count);
	inv_range_free(tails.items, tails.count);
	return r;
}

int inv_range_expand(const char *pattern, char ***names, size_t *count, size_t *bad_offset, struct lerr *err)
{
	struct names out = {NULL, 0};

	*bad_offset = 0;
	if (expand(pattern, &out, 0, bad_offset, err) != 0) {
		inv_range_free(out.items, out.count);
		return -1;
	}
	*names = out.items;
	*count = out.count;
	return 0;
}

static int parse_port(const char *s, int *port, struct lerr *err)
{
	long value;
	char *end;

	errno = 0;
	value = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || value < 1 || value > 65535)
		return lerr_set(err, LADING_ERR_USAGE, "bad port '%s': expected 1 to 65535", s);
	*port = (int)value;
	return 0;
}

int inv_host_port(const char *pattern, char **host, int *port, struct lerr *err)
{
	const char *colon = NULL, *p;
	int depth = 0;

	*port = 0;
	if (pattern[0] == '[' && (p = strchr(pattern, ']')) != NULL && p[1] == ':' && strchr(pattern + 1, ':') < p &&
	    strspn(p + 2, "0123456789") == strlen(p + 2)) {
		/* [v6addr]:port, the only way to give a port with an IPv6 address */
		if (parse_port(p + 2, port, err) != 0)
			return -1;
		*host = xstrndup(pattern + 1, (size_t)(p - pattern - 1));
		return 0;
	}
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (*p == ':' && depth == 0) {
			if (colon != NULL) { /* a bare IPv6 address: no port */
				*host = xstrdup(pattern);
				return 0;
			}
			colon = p;
		}
	}
	if (colon == NULL || strspn(colon + 1, "0123456789") != strlen(colon + 1) || colon[1] == '\0') {
		if (colon != NULL && colon[1] == '\0')
			return lerr_set(err, LADING_ERR_USAGE, "host '%s' ends in ':' without a port", pattern);
		*host = xstrdup(pattern);
		return 0;
	}
	if (parse_port(colon + 1, port, err) != 0)
		return -1;
	*host = xstrndup(pattern, (size_t)(colon - pattern));
	return 0;
}
