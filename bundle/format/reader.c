/* Reading a bundle: the head first, then every entry checked against it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/format/chunks.h"
#include "bundle/format/path.h"
#include "bundle/format/reader.h"
#include "bundle/format/volume.h"
#include "bundle/format/zstdin.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"

struct bundle_reader {
	struct archive *a;
	struct bundle_zstdin *zstd; /* the file: libarchive reads the tar through it */
	char *path;
	struct bundle_manifest manifest;
	struct buf json;
	struct buf sig;
	unsigned char *seen;	       /* one flag per manifest entry */
	struct archive_entry *pending; /* header read while looking for the signature */
	char name[BUNDLE_PATH_MAX + 1];
	const struct bundle_entry *current; /* file entry being read, or NULL */
	uint64_t current_done;
	int current_finished;
	struct bundle_chunker *chunker; /* the entry's sha256, checking its chunk values on the way */
	int64_t head_end;		/* tar offset of the first header after the head, -1 before it */
	uint64_t bytes;
	int at_eof;	 /* libarchive said end of archive: asking again is an error there */
	int end_checked; /* the bytes after the archive were accounted for */
	/* A volume of a set (volume.h): */
	struct bundle_volume vol; /* the volume being read (item_count 0 and is_volume 0 otherwise) */
	int is_volume;
	int alone;	  /* one volume by itself: parts are checked by their chunk values */
	char **vol_paths; /* a whole set: its volumes in number order */
	size_t vol_count, vol_at;
	unsigned char *item_seen;	       /* alone: one flag per item of vol */
	const struct bundle_volume_item *item; /* the item being read */
	uint64_t item_done;		       /* its bytes read so far */
};

/* The zstd layer's reason first: a tar cut short by a skippable frame says so. */
static int archive_error(struct bundle_reader *r, const char *where, struct lerr *err)
{
	const char *text = archive_error_string(r->a);

	if (r->zstd != NULL && bundle_zstdin_stopped(r->zstd, err) != 0)
		return -1;
	return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: %s", r->path, where, text ? text : "cannot read");
}

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **data)
{
	struct bundle_reader *r = ctx;
	struct lerr err;
	ssize_t got = bundle_zstdin_read(r->zstd, data, &err);

	if (got < 0)
		archive_set_error(a, EIO, "%s", err.msg);
	return got < 0 ? ARCHIVE_FATAL : (la_ssize_t)got;
}

/* Reads the next header into *entry; 1 = got one, 0 = end, -1 = error. */
static int next_header(struct bundle_reader *r, struct archive_entry **entry, const char *after, struct lerr *err)
{
	char where[BUNDLE_PATH_MAX + 64];
	int rc;

	if (r->at_eof)
		return 0;
	rc = archive_read_next_header(r->a, entry);
	if (rc == ARCHIVE_EOF) {
		r->at_eof = 1;
		return 0;
	}
	if (rc == ARCHIVE_OK)
		return 1;
	snprintf(where, sizeof(where), "after '%s'", after);
	return archive_error(r, where, err);
}

/* The header read ahead while looking at the head (r->pending, freed by the caller once used), else the next one. */
static int take_header(struct bundle_reader *r, struct archive_entry **entry, const char *after, struct lerr *err)
{
	if (r->pending != NULL) {
		*entry = r->pending;
		return 1;
	}
	return next_header(r, entry, after, err);
}

static int read_small(struct bundle_reader *r, struct archive_entry *entry, const char *name, struct buf *out,
		      struct lerr *err)
{
	char chunk[8192];
	la_ssize_t got;

	if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s is not a regular file", r->path, name);
	if ((uint64_t)archive_entry_size(entry) > out->max)
		return lerr_set(err, LADING_ERR_LIMIT, "%s: %s is larger than %zu bytes", r->path, name, out->max);
	while ((got = archive_read_data(r->a, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)got, err) != 0)
			return lerr_prefix(err, "%s: %s", r->path, name);
	if (got < 0)
		return archive_error(r, name, err);
	if (out->data == NULL)
		buf_puts(out, "");
	return 0;
}

