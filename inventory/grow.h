#ifndef LADING_INVENTORY_GROW_H
#define LADING_INVENTORY_GROW_H

#include <stddef.h>

#include "lib/xmalloc.h"

/*
 * Room for element number count (0-based) in an array that only ever grows
 * through this function: the capacity is the next power of two (at least 4),
 * so appending n elements costs O(n) copies, not O(n^2).
 */
static inline void *inv_grow(void *array, size_t count, size_t size)
{
	if (count == 0)
		return xreallocarray(array, 4, size);
	if (count >= 4 && (count & (count - 1)) == 0)
		return xreallocarray(array, count * 2, size);
	return array;
}

#endif
