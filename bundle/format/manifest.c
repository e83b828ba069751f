/* lading.json to and from JSON (jansson), with the checks a verifier relies on. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle/format/chunks.h"
#include "bundle/format/manifest.h"
#include "bundle/format/path.h"
#include "lib/grow.h"
#include "lib/termsafe.h"
#include "lib/utctime.h"
#include "lib/xmalloc.h"

void bundle_format_time(int64_t seconds, char out[32])
{
	utc_time_format(seconds, out);
}

int bundle_parse_time(const char *text, int64_t *seconds)
{
	return utc_time_parse(text, seconds);
}

static json_t *string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *image_to_json(const struct bundle_image *img)
{
	json_t *obj = json_object();
	json_t *plats = json_array();
	size_t i;

	for (i = 0; i < img->platform_count; i++)
		json_array_append_new(plats, json_string(img->platforms[i]));
	json_object_set_new(obj, "ref", json_string(img->ref));
	json_object_set_new(obj, "digest", json_string(img->digest));
	json_object_set_new(obj, "media_type", json_string(img->media_type));
	json_object_set_new(obj, "platforms", plats);
	json_object_set_new(obj, "size", json_integer((json_int_t)img->size));
	if (img->source_index_digest != NULL)
		json_object_set_new(obj, "source_index_digest", json_string(img->source_index_digest));
	if (img->origin != NULL)
		json_object_set_new(obj, "origin", json_string(img->origin));
	return obj;
}

static void hex_encode(const unsigned char *raw, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * len] = '\0';
}

/* "offset", "data_offset" and, for an entry of more than one chunk, "chunks" (chunks.h). */
static void layout_to_json(const struct bundle_entry *e, json_t *obj)
{
	char hex[2 * BUNDLE_CHUNK_HASH_LEN + 1];
	json_t *chunks;
	size_t i;

	json_object_set_new(obj, "offset", json_integer((json_int_t)e->offset));
	json_object_set_new(obj, "data_offset", json_integer((json_int_t)e->data_offset));
	if (e->chunk_count == 0)
		return;
	chunks = json_array();
	for (i = 0; i < e->chunk_count; i++) {
		hex_encode(e->chunks + i * BUNDLE_CHUNK_HASH_LEN, BUNDLE_CHUNK_HASH_LEN, hex);
		json_array_append_new(chunks, json_string(hex));
	}
	json_object_set_new(obj, "chunks", chunks);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bundle_entry *)a)->path, ((const struct bundle_entry *)b)->path);
}

int bundle_manifest_sort(struct bundle_manifest *m, struct lerr *err)
{
	size_t i;

	if (m->entry_count > 1)
		qsort(m->entries, m->entry_count, sizeof(*m->entries), entry_cmp);
	for (i = 1; i < m->entry_count; i++)
		if (strcmp(m->entries[i - 1].path, m->entries[i].path) == 0)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' is listed twice", BUNDLE_MANIFEST_NAME,
					m->entries[i].path);
	return 0;
}

int bundle_manifest_to_json(const struct bundle_manifest *m, char **out, size_t *len, struct lerr *err)
{
	json_t *root = json_object();
	json_t *images = json_array();
	json_t *entries = json_array();
	char created[32];
	char *text = NULL;
	size_t i;
	int r = -1;

	for (i = 1; i < m->entry_count; i++)
		if (strcmp(m->entries[i - 1].path, m->entries[i].path) >= 0) {
			lerr_set(err, LADING_ERR_FORMAT, "%s: entries not sorted at '%s'", BUNDLE_MANIFEST_NAME,
				 m->entries[i].path);
			goto out;
		}
	bundle_format_time(m->created, created);
	json_object_set_new(root, "format", json_integer(m->format));
	json_object_set_new(root, "name", json_string(m->name));
	json_object_set_new(root, "created", json_string(created));
	json_object_set_new(root, "tool", json_string(m->tool));
	json_object_set_new(root, "spec", string_or_null(m->spec));
	if (m->base_digest != NULL)
		json_object_set_new(root, "base",
				    json_pack("{s:s, s:s}", "name", m->base_name, "lading_json", m->base_digest));
	for (i = 0; i < m->image_count; i++)
		json_array_append_new(images, image_to_json(&m->images[i]));
	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];
		json_t *obj = json_pack("{s:s, s:I, s:s, s:s, s:o}", "path", e->path, "size", (json_int_t)e->size,
					"sha256", e->sha256, "kind", e->kind, "ref", string_or_null(e->ref));

		if (e->has_layout)
			layout_to_json(e, obj);
		if (e->in_base)
			json_object_set_new(obj, "in_base", json_true());
		json_array_append_new(entries, obj);
	}
	json_object_set(root, "images", images);
	json_object_set(root, "entries", entries);
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: cannot serialise (invalid UTF-8 in a name?)",
			 BUNDLE_MANIFEST_NAME);
		goto out;
	}
	*len = strlen(text);
	*out = xasprintf("%s\n", text);
	*len += 1;
	r = 0;