static int entry_name(struct archive_entry *entry, char *out, size_t len)
{
	return bundle_path_normalise(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", out, len);
}

/* lading-volume.json: parsed, and it must name the lading.json just read. */
static int read_volume(struct bundle_reader *r, struct archive_entry *entry, struct lerr *err)
{
	struct buf text = BUF_INIT(BUNDLE_VOLUME_MAX);
	char sha[SHA256_HEX_LEN + 1];
	int rc = -1;

	bundle_volume_free(&r->vol);
	if (read_small(r, entry, BUNDLE_VOLUME_NAME, &text, err) != 0)
		goto out;
	if (bundle_volume_parse(text.data, text.len, &r->vol, err) != 0) {
		lerr_prefix(err, "%s", r->path);
		goto out;
	}
	sha256_hex(r->json.data, r->json.len, sha);
	if (strcmp(sha, r->vol.lading_json) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s names another %s (sha256 %.12s…, this one is %.12s…)",
			 r->path, BUNDLE_VOLUME_NAME, BUNDLE_MANIFEST_NAME, r->vol.lading_json, sha);
		goto out;
	}
	r->is_volume = 1;
	free(r->item_seen);
	r->item_seen = xcalloc(r->vol.item_count + 1, 1);
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

/*
 * The head: lading.json, then its signature and lading-volume.json when
 * there. again: a later volume of a set, whose lading.json and signature
 * must be the same bytes as the first's.
 */
static int read_head(struct bundle_reader *r, int again, struct lerr *err)
{
	struct buf json = BUF_INIT(BUNDLE_MANIFEST_MAX), sig = BUF_INIT(BUNDLE_SIGNATURE_MAX);
	struct archive_entry *entry;
	char name[BUNDLE_PATH_MAX + 1];
	int rc;

	if ((rc = next_header(r, &entry, "the start", err)) <= 0) {
		if (rc == 0)
			lerr_set(err, LADING_ERR_FORMAT, "%s: empty archive, not a lading bundle", r->path);
		goto fail;
	}
	if (entry_name(entry, name, sizeof(name)) != 0 || strcmp(name, BUNDLE_MANIFEST_NAME) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: first entry is not %s: not a lading bundle", r->path,
			 BUNDLE_MANIFEST_NAME);
		goto fail;
	}
	if (read_small(r, entry, BUNDLE_MANIFEST_NAME, again ? &json : &r->json, err) != 0)
		goto fail;
	if (again && (json.len != r->json.len || memcmp(json.data, r->json.data, json.len) != 0)) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: its %s is not the one of volume 1 (a volume of another set?)",
			 r->path, BUNDLE_MANIFEST_NAME);
		goto fail;
	}
	if (!again) {
		if (bundle_manifest_parse(r->json.data, r->json.len, &r->manifest, err) != 0) {
			lerr_prefix(err, "%s", r->path);
			goto fail;
		}
		r->seen = xcalloc(r->manifest.entry_count + 1, 1);
	}
	if ((rc = next_header(r, &entry, BUNDLE_MANIFEST_NAME, err)) <= 0)
		goto done;
	if (entry_name(entry, name, sizeof(name)) == 0 && strcmp(name, BUNDLE_SIGNATURE_NAME) == 0) {
		if (read_small(r, entry, BUNDLE_SIGNATURE_NAME, again ? &sig : &r->sig, err) != 0)
			goto fail;
		if (again && (sig.len != r->sig.len || memcmp(sig.data, r->sig.data, sig.len) != 0)) {
			lerr_set(err, LADING_ERR_SIGNATURE, "%s: its signature is not the one of volume 1", r->path);
			goto fail;
		}
		if ((rc = next_header(r, &entry, BUNDLE_SIGNATURE_NAME, err)) <= 0)
			goto done;
	} else if (again && r->sig.len > 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: has no signature, volume 1 has one", r->path);
		goto fail;
	}
	if (entry_name(entry, name, sizeof(name)) == 0 && strcmp(name, BUNDLE_VOLUME_NAME) == 0) {
		rc = read_volume(r, entry, err) != 0 ? -1 : 0;
		goto done;
	}
	r->pending = archive_entry_clone(entry);
	rc = 0;
