/* Volumes: lading-volume.json, the plan that cuts a bundle into volumes, volume sizes. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/path.h"
#include "bundle/format/volume.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/*
 * What an entry of n bytes can take in a volume file, were zstd unable to
 * compress it: pax and ustar headers and padding (at most 2 KiB), raw block
 * headers (3 bytes per 128 KiB), frame headers every 4 MiB and the seek
 * table's 12 bytes per frame: n/1024 and 4 KiB cover all of it.
 */
static uint64_t cost(uint64_t n)
{
	return n + n / 1024 + 4096;
}

/* Its line in lading-volume.json (name, path, numbers, quotes): also in the volume. */
static uint64_t item_meta(const char *path)
{
	return 2 * (uint64_t)strlen(path) + 160;
}

/* The head (lading.json, its signature, the fixed part of lading-volume.json) and the tar's end. */
static uint64_t head_cost(size_t json_len, size_t sig_len)
{
	return cost(json_len) + cost(sig_len) + cost(512) + 65536;
}

static void item_free(struct bundle_volume_item *it)
{
	free(it->name);
	free(it->path);
}

void bundle_volume_free(struct bundle_volume *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->item_count; i++)
		item_free(&v->items[i]);
	free(v->items);
	free(v->by_name);
	free(v->set);
	memset(v, 0, sizeof(*v));
}

void bundle_volume_plan_free(struct bundle_volume *v, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		bundle_volume_free(&v[i]);
	free(v);
}

char *bundle_volume_file(const char *dir, const char *set, size_t number)
{
	return xasprintf("%s/%s.%03zu.tar.zst", dir, set, number);
}

static struct bundle_volume_item *add_item(struct bundle_volume *v, const char *path, uint64_t offset, uint64_t size,
					   size_t part)
{
	struct bundle_volume_item *it;

	v->items = grow_array(v->items, v->item_count, sizeof(*v->items));
	it = &v->items[v->item_count++];
	memset(it, 0, sizeof(*it));
	it->path = xstrdup(path);
	it->name = part ? xasprintf("%s.part%03zu", path, part) : xstrdup(path);
	it->offset = offset;
	it->size = size;
	it->part = part;
	return it;
}

/* Sets every part's count once the entry's last part is planned. */
static void number_parts(struct bundle_volume *vols, size_t count, const char *path, size_t parts)
{
	size_t i, j;

	for (i = count; i-- > 0;)
		for (j = vols[i].item_count; j-- > 0;)
			if (vols[i].items[j].part && strcmp(vols[i].items[j].path, path) == 0)
				vols[i].items[j].parts = parts;
}

struct planner {
	struct bundle_volume *vols;
	size_t count;
	uint64_t used; /* bytes the last volume may take so far */
	uint64_t head, cap;
	const char *set, *json_sha;
	uint64_t volume_size;
};

static struct bundle_volume *new_volume(struct planner *p, struct lerr *err)
{
	struct bundle_volume *v;

	if (p->count >= BUNDLE_VOLUMES_MAX) {
		lerr_set(err, LADING_ERR_USAGE, "more than %d volumes of %llu bytes: give a larger --volume-size",
			 BUNDLE_VOLUMES_MAX, (unsigned long long)p->volume_size);
		return NULL;
	}
	p->vols = grow_array(p->vols, p->count, sizeof(*p->vols));
	v = &p->vols[p->count++];
	memset(v, 0, sizeof(*v));
	v->set = xstrdup(p->set);
	snprintf(v->lading_json, sizeof(v->lading_json), "%s", p->json_sha);
	v->number = p->count;
	v->volume_size = p->volume_size;
	p->used = p->head;
	return v;
}

/* Cuts e into parts that fill the volumes from the current one on. */
static int plan_parts(struct planner *p, const struct bundle_entry *e, struct lerr *err)
{
	uint64_t off = 0, meta = item_meta(e->path);
	size_t part = 0;

	if (!e->has_layout || e->chunk_count == 0)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s (%llu bytes) is larger than a volume and %s has no chunk values for it (a bundle "
				"of an older lading): create it again with this lading, or give a larger --volume-size",
				e->path, (unsigned long long)e->size, BUNDLE_MANIFEST_NAME);
	while (off < e->size) {
		uint64_t left = e->size - off, room, n;

		if (p->used + cost(left) + meta <= p->cap) {
			add_item(&p->vols[p->count - 1], e->path, off, left, ++part);
			p->used += cost(left) + meta;
			break;
		}
		room = p->cap > p->used + meta + 4096 ? p->cap - p->used - meta - 4096 : 0;
		n = (room - room / 1025) / BUNDLE_CHUNK_SIZE * BUNDLE_CHUNK_SIZE;
		if (n > 0) {
			add_item(&p->vols[p->count - 1], e->path, off, n, ++part);
			off += n;
		} else if (p->vols[p->count - 1].item_count == 0) {
			return lerr_set(err, LADING_ERR_USAGE,
					"a volume of %llu bytes cannot hold one %u-byte chunk of %s",
					(unsigned long long)p->volume_size, BUNDLE_CHUNK_SIZE, e->path);
		}
		if (new_volume(p, err) == NULL)
			return -1;
	}
	number_parts(p->vols, p->count, e->path, part);
	return 0;
}