out:
	free(text);
	json_decref(images);
	json_decref(entries);
	json_decref(root);
	return r;
}

static int get_string(json_t *obj, const char *key, int optional, char **out, const char *where, struct lerr *err)
{
	json_t *v = json_object_get(obj, key);

	if ((v == NULL || json_is_null(v)) && optional) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: '%s' must be a string", BUNDLE_MANIFEST_NAME, where,
				key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_size(json_t *obj, const char *key, uint64_t *out, const char *where, struct lerr *err)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: '%s' must be a non-negative integer",
				BUNDLE_MANIFEST_NAME, where, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_image(json_t *obj, struct bundle_image *img, size_t index, struct lerr *err)
{
	char where[64];
	json_t *plats;
	size_t i;

	snprintf(where, sizeof(where), "images[%zu]", index);
	if (!json_is_object(obj))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s must be an object", BUNDLE_MANIFEST_NAME, where);
	if (get_string(obj, "ref", 0, &img->ref, where, err) != 0 ||
	    get_string(obj, "digest", 0, &img->digest, where, err) != 0 ||
	    get_string(obj, "media_type", 0, &img->media_type, where, err) != 0 ||
	    get_string(obj, "source_index_digest", 1, &img->source_index_digest, where, err) != 0 ||
	    get_string(obj, "origin", 1, &img->origin, where, err) != 0 ||
	    get_size(obj, "size", &img->size, where, err) != 0)
		return -1;
	plats = json_object_get(obj, "platforms");
	if (!json_is_array(plats))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: 'platforms' must be a list", BUNDLE_MANIFEST_NAME,
				where);
	img->platforms = xcalloc(json_array_size(plats) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(plats); i++) {
		json_t *p = json_array_get(plats, i);

		if (!json_is_string(p))
			return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: platforms must be strings",
					BUNDLE_MANIFEST_NAME, where);
		img->platforms[img->platform_count++] = xstrdup(json_string_value(p));
	}
	return 0;
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_chunks(json_t *list, struct bundle_entry *e, struct lerr *err)
{
	uint64_t want = bundle_chunk_count(e->size);
	size_t i, j;

	if (want == 0 && list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) != want)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: 'chunks' must list %llu values for %llu bytes",
				BUNDLE_MANIFEST_NAME, e->path, (unsigned long long)want, (unsigned long long)e->size);
	e->chunks = xmalloc(want * BUNDLE_CHUNK_HASH_LEN);
	e->chunk_count = (size_t)want;
	for (i = 0; i < want; i++) {
		json_t *v = json_array_get(list, i);
		const char *hex = json_string_value(v);

		if (hex == NULL || json_string_length(v) != 2 * BUNDLE_CHUNK_HASH_LEN)
			goto bad;
		for (j = 0; j < BUNDLE_CHUNK_HASH_LEN; j++) {
			int hi = hex_nibble(hex[2 * j]), lo = hex_nibble(hex[2 * j + 1]);

			if (hi < 0 || lo < 0)
				goto bad;
			e->chunks[i * BUNDLE_CHUNK_HASH_LEN + j] = (unsigned char)(hi << 4 | lo);
		}
	}
	return 0;