done:
	buf_free(&json);
	buf_free(&sig);
	if (rc == 0 && again && !r->is_volume)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: not a volume of a set (no %s)", r->path,
				BUNDLE_VOLUME_NAME);
	return rc < 0 ? -1 : 0;
fail:
	buf_free(&json);
	buf_free(&sig);
	return -1;
}

/* Opens the file at path for the tar stream inside it (the per-file state reset). */
static int open_file(struct bundle_reader *r, const char *path, struct lerr *err)
{
	if (r->a != NULL)
		archive_read_free(r->a);
	bundle_zstdin_free(r->zstd);
	r->zstd = NULL;
	free(r->path);
	r->path = xstrdup(path);
	r->head_end = -1;
	r->at_eof = 0;
	r->end_checked = 0;
	r->a = archive_read_new();
	if (access(path, R_OK) != 0) {
		lerr_sys(err, "cannot open '%s'", path);
		return lerr_recode(err, LADING_ERR_NOTFOUND);
	}
	if (bundle_zstdin_open(&r->zstd, path, err) != 0)
		return -1;
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK)
		return archive_error(r, "setup", err);
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		if (bundle_zstdin_stopped(r->zstd, err) == 0)
			lerr_set(err, LADING_ERR_FORMAT, "%s: not a zstd-compressed tar (%s)", path,
				 archive_error_string(r->a) ? archive_error_string(r->a) : "unreadable");
		return -1;
	}
	return 0;
}

static struct bundle_reader *reader_new(void)
{
	struct bundle_reader *r = xcalloc(1, sizeof(*r));

	buf_init(&r->json, BUNDLE_MANIFEST_MAX);
	buf_init(&r->sig, BUNDLE_SIGNATURE_MAX);
	r->chunker = bundle_chunker_new();
	r->head_end = -1;
	return r;
}

/* One file: a whole bundle, or a volume read by itself (alone). */
static int open_one(struct bundle_reader **out, const char *path, int alone, struct lerr *err)
{
	struct bundle_reader *r = reader_new();

	r->alone = alone;
	if (open_file(r, path, err) != 0 || read_head(r, 0, err) != 0) {
		bundle_reader_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

int bundle_reader_open_volume(struct bundle_reader **out, const char *path, struct lerr *err)
{
	return open_one(out, path, 1, err);
}

/* A whole set, its volumes read one after the other as one bundle. */
static int open_set(struct bundle_reader **out, struct bundle_set *set, struct lerr *err)
{
	struct bundle_reader *r;

	if (open_one(&r, set->paths[0], 0, err) != 0)
		return -1;
	if (!r->is_volume || r->vol.number != 1) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not volume 1 of set '%s'", set->paths[0], set->name);
		bundle_reader_close(r);
		return -1;
	}
	r->vol_paths = set->paths;
	r->vol_count = set->count;
	set->paths = NULL;
	set->count = 0;
	*out = r;
	return 0;
}

int bundle_reader_open(struct bundle_reader **out, const char *path, struct lerr *err)
{
	struct bundle_set set;
	struct stat st;
	int got;

	/* A whole bundle, the common case, has its head read once; only a volume looks for its set. */
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (open_one(out, path, 0, err) != 0)
			return -1;
		if (!(*out)->is_volume)
			return 0;
		bundle_reader_close(*out);
		*out = NULL;
	}
	if ((got = bundle_set_find(path, &set, err)) < 0)
		return -1;
	if (got == 0)
		return open_one(out, path, 0, err);
	got = open_set(out, &set, err);
	bundle_set_free(&set);
	return got;
}

