/* A read-only view of a format 2 bundle file, read straight from the compressed file (see view.h). */
#include "bundle/format/view.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/chunkcache.h"
#include "bundle/format/seektable.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"

struct bundle_view {
	char *path;
	int fd;
	struct bundle_manifest manifest;
	struct seektable table;
	struct chunk_cache *cache;		  /* behind a pointer: readers share it through a const view */
	char head_digest[7 + SHA256_HEX_LEN + 1]; /* "sha256:<hex>" of lading.json's bytes */
	struct bundle_view *base;		  /* a delta's base, once attached */
	bundle_view_fetch_fn fetch;		  /* or where its in_base entries come from */
	void *fetch_ctx;
	int volumes; /* a set of volumes: its offsets are the whole bundle's, not any volume's */
};

/*
 * Every entry's data must lie inside what the table lists after frame 0 (the
 * head). Checked once here so a table cut short is refused at start rather
 * than by the first request for the entries it lost.
 */
static int table_reaches_entries(const struct bundle_view *bf, struct lerr *err)
{
	uint64_t body = bf->table.decompressed_total - bf->table.frames[0].decompressed;
	size_t i;

	for (i = 0; i < bf->manifest.entry_count; i++) {
		const struct bundle_entry *e = &bf->manifest.entries[i];

		if (e->in_base)
			continue;
		if (e->data_offset > body || e->size > body - e->data_offset)
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: the seek table ends at tar byte %llu, before %s's data (bytes %llu to "
					"%llu): the bundle is damaged",
					bf->path, (unsigned long long)body, e->path, (unsigned long long)e->data_offset,
					(unsigned long long)(e->data_offset + e->size));
	}
	return 0;
}

/* Why bf's bundle cannot be served from the file (NULL: it can), once its manifest is known. */
static const char *not_seekable(const struct bundle_view *bf)
{
	if (bf->manifest.format < 2)
		return "a format 1 bundle";
	if (bf->volumes)
		return "a set of volumes (read as one stream, volume after volume)";
	size_t i;

	for (i = 0; i < bf->manifest.entry_count; i++)
		if (!bf->manifest.entries[i].in_base)
			return bf->manifest.entries[i].has_layout
				   ? NULL
				   : "its lading.json lists no offsets or chunk values (a bundle of an older lading)";
	return NULL;
}

