/* What changed between two bills of lading (see diff.h). */
#include "bundle/diff.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static const struct bundle_image *image_by_ref(const struct bundle_manifest *m, const char *ref)
{
	size_t i;

	for (i = 0; i < m->image_count; i++)
		if (strcmp(m->images[i].ref, ref) == 0)
			return &m->images[i];
	return NULL;
}

static const struct bundle_image *image_by_digest(const struct bundle_manifest *m, const char *digest)
{
	size_t i;

	for (i = 0; i < m->image_count; i++)
		if (strcmp(m->images[i].digest, digest) == 0)
			return &m->images[i];
	return NULL;
}

static json_t *diff_images(const struct bundle_manifest *old, const struct bundle_manifest *new)
{
	json_t *added = json_array(), *removed = json_array(), *updated = json_array(), *retagged = json_array();
	size_t i, unchanged = 0;

	for (i = 0; i < new->image_count; i++) {
		const struct bundle_image *n = &new->images[i], *o = image_by_ref(old, n->ref);

		if (o != NULL && strcmp(o->digest, n->digest) == 0)
			unchanged++;
		else if (o != NULL)
			json_array_append_new(updated,
					      json_pack("{s:s, s:s, s:s, s:I}", "ref", n->ref, "old_digest", o->digest,
							"digest", n->digest, "size", (json_int_t)n->size));
		else if ((o = image_by_digest(old, n->digest)) != NULL)
			json_array_append_new(
			    retagged, json_pack("{s:s, s:s, s:s}", "ref", n->ref, "from", o->ref, "digest", n->digest));
		else
			json_array_append_new(added, json_pack("{s:s, s:s, s:I}", "ref", n->ref, "digest", n->digest,
							       "size", (json_int_t)n->size));
	}
	for (i = 0; i < old->image_count; i++)
		if (image_by_ref(new, old->images[i].ref) == NULL)
			json_array_append_new(removed, json_pack("{s:s, s:s}", "ref", old->images[i].ref, "digest",
								 old->images[i].digest));
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "added", added, "removed", removed, "updated", updated,
			 "retagged", retagged, "unchanged", (json_int_t)unchanged);
}

static int is_blob(const struct bundle_entry *e)
{
	return strcmp(e->kind, BUNDLE_KIND_OCI_BLOB) == 0;
}

/* The image layout's own files change with any image: the images section says how. */
static int is_layout(const struct bundle_entry *e)
{
	return strcmp(e->kind, BUNDLE_KIND_OCI_LAYOUT) == 0;
}

struct tally {
	json_int_t count, bytes;
};

static void count(struct tally *t, const struct bundle_entry *e)
{
	t->count++;
	t->bytes += (json_int_t)e->size;
}

static json_t *row(const struct bundle_entry *e)
{
	return json_pack("{s:s, s:s, s:I, s:s}", "path", e->path, "kind", e->kind, "size", (json_int_t)e->size,
			 "sha256", e->sha256);
}

/* One merge walk over both entry lists (sorted by path, as parse leaves them). */
static json_t *diff_entries(const struct bundle_manifest *old, const struct bundle_manifest *new)
{
	struct tally blob_added = {0, 0}, blob_removed = {0, 0}, blob_shared = {0, 0};
	json_t *added = json_array(), *removed = json_array(), *changed = json_array();
	size_t i = 0, j = 0;

	while (i < old->entry_count || j < new->entry_count) {
		const struct bundle_entry *o = i < old->entry_count ? &old->entries[i] : NULL;
		const struct bundle_entry *n = j < new->entry_count ? &new->entries[j] : NULL;
		int cmp = o == NULL ? 1 : n == NULL ? -1 : strcmp(o->path, n->path);

		if (cmp < 0) {
			if (is_blob(o))
				count(&blob_removed, o);
			else if (!is_layout(o))
				json_array_append_new(removed, row(o));
			i++;
		} else if (cmp > 0) {
			if (is_blob(n))
				count(&blob_added, n);
			else if (!is_layout(n))
				json_array_append_new(added, row(n));
			j++;
		} else {
			if (is_blob(n))
				count(&blob_shared, n);
			else if (!is_layout(n) && strcmp(o->sha256, n->sha256) != 0) {
				json_t *r = row(n);

				json_object_set_new(r, "old_size", json_integer((json_int_t)o->size));
				json_object_set_new(r, "old_sha256", json_string(o->sha256));
				json_array_append_new(changed, r);
			}
			i++;
			j++;
		}
	}
	return json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:o, s:o, s:o}}", "blobs", "count",
			 blob_added.count, "bytes", blob_added.bytes, "removed_blobs", "count", blob_removed.count,
			 "bytes", blob_removed.bytes, "shared_blobs", "count", blob_shared.count, "bytes",
			 blob_shared.bytes, "entries", "added", added, "removed", removed, "changed", changed);
}

static json_t *side(const struct bundle_manifest *m)
{
	char created[32];

	bundle_format_time(m->created, created);
	return json_pack("{s:s, s:s, s:i}", "name", m->name, "created", created, "format", m->format);
}

