#include "packages/namemap.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

void name_map_init(struct name_map *m)
{
	m->slots = NULL;
	m->size = 0;
	m->used = 0;
}

/* FNV-1a: short keys, no adversary (names come from a signed index or the user). */
static uint32_t hash_bytes(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

static struct name_map_slot *probe(const struct name_map *m, const char *key, size_t len, uint32_t hash)
{
	size_t mask = m->size - 1;
	size_t i = hash & mask;

	/* The table is never more than half full, so an empty slot ends every probe. */
	while (m->slots[i].key != NULL) {
		const struct name_map_slot *s = &m->slots[i];

		if (s->hash == hash && strncmp(s->key, key, len) == 0 && s->key[len] == '\0')
			break;
		i = (i + 1) & mask;
	}
	return &m->slots[i];
}

uint32_t *name_map_find(const struct name_map *m, const char *key, size_t len)
{
	struct name_map_slot *s;

	if (m->size == 0)
		return NULL;
	s = probe(m, key, len, hash_bytes(key, len));
	return s->key != NULL ? &s->value : NULL;
}

static void grow(struct name_map *m)
{
	struct name_map_slot *old = m->slots;
	size_t old_size = m->size, i;

	m->size = old_size ? old_size * 2 : 64;
	m->slots = xcalloc(m->size, sizeof(*m->slots));
	for (i = 0; i < old_size; i++) {
		if (old[i].key != NULL) {
			size_t mask = m->size - 1, j = old[i].hash & mask;

			while (m->slots[j].key != NULL)
				j = (j + 1) & mask;
			m->slots[j] = old[i];
		}
	}
	free(old);
}

void name_map_put(struct name_map *m, const char *key, uint32_t value)
{
	size_t len = strlen(key);
	uint32_t hash = hash_bytes(key, len);
	struct name_map_slot *s;

	if ((m->used + 1) * 2 > m->size)
		grow(m);
	s = probe(m, key, len, hash);
	if (s->key == NULL) {
		s->key = key;
		s->hash = hash;
		m->used++;
	}
	s->value = value;
}

void name_map_free(struct name_map *m)
{
	free(m->slots);
	name_map_init(m);
}