const struct bundle_volume *bundle_reader_volume(const struct bundle_reader *r)
{
	return r->is_volume ? &r->vol : NULL;
}

const struct bundle_manifest *bundle_reader_manifest(const struct bundle_reader *r)
{
	return &r->manifest;
}

void bundle_reader_take_manifest(struct bundle_reader *r, struct bundle_manifest *out)
{
	*out = r->manifest;
	memset(&r->manifest, 0, sizeof(r->manifest));
}

void bundle_reader_head(const struct bundle_reader *r, const char **json, size_t *json_len, const char **sig,
			size_t *sig_len)
{
	*json = r->json.data;
	*json_len = r->json.len;
	*sig = r->sig.len > 0 ? r->sig.data : NULL;
	*sig_len = r->sig.len;
}

uint64_t bundle_reader_bytes(const struct bundle_reader *r)
{
	return r->bytes;
}

static int next_part(struct bundle_reader *r, struct lerr *err);
static int check_end(struct bundle_reader *r, struct lerr *err);

/* The end of an item's tar entry: 1 when the entry goes on (a part follows), 0 when it ends here, -1. */
static int item_end(struct bundle_reader *r, struct lerr *err)
{
	const struct bundle_volume_item *it = r->item;

	if (it == NULL || it->part == 0)
		return 0;
	if (r->item_done != it->size)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s: %llu bytes, %s says %llu", r->path, it->name,
				(unsigned long long)r->item_done, BUNDLE_VOLUME_NAME, (unsigned long long)it->size);
	if (it->part == it->parts)
		return 0;
	if (r->alone)
		return 2; /* its last chunk boundary was checked on the way: nothing more to read here */
	return next_part(r, err) != 0 ? -1 : 1;
}

ssize_t bundle_reader_read(struct bundle_reader *r, void *data, size_t len, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	la_ssize_t got;
	int more;

	if (r->current == NULL || r->current_finished)
		return 0;
	for (;;) {
		got = archive_read_data(r->a, data, len);
		if (got < 0)
			return archive_error(r, r->current->path, err);
		if (got > 0) {
			if (bundle_chunker_update(r->chunker, data, (size_t)got, err) != 0)
				return lerr_prefix(err, "%s", r->path);
			r->current_done += (uint64_t)got;
			r->item_done += (uint64_t)got;
			r->bytes += (uint64_t)got;
			return got;
		}
		if ((more = item_end(r, err)) < 0)
			return -1;
		if (more == 2) {
			r->current_finished = 1;
			return 0;
		}
		if (more == 0)
			break;
	}
	r->current_finished = 1;
	bundle_chunker_final_hex(r->chunker, hex);
	if (r->current_done != r->current->size)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s: %llu bytes, %s says %llu", r->path,
				r->current->path, (unsigned long long)r->current_done, BUNDLE_MANIFEST_NAME,
				(unsigned long long)r->current->size);
	if (strcmp(hex, r->current->sha256) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s: sha256 mismatch (got %.12s…, %s says %.12s…)",
				r->path, r->current->path, hex, BUNDLE_MANIFEST_NAME, r->current->sha256);
	return 0;
}

/* Reads what the caller left of the current entry, so its digest is still checked. */
static int finish_current(struct bundle_reader *r, struct lerr *err)
{
	char chunk[16384];
	ssize_t got;

	while (r->current != NULL && !r->current_finished)
		if ((got = bundle_reader_read(r, chunk, sizeof(chunk), err)) < 0)
			return -1;
	r->current = NULL;
	r->item = NULL;
	return 0;
}

/* True when dir ("a/b") is a parent of some listed entry. */
static int is_listed_dir(const struct bundle_manifest *m, const char *dir)
{
	size_t len = strlen(dir);
	size_t lo = 0, hi = m->entry_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(m->entries[mid].path, dir, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->entry_count && strncmp(m->entries[lo].path, dir, len) == 0; lo++)
		if (m->entries[lo].path[len] == '/')
			return 1;
	return 0;
}

