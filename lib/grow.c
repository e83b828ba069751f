#include "lib/grow.h"

#include <stdint.h>

#include "lib/xmalloc.h"

/* Fewer than this many elements are never worth a reallocation of their own. */
#define GROW_MIN 4

void *grow_array(void *array, size_t count, size_t size)
{
	if (count == 0)
		return xreallocarray(array, GROW_MIN, size);
	/* Only a power of two at or above GROW_MIN means the array is full. */
	if (count < GROW_MIN || (count & (count - 1)) != 0)
		return array;
	/* Doubling past SIZE_MAX wraps: ask for SIZE_MAX so xreallocarray fails as it does on any overflow. */
	return xreallocarray(array, count > SIZE_MAX / 2 ? SIZE_MAX : count * 2, size);
}