bad:
	return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: chunks[%zu] is not 64 lowercase hex digits",
			BUNDLE_MANIFEST_NAME, e->path, i);
}

/*
 * The optional layout: "offset" and "data_offset" together (whole tar blocks, the data after
 * the header), and "chunks" exactly when they are there and the entry is over one chunk.
 */
static int parse_layout(json_t *obj, struct bundle_entry *e, const char *where, struct lerr *err)
{
	json_t *offset = json_object_get(obj, "offset");
	json_t *data = json_object_get(obj, "data_offset");
	json_t *chunks = json_object_get(obj, "chunks");

	if (offset == NULL && data == NULL && chunks == NULL)
		return 0;
	if (get_size(obj, "offset", &e->offset, where, err) != 0 ||
	    get_size(obj, "data_offset", &e->data_offset, where, err) != 0)
		return -1;
	if (e->offset % 512 != 0 || e->data_offset % 512 != 0 || e->data_offset <= e->offset ||
	    e->data_offset > UINT64_MAX / 2 || e->size > UINT64_MAX / 2)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: %s: offset %llu and data_offset %llu are not a tar header's (whole 512-byte "
				"blocks, data after header)",
				BUNDLE_MANIFEST_NAME, e->path, (unsigned long long)e->offset,
				(unsigned long long)e->data_offset);
	e->has_layout = 1;
	return parse_chunks(chunks, e, err);
}

static int parse_entry(json_t *obj, struct bundle_entry *e, size_t index, struct lerr *err)
{
	char where[64];
	char *hex = NULL;
	int r = -1;

	snprintf(where, sizeof(where), "entries[%zu]", index);
	if (!json_is_object(obj))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s must be an object", BUNDLE_MANIFEST_NAME, where);
	if (get_string(obj, "path", 0, &e->path, where, err) != 0 ||
	    get_string(obj, "kind", 0, &e->kind, where, err) != 0 ||
	    get_string(obj, "ref", 1, &e->ref, where, err) != 0 || get_size(obj, "size", &e->size, where, err) != 0 ||
	    get_string(obj, "sha256", 0, &hex, where, err) != 0)
		goto out;
	if (!bundle_path_is_safe(e->path) || strcmp(e->path, BUNDLE_MANIFEST_NAME) == 0 ||
	    strcmp(e->path, BUNDLE_SIGNATURE_NAME) == 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s: unsafe or reserved path '%s'", BUNDLE_MANIFEST_NAME, where,
			 e->path);
		goto out;
	}
	if (!hex_is_sha256(hex)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s: '%s' is not a sha256 hex digest", BUNDLE_MANIFEST_NAME,
			 e->path, hex);
		goto out;
	}
	memcpy(e->sha256, hex, SHA256_HEX_LEN + 1);
	if (parse_layout(obj, e, where, err) != 0)
		goto out;
	e->in_base = json_is_true(json_object_get(obj, "in_base"));
	if (e->in_base && e->has_layout) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s: in the base, yet given offsets here", BUNDLE_MANIFEST_NAME,
			 e->path);
		goto out;
	}
	r = 0;
out:
	free(hex);
	return r;
}

/*
 * Offsets are all there or all absent (format 2 only), and grow in tar order (by path) without
 * overlapping: serve finds data by them without reading the headers.
 */
static int check_layout(const struct bundle_manifest *m, struct lerr *err)
{
	const struct bundle_entry *prev = NULL;
	size_t i, with = 0, stored = 0;

	for (i = 0; i < m->entry_count; i++) {
		with += m->entries[i].has_layout != 0;
		stored += !m->entries[i].in_base;
	}
	if (with == 0)
		return 0;
	if (with != stored)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %zu of %zu entries have offsets: all or none",
				BUNDLE_MANIFEST_NAME, with, stored);
	for (i = 0; i < m->entry_count; i++) {
		const struct bundle_entry *e = &m->entries[i];

		if (e->in_base)
			continue;
		if (prev != NULL && e->offset < prev->data_offset + prev->size)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: offset %llu is inside '%s'",
					BUNDLE_MANIFEST_NAME, e->path, (unsigned long long)e->offset, prev->path);
		prev = e;
	}
	return 0;
}