static const char *type_name(struct archive_entry *entry)
{
	if (archive_entry_hardlink(entry) != NULL)
		return "a hard link";
	switch (archive_entry_filetype(entry)) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device file";
	case AE_IFIFO:
		return "a fifo";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a plain file";
	}
}

/*
 * Format 2 offsets in lading.json are where the header and the data are, counted from the end of
 * the head (libarchive has consumed the header and nothing of the data: that is its position).
 */
static int check_offset(struct bundle_reader *r, const struct bundle_entry *e, struct lerr *err)
{
	int64_t at = archive_read_header_position(r->a) - r->head_end;
	int64_t data = archive_filter_bytes(r->a, 0) - r->head_end;

	if (!e->has_layout || (at >= 0 && (uint64_t)at == e->offset && data >= 0 && (uint64_t)data == e->data_offset))
		return 0;
	return lerr_set(
	    err, LADING_ERR_SIGNATURE,
	    "%s: %s: its header and data are at offsets %lld and %lld after the head, %s says %llu and %llu", r->path,
	    e->path, (long long)at, (long long)data, BUNDLE_MANIFEST_NAME, (unsigned long long)e->offset,
	    (unsigned long long)e->data_offset);
}

/* The item of lading-volume.json a volume's tar entry is, and the entry of lading.json it holds. */
static int find_item(struct bundle_reader *r, struct archive_entry *entry, const char *name,
		     const struct bundle_volume_item **item, const struct bundle_entry **row, struct lerr *err)
{
	const struct bundle_volume_item *it = bundle_volume_find(&r->vol, name);
	const struct bundle_entry *e;

	if (it == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' is not in %s", r->path, name,
				BUNDLE_VOLUME_NAME);
	if ((e = bundle_manifest_find(&r->manifest, it->path)) == NULL || e->in_base)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s holds '%s', which %s does not list as carried", r->path,
				name, it->path, BUNDLE_MANIFEST_NAME);
	if (!archive_entry_size_is_set(entry) || (uint64_t)archive_entry_size(entry) != it->size)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s: %lld bytes, %s says %llu", r->path, name,
				(long long)archive_entry_size(entry), BUNDLE_VOLUME_NAME, (unsigned long long)it->size);
	/* Parts are cut at chunk boundaries, so each one's last chunk is checked (or is the entry's end). */
	if (it->part != 0 &&
	    (it->offset % BUNDLE_CHUNK_SIZE != 0 || it->offset > e->size || it->size > e->size - it->offset ||
	     (it->part < it->parts ? it->size % BUNDLE_CHUNK_SIZE != 0 || it->size == 0
				   : it->offset + it->size != e->size)))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s: bytes %llu to %llu are not a part of %s as cut",
				r->path, name, (unsigned long long)it->offset,
				(unsigned long long)(it->offset + it->size), it->path);
	*item = it;
	*row = e;
	return 0;
}

/* A volume's entry: a whole entry, or a part (alone: checked by itself; in a set: part 1 starts the entry). */
static int check_item(struct bundle_reader *r, struct archive_entry *entry, const struct bundle_entry **row,
		      struct lerr *err)
{
	const struct bundle_volume_item *it;
	const struct bundle_entry *e;
	size_t idx;

	if (find_item(r, entry, r->name, &it, &e, err) != 0)
		return -1;
	idx = (size_t)(it - r->vol.items);
	if (r->item_seen[idx])
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' appears twice", r->path, r->name);
	r->item_seen[idx] = 1;
	if (!r->alone && it->part > 1)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: %s is part %zu of %s, but part %zu did not end the volume before", r->path,
				r->name, it->part, it->path, it->part - 1);
	if (!r->alone || it->part == 0) {
		if (r->seen[e - r->manifest.entries])
			return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' appears twice in the set", r->path,
					it->path);
		r->seen[e - r->manifest.entries] = 1;
	}
	r->item = it;
	r->item_done = 0;
	*row = e;
	return bundle_chunker_start(r->chunker, e, r->alone ? it->offset : 0, NULL, err);
}