json_t *bundle_diff(const struct bundle_manifest *old, const struct bundle_manifest *new)
{
	json_t *images = diff_images(old, new), *walk = diff_entries(old, new), *entries, *blobs;
	int identical;

	blobs = json_pack("{s:O, s:O, s:O}", "added", json_object_get(walk, "blobs"), "removed",
			  json_object_get(walk, "removed_blobs"), "shared", json_object_get(walk, "shared_blobs"));
	entries = json_incref(json_object_get(walk, "entries"));
	json_decref(walk);
	identical = json_array_size(json_object_get(images, "added")) == 0 &&
		    json_array_size(json_object_get(images, "removed")) == 0 &&
		    json_array_size(json_object_get(images, "updated")) == 0 &&
		    json_array_size(json_object_get(images, "retagged")) == 0 &&
		    json_integer_value(json_object_get(json_object_get(blobs, "added"), "count")) == 0 &&
		    json_integer_value(json_object_get(json_object_get(blobs, "removed"), "count")) == 0 &&
		    json_array_size(json_object_get(entries, "added")) == 0 &&
		    json_array_size(json_object_get(entries, "removed")) == 0 &&
		    json_array_size(json_object_get(entries, "changed")) == 0;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "old", side(old), "new", side(new), "images", images,
			 "blobs", blobs, "entries", entries, "identical", identical);
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void bytes_of(const json_t *obj, const char *key, char out[32])
{
	log_format_bytes((uint64_t)json_integer_value(json_object_get(obj, key)), out, 32);
}

/* "sha256:0123456789ab": enough to tell digests apart in a listing. */
static void short_digest(const char *digest, char out[20])
{
	snprintf(out, 20, "%s", digest);
}

static void text_images(const json_t *images, struct buf *out)
{
	const json_t *v;
	char size[32], d1[20], d2[20];
	size_t i;

	json_array_foreach(json_object_get(images, "added"), i, v)
	{
		bytes_of(v, "size", size);
		short_digest(str(v, "digest"), d1);
		buf_printf(out, "+ image %s (%s, %s)\n", str(v, "ref"), d1, size);
	}
	json_array_foreach(json_object_get(images, "removed"), i, v)
	{
		short_digest(str(v, "digest"), d1);
		buf_printf(out, "- image %s (%s)\n", str(v, "ref"), d1);
	}
	json_array_foreach(json_object_get(images, "updated"), i, v)
	{
		short_digest(str(v, "old_digest"), d1);
		short_digest(str(v, "digest"), d2);
		buf_printf(out, "~ image %s: %s -> %s\n", str(v, "ref"), d1, d2);
	}
	json_array_foreach(json_object_get(images, "retagged"), i, v)
	{
		short_digest(str(v, "digest"), d1);
		buf_printf(out, "> image %s: retagged from %s (%s)\n", str(v, "ref"), str(v, "from"), d1);
	}
}

static void text_entries(const json_t *entries, struct buf *out)
{
	static const struct {
		const char *key, *mark;
	} lists[] = {{"added", "+"}, {"removed", "-"}, {"changed", "~"}};
	const json_t *v;
	char size[32];
	size_t i, k;

	for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		json_array_foreach(json_object_get(entries, lists[k].key), i, v)
		{
			bytes_of(v, "size", size);
			buf_printf(out, "%s %s (%s, %s)\n", lists[k].mark, str(v, "path"), str(v, "kind"), size);
		}
}

void bundle_diff_text(const json_t *diff, struct buf *out)
{
	const json_t *images = json_object_get(diff, "images"), *blobs = json_object_get(diff, "blobs");
	const json_t *old = json_object_get(diff, "old"), *new = json_object_get(diff, "new");
	char added[32], removed[32], shared[32];

	buf_printf(out, "old  %s (%s)\nnew  %s (%s)\n\n", str(old, "name"), str(old, "created"), str(new, "name"),
		   str(new, "created"));
	text_images(images, out);
	text_entries(json_object_get(diff, "entries"), out);
	bytes_of(json_object_get(blobs, "added"), "bytes", added);
	bytes_of(json_object_get(blobs, "removed"), "bytes", removed);
	bytes_of(json_object_get(blobs, "shared"), "bytes", shared);
	if (json_is_true(json_object_get(diff, "identical")))
		buf_puts(out, "no differences: the same images, blobs and entries\n");
	buf_printf(
	    out,
	    "\nimages: %zu added, %zu removed, %zu updated, %zu retagged, %lld unchanged\n"
	    "blobs: %lld new (%s), %lld dropped (%s), %lld shared (%s)\n",
	    json_array_size(json_object_get(images, "added")), json_array_size(json_object_get(images, "removed")),
	    json_array_size(json_object_get(images, "updated")), json_array_size(json_object_get(images, "retagged")),
	    (long long)json_integer_value(json_object_get(images, "unchanged")),
	    (long long)json_integer_value(json_object_get(json_object_get(blobs, "added"), "count")), added,
	    (long long)json_integer_value(json_object_get(json_object_get(blobs, "removed"), "count")), removed,
	    (long long)json_integer_value(json_object_get(json_object_get(blobs, "shared"), "count")), shared);
}
