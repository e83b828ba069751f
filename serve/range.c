#include "range.h"

#include <stddef.h>
#include <strings.h>

/* Reads decimal digits into *out; returns the end, or NULL on none or overflow. */
static const char *parse_u64(const char *s, uint64_t *out)
{
	uint64_t value = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9') {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return NULL;
		value = value * 10 + digit;
		p++;
	}
	if (p == s)
		return NULL;
	*out = value;
	return p;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

enum http_range http_range_parse(const char *header, uint64_t size, uint64_t *start, uint64_t *length)
{
	uint64_t first = 0, last = 0;
	const char *p;
	int has_first, has_last;

	if (header == NULL)
		return HTTP_RANGE_NONE;
	p = skip_spaces(header);
	if (strncasecmp(p, "bytes=", 6) != 0)
		return HTTP_RANGE_NONE;
	p = skip_spaces(p + 6);
	has_first = *p != '-';
	if (has_first && (p = parse_u64(p, &first)) == NULL)
		return HTTP_RANGE_NONE;
	p = skip_spaces(p);
	if (*p++ != '-')
		return HTTP_RANGE_NONE;
	p = skip_spaces(p);
	has_last = *p >= '0' && *p <= '9';
	if (has_last && (p = parse_u64(p, &last)) == NULL)
		return HTTP_RANGE_NONE;
	if (*skip_spaces(p) != '\0' || (!has_first && !has_last))
		return HTTP_RANGE_NONE; /* several ranges or junk: serving everything is allowed */
	if (!has_first) {
		/* suffix range: the last `last` bytes */
		if (last == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*start = last >= size ? 0 : size - last;
		*length = size - *start;
		return HTTP_RANGE_OK;
	}
	if (has_last && last < first)
		return HTTP_RANGE_NONE;
	if (first >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	if (!has_last || last >= size)
		last = size - 1;
	*start = first;
	*length = last - first + 1;
	return HTTP_RANGE_OK;
}
