#ifndef LADING_PACKAGES_NAMEMAP_H
#define LADING_PACKAGES_NAMEMAP_H

/*
 * A hash table from package names to small numbers (indexes into the
 * caller's own arrays): the index, the baseline and the resolver each look up
 * tens of thousands of names. Keys are borrowed: the caller keeps them alive
 * and unchanged while they are in the map.
 */
#include <stddef.h>
#include <stdint.h>

struct name_map_slot {
	const char *key; /* NULL: empty */
	uint32_t hash;
	uint32_t value;
};

struct name_map {
	struct name_map_slot *slots;
	size_t size, used; /* size: 0 or a power of two */
};

void name_map_init(struct name_map *m);

/* The value stored for the len bytes at key, or NULL. The pointer is valid until the next put. */
uint32_t *name_map_find(const struct name_map *m, const char *key, size_t len);

/* Stores value for key (a NUL-terminated string), replacing any value it had. */
void name_map_put(struct name_map *m, const char *key, uint32_t value);

/* Frees the table (not the keys); accepts an initialised, unused map. */
void name_map_free(struct name_map *m);

#endif