/* Opens the next volume of the set; its head must be the first volume's. */
static int switch_volume(struct bundle_reader *r, struct lerr *err)
{
	size_t want;

	if (check_end(r, err) != 0)
		return -1;
	if (r->vol_at + 1 >= r->vol_count)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the set ends here, in the middle of an entry", r->path);
	want = ++r->vol_at + 1;
	r->is_volume = 0;
	r->item = NULL;
	if (open_file(r, r->vol_paths[r->vol_at], err) != 0 || read_head(r, 1, err) != 0)
		return -1;
	if (r->vol.number != want || r->vol.count != r->vol_count)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: is volume %zu of %zu, volume %zu of %zu was expected",
				r->path, r->vol.number, r->vol.count, want, r->vol_count);
	return 0;
}

/* A part that is not the entry's last ended its volume: the next volume starts with the next part. */
static int next_part(struct bundle_reader *r, struct lerr *err)
{
	char path[BUNDLE_PATH_MAX + 1], prev[BUNDLE_PATH_MAX + 32];
	size_t part = r->item->part;
	uint64_t at = r->item->offset + r->item->size;
	const struct bundle_volume_item *it;
	const struct bundle_entry *e;
	struct archive_entry *entry;
	int rc;

	snprintf(path, sizeof(path), "%s", r->item->path);
	snprintf(prev, sizeof(prev), "%s", r->item->name);
	if ((rc = next_header(r, &entry, prev, err)) < 0)
		return -1;
	if (rc == 1)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s does not end the volume: the entry cannot go on",
				r->path, prev);
	if (switch_volume(r, err) != 0)
		return -1;
	if ((rc = take_header(r, &entry, BUNDLE_VOLUME_NAME, err)) < 0)
		return -1;
	if (rc == 0 || entry_name(entry, r->name, sizeof(r->name)) != 0 ||
	    (rc = find_item(r, entry, r->name, &it, &e, err)) != 0 || e != r->current || it->part != part + 1 ||
	    it->offset != at) {
		if (rc == 0 || rc == 1)
			lerr_set(err, LADING_ERR_FORMAT, "%s: does not start with part %zu of %s", r->path, part + 1,
				 path);
		return -1;
	}
	if (r->pending != NULL) {
		archive_entry_free(r->pending);
		r->pending = NULL;
	}
	r->item_seen[it - r->vol.items] = 1;
	r->item = it;
	r->item_done = 0;
	return 0;
}

/* The checks every entry after the head must pass before a byte of it is used. */
static int check_entry(struct bundle_reader *r, struct archive_entry *entry, const struct bundle_entry **row,
		       struct lerr *err)
{
	const char *raw = archive_entry_pathname(entry);
	const struct bundle_entry *e;
	mode_t type = archive_entry_filetype(entry);

