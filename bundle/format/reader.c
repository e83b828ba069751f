/* Reading a bundle: the head first, then every entry checked against it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/format/chunks.h"
#include "bundle/format/path.h"
#include "bundle/format/reader.h"
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
	char where[BUNDLE_PATH_MAX + 32];
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

static int read_head(struct bundle_reader *r, struct lerr *err)
{
	struct archive_entry *entry;
	char name[BUNDLE_PATH_MAX + 1];
	int rc;

	if ((rc = next_header(r, &entry, "the start", err)) <= 0)
		return rc < 0 ? -1
			      : lerr_set(err, LADING_ERR_FORMAT, "%s: empty archive, not a lading bundle", r->path);
	if (bundle_path_normalise(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", name,
				  sizeof(name)) != 0 ||
	    strcmp(name, BUNDLE_MANIFEST_NAME) != 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: first entry is not %s: not a lading bundle", r->path,
				BUNDLE_MANIFEST_NAME);
	if (read_small(r, entry, BUNDLE_MANIFEST_NAME, &r->json, err) != 0)
		return -1;
	if (bundle_manifest_parse(r->json.data, r->json.len, &r->manifest, err) != 0)
		return lerr_prefix(err, "%s", r->path);
	r->seen = xcalloc(r->manifest.entry_count + 1, 1);
	if ((rc = next_header(r, &entry, BUNDLE_MANIFEST_NAME, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	if (bundle_path_normalise(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", name,
				  sizeof(name)) == 0 &&
	    strcmp(name, BUNDLE_SIGNATURE_NAME) == 0)
		return read_small(r, entry, BUNDLE_SIGNATURE_NAME, &r->sig, err);
	r->pending = archive_entry_clone(entry);
	return 0;
}

int bundle_reader_open(struct bundle_reader **out, const char *path, struct lerr *err)
{
	struct bundle_reader *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	buf_init(&r->json, BUNDLE_MANIFEST_MAX);
	buf_init(&r->sig, BUNDLE_SIGNATURE_MAX);
	r->chunker = bundle_chunker_new();
	r->head_end = -1;
	r->a = archive_read_new();
	if (access(path, R_OK) != 0) {
		lerr_sys(err, "cannot open '%s'", path);
		lerr_recode(err, LADING_ERR_NOTFOUND);
		goto fail;
	}
	if (bundle_zstdin_open(&r->zstd, path, err) != 0)
		goto fail;
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
		archive_error(r, "setup", err);
		goto fail;
	}
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		if (bundle_zstdin_stopped(r->zstd, err) == 0)
			lerr_set(err, LADING_ERR_FORMAT, "%s: not a zstd-compressed tar (%s)", path,
				 archive_error_string(r->a) ? archive_error_string(r->a) : "unreadable");
		goto fail;
	}
	if (read_head(r, err) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	bundle_reader_close(r);
	return -1;
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

ssize_t bundle_reader_read(struct bundle_reader *r, void *data, size_t len, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	la_ssize_t got;

	if (r->current == NULL || r->current_finished)
		return 0;
	got = archive_read_data(r->a, data, len);
	if (got < 0)
		return archive_error(r, r->current->path, err);
	if (got > 0) {
		if (bundle_chunker_update(r->chunker, data, (size_t)got, err) != 0)
			return lerr_prefix(err, "%s", r->path);
		r->current_done += (uint64_t)got;
		r->bytes += (uint64_t)got;
		return got;
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

static int check_all_seen(struct bundle_reader *r, struct lerr *err)
{
	size_t i;

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
	if (r->pending != NULL) {
		entry = r->pending;
		rc = 1;
	} else if ((rc = next_header(r, &entry, after_copy, err)) < 0) {
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
	r->current_done = 0;
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
	free(r->seen);
	free(r->path);
	free(r);
}

int bundle_verify(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
		  const struct logger *lg, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_entry *row;
	const char *name;
	const char *json, *sig;
	size_t json_len, sig_len;
	struct progress progress;
	struct bundle_verify_stats count = {0, 0, 0, 0};
	uint64_t total = 0;
	int rc = -1;
	size_t i;

	if (bundle_reader_open(&r, path, err) != 0)
		return -1;
	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	if (head != NULL && head(head_ctx, json, json_len, sig, sig_len, &r->manifest, err) != 0)
		goto out;
	for (i = 0; i < r->manifest.entry_count; i++) {
		const struct bundle_entry *e = &r->manifest.entries[i];

		if (!e->in_base) {
			total += e->size;
			continue;
		}
		count.base_entries++;
		count.base_bytes += e->size;
	}
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
				(unsigned long long)row->size, row->sha256);
		}
		progress_add(&progress, r->bytes - before);
	}
	if (rc == 0) {
		progress_end(&progress);
		count.bytes = r->bytes;
		if (stats != NULL)
			*stats = count;
	}
out:
	bundle_reader_close(r);
	return rc;
}
