#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int buf_grow(struct buf *b, size_t extra, struct lerr *err)
{
	size_t need;
	size_t cap;

	if (extra > SIZE_MAX - b->len - 1)
		return lerr_set(err, LADING_ERR_LIMIT, "buffer size overflow");
	need = b->len + extra + 1;
	if (b->max != 0 && need - 1 > b->max)
		return lerr_set(err, LADING_ERR_LIMIT, "data larger than the %zu-byte limit", b->max);
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len, struct lerr *err)
{
	if (buf_grow(b, len, err) != 0)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s, struct lerr *err)
{
	return buf_add(b, s, strlen(s), err);
}

static int buf_vaddf(struct buf *b, struct lerr *err, const char *fmt, va_list ap)
{
	va_list copy;
	int len;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "cannot format text");
	if (buf_grow(b, (size_t)len, err) != 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	b->len += (size_t)len;
	return 0;
}

int buf_addf(struct buf *b, struct lerr *err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, err, fmt, ap);
	va_end(ap);
	return r;
}

void buf_puts(struct buf *b, const char *s)
{
	struct lerr err;

	if (buf_addstr(b, s, &err) != 0) {
		fprintf(stderr, "lading: %s\n", err.msg);
		abort();
	}
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	struct lerr err;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, &err, fmt, ap);
	va_end(ap);
	if (r != 0) {
		fprintf(stderr, "lading: %s\n", err.msg);
		abort();
	}
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *data = b->data;

	if (data == NULL)
		data = xstrdup("");
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return data;
}

void buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