int bundle_volume_plan(const struct bundle_manifest *m, size_t json_len, size_t sig_len, const char *set,
		       const char *json_sha, uint64_t volume_size, struct bundle_volume **out, size_t *count,
		       struct lerr *err)
{
	struct planner p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.head = head_cost(json_len, sig_len);
	p.cap = volume_size;
	p.set = set;
	p.json_sha = json_sha;
	p.volume_size = volume_size;
	*out = NULL;
	*count = 0;
	if (volume_size < p.head + cost(BUNDLE_CHUNK_SIZE) + item_meta("") + 2 * BUNDLE_PATH_MAX)
		return lerr_set(
		    err, LADING_ERR_USAGE,
		    "--volume-size %llu is too small: each volume holds %s (%zu bytes) and at least one %u "
		    "MiB chunk; give at least %llu bytes",
		    (unsigned long long)volume_size, BUNDLE_MANIFEST_NAME, json_len, BUNDLE_CHUNK_SIZE >> 20,
		    (unsigned long long)(p.head + cost(BUNDLE_CHUNK_SIZE) + item_meta("") + 2 * BUNDLE_PATH_MAX));
	if (new_volume(&p, err) == NULL)
		goto fail;
	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		uint64_t c = cost(e->size) + item_meta(e->path);

		if (e->in_base)
			continue;
		if (p.used + c <= p.cap) {
			add_item(&p.vols[p.count - 1], e->path, 0, e->size, 0);
			p.used += c;
		} else if (p.head + c <= p.cap) {
			if (new_volume(&p, err) == NULL)
				goto fail;
			add_item(&p.vols[p.count - 1], e->path, 0, e->size, 0);
			p.used += c;
		} else if (plan_parts(&p, e, err) != 0) {
			goto fail;
		}
	}
	for (i = 0; i < p.count; i++)
		p.vols[i].count = p.count;
	*out = p.vols;
	*count = p.count;
	return 0;
fail:
	bundle_volume_plan_free(p.vols, p.count);
	return -1;
}

int bundle_volume_to_json(const struct bundle_volume *v, char **out, size_t *len, struct lerr *err)
{
	json_t *root = json_object(), *items = json_array();
	size_t i;

	for (i = 0; i < v->item_count; i++) {
		const struct bundle_volume_item *it = &v->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "path", json_string(it->path));
		json_object_set_new(o, "size", json_integer((json_int_t)it->size));
		if (it->part) {
			json_object_set_new(o, "name", json_string(it->name));
			json_object_set_new(o, "offset", json_integer((json_int_t)it->offset));
			json_object_set_new(o, "part", json_integer((json_int_t)it->part));
			json_object_set_new(o, "parts", json_integer((json_int_t)it->parts));
		}
		json_array_append_new(items, o);
	}
	json_object_set_new(root, "set", json_string(v->set));
	json_object_set_new(root, "lading_json", json_string(v->lading_json));
	json_object_set_new(root, "volume", json_integer((json_int_t)v->number));
	json_object_set_new(root, "volumes", json_integer((json_int_t)v->count));
	json_object_set_new(root, "volume_size", json_integer((json_int_t)v->volume_size));
	json_object_set_new(root, "items", items);
	*out = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (*out == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot serialise %s", BUNDLE_VOLUME_NAME);
	*len = strlen(*out);
	return 0;
}

static int get_count(json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *out, struct lerr *err)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min || (uint64_t)json_integer_value(v) > max)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' must be a whole number from %llu to %llu",
				BUNDLE_VOLUME_NAME, key, (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int set_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || strlen(s) > 200)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.' && s[i] != '+')
			return 0;
	return 1;
}