static int parse_lists(json_t *root, struct bundle_manifest *m, struct lerr *err)
{
	json_t *images = json_object_get(root, "images");
	json_t *entries = json_object_get(root, "entries");
	size_t i;

	if (!json_is_array(images) || !json_is_array(entries))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: 'images' and 'entries' must be lists",
				BUNDLE_MANIFEST_NAME);
	m->images = xcalloc(json_array_size(images) + 1, sizeof(*m->images));
	for (i = 0; i < json_array_size(images); i++) {
		m->image_count++;
		if (parse_image(json_array_get(images, i), &m->images[i], i, err) != 0)
			return -1;
	}
	m->entries = xcalloc(json_array_size(entries) + 1, sizeof(*m->entries));
	for (i = 0; i < json_array_size(entries); i++) {
		m->entry_count++;
		if (parse_entry(json_array_get(entries, i), &m->entries[i], i, err) != 0)
			return -1;
	}
	if (bundle_manifest_sort(m, err) != 0)
		return -1;
	return check_layout(m, err);
}

/*
 * No string or key of lading.json may hold a control character: names, refs and paths are
 * shown on terminals (inspect) before anything is verified, and none needs one. The one
 * exception is the top-level "spec", the lading.yaml text, which is never printed.
 */
static int json_text_clean(json_t *value, int top, struct lerr *err)
{
	const char *key, *text;
	json_t *child;
	size_t i, len, at;

	if (json_is_string(value)) {
		text = json_string_value(value);
		len = json_string_length(value);
		if ((at = termsafe_find_control(text, len)) < len)
			return lerr_set(
			    err, LADING_ERR_FORMAT,
			    "%s: a string holds a control character (byte 0x%02x at offset %zu of a %zu-byte "
			    "string); the bundle is damaged or crafted",
			    BUNDLE_MANIFEST_NAME, (unsigned char)text[at], at, len);
		return 0;
	}
	json_object_foreach(value, key, child)
	{
		if (termsafe_find_control(key, strlen(key)) < strlen(key))
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: a key holds a control character; the bundle is "
					"damaged or crafted",
					BUNDLE_MANIFEST_NAME);
		if ((!top || strcmp(key, "spec") != 0) && json_text_clean(child, 0, err) != 0)
			return -1;
	}
	json_array_foreach(value, i, child) if (json_text_clean(child, 0, err) != 0) return -1;
	return 0;
}

/* "base": {"name", "lading_json": "sha256:<hex>"}, present exactly in format 3. */
static int parse_base(json_t *root, struct bundle_manifest *m, struct lerr *err)
{
	json_t *base = json_object_get(root, "base");

	if (base == NULL && m->format < BUNDLE_FORMAT_DELTA)
		return 0;
	if (!json_is_object(base) || m->format != BUNDLE_FORMAT_DELTA)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: 'base' must be an object, in format %d (a delta) only",
				BUNDLE_MANIFEST_NAME, BUNDLE_FORMAT_DELTA);
	if (get_string(base, "name", 0, &m->base_name, "base", err) != 0 ||
	    get_string(base, "lading_json", 0, &m->base_digest, "base", err) != 0)
		return -1;
	if (strncmp(m->base_digest, "sha256:", 7) != 0 || !hex_is_sha256(m->base_digest + 7))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: base.lading_json '%s' is not sha256:<hex>",
				BUNDLE_MANIFEST_NAME, m->base_digest);
	return 0;
}

/* Only a delta lists entries it does not carry. */
static int check_base(const struct bundle_manifest *m, struct lerr *err)
{
	size_t i;

	if (m->base_digest != NULL)
		return 0;
	for (i = 0; i < m->entry_count; i++)
		if (m->entries[i].in_base)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: %s is marked in_base, but no base is named",
					BUNDLE_MANIFEST_NAME, m->entries[i].path);
	return 0;
}

