#ifndef LADING_GROW_H
#define LADING_GROW_H

#include <stddef.h>

/*
 * Room for element number count (0-based) in an array that grows one element
 * at a time: returns array itself, or array reallocated to the next power of
 * two elements (at least 4) of size bytes, so appending n elements costs O(n)
 * copies, not O(n^2). The capacity is not stored but derived from count, so
 * the array must be NULL or have been grown only by grow_array (never
 * allocated to an exact size elsewhere). New room is not zeroed. Out of
 * memory and a size overflow are fatal, as in xmalloc.
 *
 *	items = grow_array(items, count, sizeof(*items));
 *	items[count++] = item;
 */
void *grow_array(void *array, size_t count, size_t size);

#endif