static int parse_item(json_t *o, size_t index, struct bundle_volume *v, struct lerr *err)
{
	const char *path = json_string_value(json_object_get(o, "path"));
	const char *name = json_string_value(json_object_get(o, "name"));
	uint64_t size, offset = 0, part = 0, parts = 0;
	struct bundle_volume_item *it;

	if (!json_is_object(o) || path == NULL || !bundle_path_is_safe(path))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: items[%zu]: 'path' must be a safe relative path",
				BUNDLE_VOLUME_NAME, index);
	if (get_count(o, "size", 0, UINT64_MAX >> 2, &size, err) != 0)
		return lerr_prefix(err, "%s", path);
	if (json_object_get(o, "part") != NULL && (get_count(o, "parts", 2, UINT32_MAX, &parts, err) != 0 ||
						   get_count(o, "part", 1, parts, &part, err) != 0 ||
						   get_count(o, "offset", 0, UINT64_MAX >> 2, &offset, err) != 0))
		return lerr_prefix(err, "%s", path);
	it = add_item(v, path, offset, size, (size_t)part);
	it->parts = (size_t)parts;
	if (part ? name == NULL || strcmp(name, it->name) != 0 : name != NULL && strcmp(name, path) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: items[%zu]: 'name' must be '%s'", BUNDLE_VOLUME_NAME,
				index, it->name);
	return 0;
}

static int by_name_cmp(const void *a, const void *b)
{
	const struct bundle_volume_item *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The index by name, and no name twice. */
static int index_names(struct bundle_volume *v, struct lerr *err)
{
	size_t i;

	v->by_name = xcalloc(v->item_count + 1, sizeof(*v->by_name));
	for (i = 0; i < v->item_count; i++)
		v->by_name[i] = &v->items[i];
	qsort(v->by_name, v->item_count, sizeof(*v->by_name), by_name_cmp);
	for (i = 1; i < v->item_count; i++)
		if (strcmp(v->by_name[i - 1]->name, v->by_name[i]->name) == 0)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' is listed twice", BUNDLE_VOLUME_NAME,
					v->by_name[i]->name);
	return 0;
}

int bundle_volume_parse(const char *json, size_t len, struct bundle_volume *v, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *items;
	const char *set, *sha;
	uint64_t number, count, size;
	size_t i;
	int r = -1;

	memset(v, 0, sizeof(*v));
	if (root == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: line %d: %s", BUNDLE_VOLUME_NAME, jerr.line, jerr.text);
	set = json_string_value(json_object_get(root, "set"));
	sha = json_string_value(json_object_get(root, "lading_json"));
	items = json_object_get(root, "items");
	if (!set_name_ok(set)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: 'set' must be a plain file name", BUNDLE_VOLUME_NAME);
		goto out;
	}
	if (sha == NULL || !hex_is_sha256(sha)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: 'lading_json' must be 64 lowercase hex digits",
			 BUNDLE_VOLUME_NAME);
		goto out;
	}
	if (get_count(root, "volumes", 1, BUNDLE_VOLUMES_MAX, &count, err) != 0 ||
	    get_count(root, "volume", 1, count, &number, err) != 0 ||
	    get_count(root, "volume_size", 1, UINT64_MAX >> 2, &size, err) != 0)
		goto out;
	if (!json_is_array(items)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: 'items' must be a list", BUNDLE_VOLUME_NAME);
		goto out;
	}
	v->set = xstrdup(set);
	snprintf(v->lading_json, sizeof(v->lading_json), "%s", sha);
	v->number = (size_t)number;
	v->count = (size_t)count;
	v->volume_size = size;
	for (i = 0; i < json_array_size(items); i++)
		if (parse_item(json_array_get(items, i), i, v, err) != 0)
			goto out;
	r = index_names(v, err);
out:
	json_decref(root);
	if (r != 0)
		bundle_volume_free(v);
	return r;
}

const struct bundle_volume_item *bundle_volume_find(const struct bundle_volume *v, const char *name)
{
	size_t lo = 0, hi = v->item_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->by_name[mid]->name, name);

		if (c == 0)
			return v->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int bundle_volume_size_parse(const char *text, uint64_t *out, struct lerr *err)
{
	static const struct {
		const char *name;
		uint64_t size;
	} media[] = {
	    {"fat32", 4294967295ull}, {"dvd", 4700000000ull},	{"dvd-dl", 8500000000ull},
	    {"bd25", 25025314816ull}, {"bd50", 50050629632ull},
	};
	unsigned long long n;
	char *end;
	size_t i;
	int shift = 0;

	for (i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (strcmp(text, media[i].name) == 0) {
			*out = media[i].size;
			return 0;
		}
	if (!isdigit((unsigned char)text[0]))
		goto bad;
	n = strtoull(text, &end, 10);
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case 'T':
	case 't':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
		goto bad;
	if (n == 0 || n > (UINT64_MAX >> 2) >> shift)
		goto bad;
	*out = (uint64_t)n << shift;
	return 0;
bad:
	return lerr_set(err, LADING_ERR_USAGE,
			"--volume-size '%s': give bytes with an optional K, M, G or T (1024-based), or fat32, dvd, "
			"dvd-dl, bd25, bd50",
			text);
}