	*row = NULL;
	if (raw == NULL || bundle_path_normalise(raw, r->name, sizeof(r->name)) != 0 || !bundle_path_is_safe(r->name) ||
	    raw[0] == '/')
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s': unsafe path (absolute, '..' or too long)",
				r->path, raw ? raw : "");
	if (r->head_end < 0)
		r->head_end = archive_read_header_position(r->a);
	if (archive_entry_hardlink(entry) == NULL && type == AE_IFDIR) {
		if (!is_listed_dir(&r->manifest, r->name))
			return lerr_set(err, LADING_ERR_FORMAT, "%s: directory '%s' is not in %s", r->path, r->name,
					BUNDLE_MANIFEST_NAME);
		return 0;
	}
	if (archive_entry_hardlink(entry) != NULL || type != AE_IFREG)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' is %s: bundles hold only files", r->path,
				r->name, type_name(entry));
	if (r->is_volume)
		return check_item(r, entry, row, err);
	e = bundle_manifest_find(&r->manifest, r->name);
	if (e == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' is not in %s", r->path, r->name,
				BUNDLE_MANIFEST_NAME);
	if (r->seen[e - r->manifest.entries])
		return lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s' appears twice", r->path, r->name);
	if (e->in_base)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: entry '%s' is stored here, but %s says it lives in the base", r->path, r->name,
				BUNDLE_MANIFEST_NAME);
	if (!archive_entry_size_is_set(entry) || (uint64_t)archive_entry_size(entry) != e->size)
		return lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s: %lld bytes, %s says %llu", r->path, r->name,
				(long long)archive_entry_size(entry), BUNDLE_MANIFEST_NAME,
				(unsigned long long)e->size);
	r->seen[e - r->manifest.entries] = 1;
	*row = e;
	return check_offset(r, e, err) != 0 ? -1 : bundle_chunker_start(r->chunker, e, 0, NULL, err);
}

/* A volume of a set ends: everything its lading-volume.json lists was in it. */
static int check_all_seen_here(struct bundle_reader *r, struct lerr *err)
{
	size_t i;

	for (i = 0; i < r->vol.item_count; i++)
		if (!r->item_seen[i])
			return lerr_set(err, LADING_ERR_SIGNATURE, "%s: '%s' listed in %s is missing", r->path,
					r->vol.items[i].name, BUNDLE_VOLUME_NAME);
	return 0;
}

static int check_all_seen(struct bundle_reader *r, struct lerr *err)
{
	size_t i;

	if (check_all_seen_here(r, err) != 0)
		return -1;
	if (r->alone && r->is_volume)
		return 0;

	for (i = 0; i < r->manifest.entry_count; i++)
		if (!r->seen[i] && !r->manifest.entries[i].in_base)
			return lerr_set(err, LADING_ERR_SIGNATURE, "%s: entry '%s' listed in %s is missing", r->path,
					r->manifest.entries[i].path, BUNDLE_MANIFEST_NAME);
	return 0;
}

/*
 * The signature covers lading.json, not the file: every byte after the tar's
 * end-of-archive must be accounted for, here where every reading command
 * passes (libarchive has consumed the end marker: that offset is its filter
 * position).
 */