int bundle_manifest_parse(const char *data, size_t len, struct bundle_manifest *out, struct lerr *err)
{
	struct bundle_manifest m;
	json_error_t jerr;
	json_t *root;
	json_t *format;
	char *created = NULL;
	int r = -1;

	memset(&m, 0, sizeof(m));
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%d:%d: %s", BUNDLE_MANIFEST_NAME, jerr.line, jerr.column,
				jerr.text);
	if (json_text_clean(root, 1, err) != 0)
		goto out;
	format = json_object_get(root, "format");
	if (!json_is_integer(format) || json_integer_value(format) < BUNDLE_FORMAT_OLDEST ||
	    json_integer_value(format) > BUNDLE_FORMAT_NEWEST) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: unsupported format (this lading reads formats %d to %d)",
			 BUNDLE_MANIFEST_NAME, BUNDLE_FORMAT_OLDEST, BUNDLE_FORMAT_NEWEST);
		goto out;
	}
	m.format = (int)json_integer_value(format);
	if (get_string(root, "name", 0, &m.name, "top level", err) != 0 ||
	    get_string(root, "tool", 0, &m.tool, "top level", err) != 0 ||
	    get_string(root, "spec", 1, &m.spec, "top level", err) != 0 ||
	    get_string(root, "created", 0, &created, "top level", err) != 0)
		goto out;
	if (bundle_parse_time(created, &m.created) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: created '%s' is not a UTC time like 2026-11-23T09:00:00Z",
			 BUNDLE_MANIFEST_NAME, created);
		goto out;
	}
	if (parse_base(root, &m, err) != 0 || parse_lists(root, &m, err) != 0 || check_base(&m, err) != 0)
		goto out;
	*out = m;
	memset(&m, 0, sizeof(m));
	r = 0;
out:
	free(created);
	bundle_manifest_free(&m);
	json_decref(root);
	return r;
}

const struct bundle_entry *bundle_manifest_find(const struct bundle_manifest *m, const char *path)
{
	struct bundle_entry key;

	if (m->entry_count == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.path = (char *)path;
	return bsearch(&key, m->entries, m->entry_count, sizeof(*m->entries), entry_cmp);
}

struct bundle_entry *bundle_manifest_add_entry(struct bundle_manifest *m, const char *path, uint64_t size,
					       const char *sha256_hex, const char *kind, const char *ref)
{
	struct bundle_entry *e;

	m->entries = grow_array(m->entries, m->entry_count, sizeof(*m->entries));
	e = &m->entries[m->entry_count++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(path);
	e->size = size;
	snprintf(e->sha256, sizeof(e->sha256), "%s", sha256_hex);
	e->kind = xstrdup(kind);
	e->ref = ref != NULL ? xstrdup(ref) : NULL;
	return e;
}

void bundle_entry_set_file(struct bundle_entry *e, const char *file)
{
	free(e->src_file);
	e->src_file = xstrdup(file);
}

void bundle_entry_set_data(struct bundle_entry *e, const void *data, size_t len)
{
	free(e->src_data);
	e->src_data = xmalloc(len + 1);
	memcpy(e->src_data, data, len);
	e->src_data[len] = '\0';
}

void bundle_manifest_free(struct bundle_manifest *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->image_count; i++) {
		struct bundle_image *img = &m->images[i];

		free(img->ref);
		free(img->digest);
		free(img->media_type);
		free(img->source_index_digest);
		free(img->origin);
		for (j = 0; j < img->platform_count; j++)
			free(img->platforms[j]);
		free(img->platforms);
	}
	for (i = 0; i < m->entry_count; i++) {
		free(m->entries[i].path);
		free(m->entries[i].kind);
		free(m->entries[i].ref);
		free(m->entries[i].src_file);
		free(m->entries[i].src_data);
		free(m->entries[i].chunks);
	}
	free(m->images);
	free(m->entries);
	free(m->name);
	free(m->tool);
	free(m->spec);
	free(m->base_name);
	free(m->base_digest);
	memset(m, 0, sizeof(*m));
}