/* Reads the head through the bundle reader, which checks lading.json, and keeps a parsed copy of it. */
static int read_head(struct bundle_view *bf, bundle_head_fn head, void *head_ctx, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const char *json, *sig;
	size_t json_len, sig_len;
	int rc = -1;

	if (bundle_reader_open(&r, bf->path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	bf->volumes = bundle_reader_volume(r) != NULL;
	if (head != NULL && head(head_ctx, json, json_len, sig, sig_len, bundle_reader_manifest(r), err) != 0)
		goto out;
	memcpy(bf->head_digest, "sha256:", 7);
	sha256_hex(json, json_len, bf->head_digest + 7);
	/* The reader parsed and checked it: a 300 GiB bundle's lading.json is 5.5 MB, parsed once. */
	bundle_reader_take_manifest(r, &bf->manifest);
	rc = 0;
out:
	bundle_reader_close(r);
	return rc;
}

int bundle_view_open(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_view **out, struct lerr *err)
{
	struct bundle_view *bf = xcalloc(1, sizeof(*bf));
	const char *why;
	int rc = -1, got;

	*out = NULL;
	bf->path = xstrdup(path);
	bf->fd = -1;
	if (read_head(bf, head, head_ctx, err) != 0)
		goto out;
	if ((why = not_seekable(bf)) != NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: %s", path, why);
		rc = 0;
		goto out;
	}
	if ((bf->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", path);
		goto out;
	}
	if ((got = seektable_read_fd(bf->fd, path, &bf->table, err)) < 0)
		goto out;
	if (got == 0 || bf->table.count == 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: no seek table at its end (recompressed as one stream?)", path);
		rc = 0;
		goto out;
	}
	if (table_reaches_entries(bf, err) != 0)
		goto out;
	bf->cache = chunk_cache_new(BUNDLE_VIEW_CACHE_SLOTS, BUNDLE_VIEW_CACHE_READERS);
	*out = bf;
	bf = NULL;
	rc = 1;
out:
	bundle_view_close(bf);
	return rc;
}

const struct bundle_manifest *bundle_view_manifest(const struct bundle_view *bf)
{
	return &bf->manifest;
}

const char *bundle_view_path(const struct bundle_view *bf)
{
	return bf->path;
}

const struct bundle_entry *bundle_view_find(const struct bundle_view *bf, const char *path)
{
	return bundle_manifest_find(&bf->manifest, path);
}

/* The view that holds e's bytes, and e as that view lists it: a delta's in_base entries are its base's. */
static const struct bundle_view *holder(const struct bundle_view *bf, const struct bundle_entry **e, struct lerr *err)
{
	if (!(*e)->in_base)
		return bf;
	if (bf->base == NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s: %s lives in the base, which was not given", bf->path, (*e)->path);
		return NULL;
	}
	/* attach checked that the base lists it with the same size and sha256. */
	*e = bundle_manifest_find(&bf->base->manifest, (*e)->path);
	return bf->base;
}

int bundle_view_attach_base(struct bundle_view *bf, const char *base_path, struct lerr *err)
{
	struct bundle_view *base = NULL;
	size_t i;
	int r;

	if (bf->manifest.base_digest == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s is not a delta: it needs no base", bf->path);
	/* No signature check of its own: the delta's signed lading.json pins its lading.json by digest. */
	if ((r = bundle_view_open(base_path, NULL, NULL, &base, err)) != 1)
		return r;
	if (strcmp(base->head_digest, bf->manifest.base_digest) != 0) {
		lerr_set(err, LADING_ERR_USAGE,
			 "%s is not the base of %s: its lading.json is %s, the delta's base is '%s' (%s)", base_path,
			 bf->path, base->head_digest, bf->manifest.base_name, bf->manifest.base_digest);
		bundle_view_close(base);
		return -1;
	}
	for (i = 0; i < bf->manifest.entry_count; i++) {
		const struct bundle_entry *e = &bf->manifest.entries[i], *b;

		if (!e->in_base)
			continue;
		b = bundle_manifest_find(&base->manifest, e->path);
		if (b == NULL || b->in_base || b->size != e->size || strcmp(b->sha256, e->sha256) != 0) {
			lerr_set(err, LADING_ERR_SIGNATURE, "%s does not carry %s as the delta %s lists it", base_path,
				 e->path, bf->path);
			bundle_view_close(base);
			return -1;
		}
	}
	bundle_view_close(bf->base);
	bf->base = base;
	return 1;
}

void bundle_view_set_fetch(struct bundle_view *bf, bundle_view_fetch_fn fn, void *ctx)
{
	bf->fetch = fn;
	bf->fetch_ctx = ctx;
}

/* An in_base entry from the fetch hook, checked against the delta's lading.json before any byte goes out. */
static int read_fetched(const struct bundle_view *bf, const struct bundle_entry *e, uint64_t offset, uint64_t len,
			bundle_range_fn out, void *ctx, struct lerr *err)
{
	struct buf b = BUF_INIT(BUNDLE_VIEW_FETCH_MAX);
	char hex[SHA256_HEX_LEN + 1];
	int r = -1;

	if (e->size > BUNDLE_VIEW_FETCH_MAX)
		return lerr_set(err, LADING_ERR_USAGE, "%s: %s lives in the base (%llu bytes), which was not given",
				bf->path, e->path, (unsigned long long)e->size);
	if (bf->fetch(bf->fetch_ctx, e, &b, err) != 0)
		goto out;
	sha256_hex(b.data, b.len, hex);
	if (b.len != e->size || strcmp(hex, e->sha256) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s as fetched (%zu bytes, sha256 %s) is not what %s lists",
			 bf->path, e->path, b.len, hex, BUNDLE_MANIFEST_NAME);
		goto out;
	}
	r = out(ctx, b.data + offset, (size_t)len, err);
out:
	buf_free(&b);
	return r;
}

int bundle_view_read_range(const struct bundle_view *bf, const struct bundle_entry *e, uint64_t offset, uint64_t len,
			   bundle_range_fn out, void *ctx, struct lerr *err)
{
	if (len == 0)
		return 0;
	if (e->in_base && bf->base == NULL && bf->fetch != NULL) {
		if (offset > e->size || len > e->size - offset)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: range outside its %llu bytes", bf->path,
					e->path, (unsigned long long)e->size);
		return read_fetched(bf, e, offset, len, out, ctx, err);
	}
	if ((bf = holder(bf, &e, err)) == NULL)
		return -1;
	return bundle_range_read(bf->fd, bf->path, &bf->table, e, offset, len, out, ctx, err);
}

void bundle_view_set_cache(struct bundle_view *bf, size_t slots, size_t readers)
{
	chunk_cache_free(bf->cache);
	bf->cache = chunk_cache_new(slots, readers);
	if (bf->base != NULL)
		bundle_view_set_cache(bf->base, slots, readers);
}

int bundle_view_chunk_get(const struct bundle_view *bf, const struct bundle_entry *e, uint64_t at,
			  struct chunk_ref *ref, struct lerr *err)
{
	ref->slot = NULL;
	if ((bf = holder(bf, &e, err)) == NULL)
		return -1;
	return chunk_cache_get(bf->cache, bf->fd, bf->path, &bf->table, e, at / BUNDLE_CHUNK_SIZE, ref, err);
}

void bundle_view_chunk_put(const struct bundle_view *bf, struct chunk_ref *ref)
{
	/* A slot belongs to one cache: the base's when the chunk came from there. */
	if (bf->base != NULL && chunk_cache_owns(bf->base->cache, ref))
		bf = bf->base;
	chunk_cache_put(bf->cache, ref);
}

void bundle_view_cache_stats(const struct bundle_view *bf, struct chunk_cache_stats *out)
{
	chunk_cache_stats(bf->cache, out);
}

static int append(void *ctx, const void *data, size_t len, struct lerr *err)
{
	return buf_add(ctx, data, len, err);
}

int bundle_view_read_all(const struct bundle_view *bf, const char *path, size_t max, struct buf *out, struct lerr *err)
{
	const struct bundle_entry *e = bundle_view_find(bf, path);

	if (e == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: no entry '%s'", bf->path, path);
	if (e->size > max)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s is %llu bytes, more than the %zu read into memory",
				bf->path, path, (unsigned long long)e->size, max);
	return bundle_view_read_range(bf, e, 0, e->size, append, out, err);
}

void bundle_view_close(struct bundle_view *bf)
{
	if (bf == NULL)
		return;
	if (bf->fd >= 0)
		close(bf->fd);
	bundle_view_close(bf->base);
	chunk_cache_free(bf->cache);
	bundle_manifest_free(&bf->manifest);
	seektable_free(&bf->table);
	free(bf->path);
	free(bf);
}