static int check_end(struct bundle_reader *r, struct lerr *err)
{
	int64_t tar_end = archive_filter_bytes(r->a, 0);

	if (r->end_checked)
		return 0;
	if (tar_end < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: cannot tell where the archive ends", r->path);
	if (bundle_zstdin_check_end(r->zstd, (uint64_t)tar_end, err) != 0)
		return -1;
	r->end_checked = 1;
	return 0;
}

int bundle_reader_next(struct bundle_reader *r, const struct bundle_entry **row, const char **name, struct lerr *err)
{
	struct archive_entry *entry;
	const char *after = r->current != NULL ? r->current->path : r->name[0] ? r->name : BUNDLE_MANIFEST_NAME;
	char after_copy[BUNDLE_PATH_MAX + 1];
	int rc;

	snprintf(after_copy, sizeof(after_copy), "%s", after);
	if (finish_current(r, err) != 0)
		return -1;
	if ((rc = take_header(r, &entry, after_copy, err)) < 0)
		return -1;
	while (rc == 0 && r->vol_at + 1 < r->vol_count) {
		if (check_all_seen_here(r, err) != 0 || switch_volume(r, err) != 0)
			return -1;
		if ((rc = take_header(r, &entry, BUNDLE_VOLUME_NAME, err)) < 0)
			return -1;
	}
	if (rc == 0)
		return check_end(r, err) == 0 && check_all_seen(r, err) == 0 ? 0 : -1;
	rc = check_entry(r, entry, row, err);
	if (r->pending != NULL) {
		archive_entry_free(r->pending);
		r->pending = NULL;
	}
	if (rc != 0)
		return -1;
	*name = r->name;
	r->current = *row;
	r->current_done = r->item != NULL && r->alone ? r->item->offset : 0;
	r->current_finished = 0;
	return 1;
}

void bundle_reader_close(struct bundle_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	bundle_zstdin_free(r->zstd);
	if (r->pending != NULL)
		archive_entry_free(r->pending);
	bundle_manifest_free(&r->manifest);
	buf_free(&r->json);
	buf_free(&r->sig);
	bundle_chunker_free(r->chunker);
	bundle_volume_free(&r->vol);
	free(r->item_seen);
	for (size_t i = 0; i < r->vol_count; i++)
		free(r->vol_paths[i]);
	free(r->vol_paths);
	free(r->seen);
	free(r->path);
	free(r);
}

/* What verify will read: the entries it carries, or a volume's items alone. */
static uint64_t verify_total(const struct bundle_reader *r, struct bundle_verify_stats *count)
{
	uint64_t total = 0;
	size_t i;

	if (r->alone && r->is_volume) {
		for (i = 0; i < r->vol.item_count; i++)
			total += r->vol.items[i].size;
		count->volume = r->vol.number;
		count->volumes = r->vol.count;
		snprintf(count->set, sizeof(count->set), "%s", r->vol.set);
		return total;
	}
	for (i = 0; i < r->manifest.entry_count; i++) {
		const struct bundle_entry *e = &r->manifest.entries[i];

		if (!e->in_base) {
			total += e->size;
			continue;
		}
		count->base_entries++;
		count->base_bytes += e->size;
	}
	if (r->vol_count > 0) {
		count->volumes = r->vol_count;
		snprintf(count->set, sizeof(count->set), "%s", r->vol.set);
	}
	return total;
}

static int verify_open(struct bundle_reader *r, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
		       const struct logger *lg, struct lerr *err)
{
	const struct bundle_entry *row;
	const char *name;
	const char *json, *sig;
	size_t json_len, sig_len;
	struct progress progress;
	struct bundle_verify_stats count;
	uint64_t total;
	int rc = -1;

	memset(&count, 0, sizeof(count));
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	if (head != NULL && head(head_ctx, json, json_len, sig, sig_len, &r->manifest, err) != 0)
		return -1;
	total = verify_total(r, &count);
	progress_start(&progress, lg, "verifying", total);
	while ((rc = bundle_reader_next(r, &row, &name, err)) == 1) {
		uint64_t before = r->bytes;

		if (row != NULL && finish_current(r, err) != 0) {
			rc = -1;
			break;
		}
		if (row != NULL) {
			count.entries++;
			log_msg(lg, LOG_VERBOSE, "%s: ok (%llu bytes, sha256 %.12s…)", name,
				(unsigned long long)r->bytes - before, row->sha256);
		}
		progress_add(&progress, r->bytes - before);
	}
	if (rc == 0) {
		progress_end(&progress);
		count.bytes = r->bytes;
		if (stats != NULL)
			*stats = count;
	}
	return rc;
}

static int verify_file(const char *path, int alone, bundle_head_fn head, void *head_ctx,
		       struct bundle_verify_stats *stats, const struct logger *lg, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	int rc;

	if ((alone ? bundle_reader_open_volume(&r, path, err) : bundle_reader_open(&r, path, err)) != 0)
		return -1;
	rc = verify_open(r, head, head_ctx, stats, lg, err);
	bundle_reader_close(r);
	return rc;
}

int bundle_verify(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
		  const struct logger *lg, struct lerr *err)
{
	return verify_file(path, 0, head, head_ctx, stats, lg, err);
}

int bundle_verify_volume(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
			 const struct logger *lg, struct lerr *err)
{
	return verify_file(path, 1, head, head_ctx, stats, lg, err);
}
