#ifndef LADING_XMALLOC_H
#define LADING_XMALLOC_H

#include <stddef.h>

/*
 * Allocation that cannot fail: out of memory prints one line and aborts, so
 * callers never test for NULL (git, mandoc, signify do the same).
 */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of count elements of size bytes, checking the multiplication. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
