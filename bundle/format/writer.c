/*
 * Writing a bundle: one streaming pass from the cache through a pax tar
 * (libarchive) into zstd.
 *
 * Seekable frames (format 2): a frame ends before an entry's header when it
 * already holds BUNDLE_FRAME_MIN, when the entry is itself that large (so a
 * blob starts a frame of its own and serving it decompresses no neighbour),
 * and after the head (lading.json and its signature: inspect decompresses one
 * frame). Directory headers never start a frame. Inside an entry a frame ends every BUNDLE_FRAME_MAX bytes of its
 * data, counted from the data's start, so frame k of a large entry holds its
 * data [k*MAX, (k+1)*MAX). Every cut depends on sizes only: the same lock
 * gives the same frames. Why 1 and 4 MiB: at level 3 the window is 2 MiB, so
 * a 4 MiB frame loses little to the reset, while any byte is at most 4 MiB of
 * decompression away; the table costs 12 bytes per frame.
 *
 * Layout (format 2, chunks.h): before anything is written, a dry run of the
 * same headers through libarchive into a counter gives every entry's offsets
 * (counted from the end of the head, so they do not depend on lading.json's
 * own size or on the signature). lading.json's size is then known too (its
 * chunk values are fixed-length hex), and so is the head's: frame 0 is the
 * head stored in raw zstd blocks, its place is kept at the start of the
 * file, the body is written after it in one read of each source, the
 * chunker recording the chaining values as the data goes to zstd, and the
 * head is made and written into its place last. The real pass checks the
 * offsets as it writes: a header elsewhere fails the run, never a bundle that
 * disagrees with its lading.json.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/chunks.h"
#include "bundle/format/writer.h"
#include "bundle/format/zstdout.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/leftover.h"
#include "lib/xmalloc.h"

#define CHUNK (256u << 10)

struct writer {
	struct archive *a;
	struct bundle_zstd *zstd;
	struct fs_atomic out;
	const char *out_path;
	int64_t mtime;
	struct lerr io_err; /* what the write callback saw (ENOSPC …) */
	int io_failed;
	struct progress progress;
	char *chunk;
	int seekable;
	uint64_t tar_offset; /* tar bytes given to zstd so far */
	uint64_t cut_at;     /* the next frame end inside the current entry's data, or UINT64_MAX */
	uint64_t data_end;   /* where the current entry's data ends in the tar */
	int dry;	     /* count the tar bytes only (the layout's dry run) */
	uint64_t head_end;   /* where the head (lading.json, its signature) ends in the tar */
	uint64_t header_at;  /* where the last header written starts */
	int frame_has_file;  /* the current frame holds a file's header or data, not only directories */
	struct bundle_chunker *chunker;
	struct buf *capture; /* the head's tar bytes go here, not to zstd (head_tar) */
	int record;	     /* the chunker records each entry's chunk values into e->chunks as it writes */
	size_t recorded;     /* entries whose chunk values were recorded while written */
};

_Static_assert(BUNDLE_CHUNK_SIZE == BUNDLE_FRAME_MAX, "chunks are the frames of a large entry");

/* Compresses len tar bytes, ending the frame where a cut inside an entry falls. */
static int compress_tar(struct writer *w, const char *data, size_t len, struct lerr *err)
{
	if (w->dry || w->capture != NULL) {
		w->tar_offset += len;
		return w->capture != NULL ? buf_add(w->capture, data, len, err) : 0;
	}
	while (len > 0) {
		size_t part = len;

		if (w->cut_at - w->tar_offset < part)
			part = (size_t)(w->cut_at - w->tar_offset);
		if (bundle_zstd_write(w->zstd, data, part, err) != 0)
			return -1;
		w->tar_offset += part;
		data += part;
		len -= part;
		if (w->tar_offset == w->cut_at) {
			if (bundle_zstd_end_frame(w->zstd, err) != 0)
				return -1;
			w->cut_at += BUNDLE_FRAME_MAX;
			/* The entry's end is an entry boundary: entry_boundary decides there. */
			if (w->cut_at >= w->data_end)
				w->cut_at = UINT64_MAX;
		}
	}
	return 0;
}

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *data, size_t len)
{
	struct writer *w = ctx;

	/*
	 * A failure is recorded, not returned: libarchive 3.6 leaks its format
	 * state when a callback fails, so we keep it happy and stop at the next
	 * check of io_failed (every header, data and close call checks it).
	 */
	(void)a;
	if (!w->io_failed && compress_tar(w, data, len, &w->io_err) != 0)
		w->io_failed = 1;
	return (la_ssize_t)len;
}

/* Prefers the syscall error our callback saw over libarchive's generic text. */
static int archive_fail(struct writer *w, const char *what, struct lerr *err)
{
	if (w->io_failed) {
		*err = w->io_err;
		return -1;
	}
	return lerr_set(err, LADING_ERR_SYSTEM, "cannot write '%s': %s: %s", w->out_path, what,
			w->a != NULL && archive_error_string(w->a) ? archive_error_string(w->a) : "unknown error");
}

/* Removes "<out>.tmp.<pid>" files that runs killed before their rename left (pid gone, lock free). */
static void sweep_tmp(const char *out_path, const struct logger *lg)
{
	char *copy1 = xstrdup(out_path);
	char *copy2 = xstrdup(out_path);

	leftover_sweep(dirname(copy1), leftover_match_tmp, basename(copy2), "create", lg, NULL);
	free(copy1);
	free(copy2);
}

/*
 * The detached "<out>.minisig" of the bundle being replaced goes before the
 * new bundle is renamed into place, and the new one is written (atomically,
 * by bundle_sig_sign_file) only after. A crash at any point leaves the old
 * bundle with its old signature, the old bundle with none, the new bundle with
 * none, or the new pair: never the new bundle beside the old signature.
 */
static int drop_old_detached_sig(const char *out_path, struct lerr *err)
{
	char *sig = xasprintf("%s.minisig", out_path);
	char *copy = xstrdup(out_path);
	int r = 0, fd;

	if (unlink(sig) != 0 && errno != ENOENT)
		r = lerr_sys(err, "cannot remove the old signature '%s'", sig);
	else if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		/* The unlink must be on disk before the rename that follows is. */
		if (fsync(fd) != 0 && errno != EINVAL)
			r = lerr_sys(err, "cannot sync the directory of '%s'", sig);
		close(fd);
	}
	free(sig);
	free(copy);
	return r;
}

/* The pax tar stream every writer uses, unpadded, into write_cb (zstdout.c compresses it, SPECS §6.3). */
static int archive_start(struct writer *w, struct lerr *err)
{
	w->a = archive_write_new();
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK || w->io_failed)
		return archive_fail(w, "starting the tar stream", err);
	return 0;
}

static int writer_open(struct writer *w, const char *out_path, const struct bundle_write_opts *opts, struct lerr *err)
{
	w->out_path = out_path;
	sweep_tmp(out_path, opts->lg);
	if (fs_atomic_open(&w->out, out_path, 0644, err) != 0)
		return -1;
	/* "<out>.tmp.<pid>" is locked for the whole run, so a later run can tell a killed one's from a live one's. */
	if (leftover_lock_fd(w->out.fd, w->out.tmp_path, err) != 0)
		return -1;
	if (bundle_zstd_open(&w->zstd, w->out.fd, out_path, opts->level ? opts->level : BUNDLE_LEVEL_DEFAULT,
			     opts->threads ? opts->threads : BUNDLE_THREADS_DEFAULT, w->seekable, err) != 0)
		return -1;
	return archive_start(w, err);
}

static struct archive_entry *new_entry(const struct writer *w, const char *name, int is_dir, uint64_t size)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, is_dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, is_dir ? 0755 : 0644);
	archive_entry_set_size(e, is_dir ? 0 : (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)w->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "");
	archive_entry_set_gname(e, "");
	return e;
}

/*
 * At an entry boundary: the previous entry's padding goes out first (with no
 * blocking libarchive hands it to write_cb at once), then the frame may end.
 */
static int entry_boundary(struct writer *w, const char *name, int is_dir, uint64_t size, struct lerr *err)
{
	uint64_t held;

	if (!w->seekable)
		return 0;
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK || w->io_failed)
		return archive_fail(w, name, err);
	w->cut_at = UINT64_MAX;
	/* A directory's 512 bytes join the frame before: no frame of headers alone. */
	if (is_dir || w->dry)
		return 0;
	held = bundle_zstd_frame_input(w->zstd);
	if (w->frame_has_file && (held >= BUNDLE_FRAME_MIN || size >= BUNDLE_FRAME_MIN)) {
		if (bundle_zstd_end_frame(w->zstd, err) != 0)
			return -1;
		w->frame_has_file = 0;
	}
	return 0;
}

static int write_header(struct writer *w, const char *name, int is_dir, uint64_t size, struct lerr *err)
{
	struct archive_entry *e;
	int r;

	if (entry_boundary(w, name, is_dir, size, err) != 0)
		return -1;
	w->header_at = w->tar_offset;
	w->frame_has_file |= !is_dir;
	e = new_entry(w, name, is_dir, size);
	r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK || w->io_failed)
		return archive_fail(w, name, err);
	/* The header is out: the entry's data starts at tar_offset. */
	w->data_end = w->tar_offset + size;
	if (w->seekable && size > BUNDLE_FRAME_MAX)
		w->cut_at = w->tar_offset + BUNDLE_FRAME_MAX;
	return 0;
}

static int write_data(struct writer *w, const char *name, const void *data, size_t len, struct lerr *err)
{
	if (len > 0 && (archive_write_data(w->a, data, len) != (la_ssize_t)len || w->io_failed))
		return archive_fail(w, name, err);
	progress_add(&w->progress, len);
	return 0;
}

static int write_memory(struct writer *w, const char *name, const void *data, size_t len, struct lerr *err)
{
	if (write_header(w, name, 0, len, err) != 0)
		return -1;
	return write_data(w, name, data, len, err);
}

/* The header just written is where lading.json says (the dry run and the real pass agree). */
static int check_offsets(const struct writer *w, const struct bundle_entry *e, struct lerr *err)
{
	uint64_t header = w->header_at - w->head_end, data = w->tar_offset - w->head_end;

	if (!w->seekable || !e->has_layout || (header == e->offset && data == e->data_offset))
		return 0;
	return lerr_set(err, LADING_ERR_SYSTEM,
			"%s: %s: its header is at %llu and its data at %llu, %s says %llu and %llu (report this bug)",
			w->out_path, e->path, (unsigned long long)header, (unsigned long long)data,
			BUNDLE_MANIFEST_NAME, (unsigned long long)e->offset, (unsigned long long)e->data_offset);
}

/* One read of an entry's source file: bytes read (0 at its end), or -1 with err naming it. */
static ssize_t read_source(int fd, const struct bundle_entry *e, void *buf, struct lerr *err)
{
	ssize_t got;

	while ((got = read(fd, buf, CHUNK)) < 0 && errno == EINTR)
		;
	if (got < 0)
		lerr_sys(err, "%s: cannot read '%s'", e->path, e->src_file);
	return got;
}

/* Streams a source file, checking it against its row as it goes. */
static int write_file_entry(struct writer *w, const struct bundle_entry *e, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	uint64_t total = 0;
	int fd;
	int r = -1;

	if ((fd = open(e->src_file, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "%s: cannot open '%s'", e->path, e->src_file);
		goto out;
	}
	if (write_header(w, e->path, 0, e->size, err) != 0 || check_offsets(w, e, err) != 0 ||
	    bundle_chunker_start(w->chunker, e, 0, w->record ? e->chunks : NULL, err) != 0)
		goto out;
	w->recorded += w->record && e->chunk_count > 0;
	for (;;) {
		ssize_t got = read_source(fd, e, w->chunk, err);

		if (got < 0)
			goto out;
		if (got == 0)
			break;
		if (total + (uint64_t)got > e->size) {
			lerr_set(err, LADING_ERR_SIGNATURE, "%s: '%s' is larger than %llu bytes (remove it and retry)",
				 e->path, e->src_file, (unsigned long long)e->size);
			goto out;
		}
		total += (uint64_t)got;
		/* A chunk that changed since its value was recorded fails here, before it is written. */
		if (bundle_chunker_update(w->chunker, w->chunk, (size_t)got, err) != 0) {
			lerr_set(err, LADING_ERR_SIGNATURE,
				 "%s: '%s' changed while lading read it (remove it and retry)", e->path, e->src_file);
			goto out;
		}
		if (write_data(w, e->path, w->chunk, (size_t)got, err) != 0)
			goto out;
	}
	bundle_chunker_final_hex(w->chunker, hex);
	if (total != e->size || strcmp(hex, e->sha256) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: '%s' does not match sha256:%s (remove it and retry)", e->path,
			 e->src_file, e->sha256);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int write_entry(struct writer *w, const struct bundle_entry *e, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (e->src_file != NULL)
		return write_file_entry(w, e, err);
	if (e->src_data == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: no source for this entry", e->path);
	sha256_hex(e->src_data, (size_t)e->size, hex);
	if (strcmp(hex, e->sha256) != 0)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: row does not match its data", e->path);
	if (w->record && e->chunk_count > 0) {
		if (bundle_chunker_start(w->chunker, e, 0, e->chunks, err) != 0 ||
		    bundle_chunker_update(w->chunker, e->src_data, (size_t)e->size, err) != 0)
			return -1;
		w->recorded++;
	}
	if (write_header(w, e->path, 0, e->size, err) != 0 || check_offsets(w, e, err) != 0)
		return -1;
	return write_data(w, e->path, e->src_data, (size_t)e->size, err);
}

/* Directory entries for every parent of e not written yet (entries are sorted, so parents come first). */
static int write_parents(struct writer *w, const char *path, struct buf *done_dirs, struct lerr *err)
{
	const char *slash;

	for (slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - path) + 1;
		char *dir = xstrndup(path, len);
		char *needle = xasprintf("\n%s\n", dir);
		int r = 0;

		if (done_dirs->data == NULL || strstr(done_dirs->data, needle) == NULL) {
			r = write_header(w, dir, 1, 0, err);
			buf_printf(done_dirs, "%s\n", dir);
		}
		free(needle);
		free(dir);
		if (r != 0)
			return -1;
	}
	return 0;
}

static uint64_t total_bytes(const struct bundle_manifest *m, uint64_t head_size)
{
	uint64_t total = head_size;
	size_t i;

	for (i = 0; i < m->entry_count; i++)
		if (!m->entries[i].in_base)
			total += m->entries[i].size;
	return total;
}

/*
 * The head's tar bytes (lading.json, then its signature when sig is not NULL)
 * appended to out: the headers a writer of the whole stream would give them,
 * without the end-of-archive blocks. A tar header holds no offset, so these
 * bytes followed by the body's own stream are the one stream of old, and the
 * size depends only on json_len and sig_len.
 */
static int head_tar(int64_t mtime, const char *json, size_t json_len, const void *sig, size_t sig_len, struct buf *out,
		    struct lerr *err)
{
	struct writer w;
	int r = -1;

	memset(&w, 0, sizeof(w));
	w.out_path = BUNDLE_MANIFEST_NAME;
	w.mtime = mtime;
	w.cut_at = UINT64_MAX;
	w.capture = out;
	if (archive_start(&w, err) != 0 || write_memory(&w, BUNDLE_MANIFEST_NAME, json, json_len, err) != 0 ||
	    (sig != NULL && write_memory(&w, BUNDLE_SIGNATURE_NAME, sig, sig_len, err) != 0))
		goto out;
	if (archive_write_finish_entry(w.a) != ARCHIVE_OK || w.io_failed) {
		archive_fail(&w, BUNDLE_MANIFEST_NAME, err);
		goto out;
	}
	/* What closing adds is the body's end. */
	w.capture = NULL;
	w.dry = 1;
	r = 0;
out:
	if (w.a != NULL)
		archive_write_free(w.a);
	return r;
}

/*
 * The head of a bundle being written. Known before the body (tar filled:
 * bundle_write_signed, or format 1), or made after it from the chunk values
 * the body's pass recorded in layout (bundle_write), in which case size,
 * json_len and sig_len come from a probe of the same lengths.
 */
struct head {
	struct buf tar;
	uint64_t size;
	struct bundle_manifest *layout;
	const struct bundle_write_opts *opts;
	size_t json_len, sig_len;
};

/* lading.json with the real chunk values, signed: the same lengths as the probe's, or a bug. */
static int make_head(struct head *h, struct lerr *err)
{
	struct buf sig = BUF_INIT(1 << 20);
	char *json = NULL;
	size_t json_len = 0;
	int r = -1;

	if (bundle_manifest_to_json(h->layout, &json, &json_len, err) != 0)
		goto out;
	if (h->opts->sign != NULL && h->opts->sign(h->opts->sign_ctx, json, json_len, &sig, err) != 0)
		goto out;
	if (json_len != h->json_len || sig.len != h->sig_len) {
		lerr_set(err, LADING_ERR_SYSTEM,
			 "%s is %zu bytes and its signature %zu, %zu and %zu were planned (report this bug)",
			 BUNDLE_MANIFEST_NAME, json_len, sig.len, h->json_len, h->sig_len);
		goto out;
	}
	r = head_tar(h->layout->created, json, json_len, h->opts->sign != NULL ? (sig.data ? sig.data : "") : NULL,
		     sig.len, &h->tar, err);
out:
	free(json);
	buf_free(&sig);
	return r;
}

/*
 * Writes the bundle file. Format 1: the head's bytes, then the body, in one
 * zstd stream. Format 2: frame 0's place is kept for the head (raw blocks,
 * so its size is known from h->size), the body follows, and the head is
 * written into its place last, before the seek table, the fsync and the
 * rename: lading.json goes first in the file but is made after the body's
 * one read of every source.
 */
static int write_bundle_file(const char *out_path, const struct bundle_manifest *m, struct head *h,
			     const struct bundle_write_opts *opts, struct lerr *err)
{
	struct writer w;
	struct buf done_dirs = BUF_INIT(0);
	size_t i;
	int r = -1;

	memset(&w, 0, sizeof(w));
	w.out.fd = -1;
	w.mtime = m->created;
	w.seekable = m->format >= 2;
	w.record = h->layout != NULL;
	w.cut_at = UINT64_MAX;
	w.chunk = xmalloc(CHUNK);
	w.chunker = bundle_chunker_new();
	buf_puts(&done_dirs, "\n");
	progress_start(&w.progress, opts->lg, "writing", total_bytes(m, h->size));
	if (writer_open(&w, out_path, opts, err) != 0)
		goto out;
	if (w.seekable ? bundle_zstd_reserve_raw(w.zstd, h->size, err) != 0
		       : bundle_zstd_write(w.zstd, h->tar.data, h->tar.len, err) != 0)
		goto out;
	progress_add(&w.progress, h->size);
	for (i = 0; i < m->entry_count; i++) {
		if (i > 0 && strcmp(m->entries[i - 1].path, m->entries[i].path) >= 0) {
			lerr_set(err, LADING_ERR_SYSTEM, "%s: entries are not sorted", m->entries[i].path);
			goto out;
		}
		/* A delta lists what its base holds without carrying it. */
		if (m->entries[i].in_base)
			continue;
		if (write_parents(&w, m->entries[i].path, &done_dirs, err) != 0 ||
		    write_entry(&w, &m->entries[i], err) != 0)
			goto out;
	}
	if (archive_write_close(w.a) != ARCHIVE_OK || w.io_failed) {
		archive_fail(&w, "finish", err);
		goto out;
	}
	if (w.seekable) {
		if (w.record) {
			log_msg(opts->lg, LOG_VERBOSE, "%s: chunk values of %zu entries recorded while written",
				out_path, w.recorded);
			if (make_head(h, err) != 0)
				goto out;
		}
		if (bundle_zstd_fill_raw(w.zstd, h->tar.data, h->tar.len, err) != 0)
			goto out;
	}
	if (bundle_zstd_finish(w.zstd, err) != 0)
		goto out;
	if (drop_old_detached_sig(out_path, err) != 0 || fs_atomic_commit(&w.out, err) != 0)
		goto out;
	progress_end(&w.progress);
	r = 0;
out:
	if (w.a != NULL)
		archive_write_free(w.a);
	bundle_zstd_free(w.zstd);
	if (r != 0) {
		fs_atomic_abort(&w.out);
		if (w.progress.drawn)
			fputc('\n', w.progress.lg->out);
	}
	buf_free(&done_dirs);
	free(w.chunk);
	bundle_chunker_free(w.chunker);
	return r;
}

int bundle_write_signed(const char *out_path, const struct bundle_manifest *m, const char *json, size_t json_len,
			const void *sig, size_t sig_len, const struct bundle_write_opts *opts, struct lerr *err)
{
	struct head h;
	int r = -1;

	memset(&h, 0, sizeof(h));
	buf_init(&h.tar, 0);
	h.opts = opts;
	if (head_tar(m->created, json, json_len, sig, sig_len, &h.tar, err) == 0) {
		h.size = h.tar.len;
		r = write_bundle_file(out_path, m, &h, opts, err);
	}
	buf_free(&h.tar);
	return r;
}

/* The dry run: the same headers as the real pass into a counter, giving each entry's offsets. */
static int measure_offsets(struct bundle_manifest *m, struct lerr *err)
{
	struct writer w;
	struct buf done_dirs = BUF_INIT(0);
	size_t i;
	int r = -1;

	memset(&w, 0, sizeof(w));
	w.dry = w.seekable = 1;
	w.out_path = BUNDLE_MANIFEST_NAME;
	w.mtime = m->created;
	w.cut_at = UINT64_MAX;
	buf_puts(&done_dirs, "\n");
	if (archive_start(&w, err) != 0)
		goto out;
	for (i = 0; i < m->entry_count; i++) {
		struct bundle_entry *e = &m->entries[i];

		if (e->in_base)
			continue;
		if (write_parents(&w, e->path, &done_dirs, err) != 0 || write_header(&w, e->path, 0, e->size, err) != 0)
			goto out;
		e->offset = w.header_at;
		e->data_offset = w.tar_offset;
		e->has_layout = 1;
	}
	r = 0;
out:
	if (w.a != NULL)
		archive_write_free(w.a);
	buf_free(&done_dirs);
	return r;
}

/*
 * A copy of m (entries copied shallowly: free with layout_free) with every
 * entry's offsets, and room for its chunk values, zero until the body's pass
 * records them: their hex has the same length whatever they are, so
 * lading.json's size is known before.
 */
static int layout_add(const struct bundle_manifest *m, struct bundle_manifest *copy, struct lerr *err)
{
	size_t i;

	*copy = *m;
	copy->entries = xcalloc(m->entry_count + 1, sizeof(*copy->entries));
	for (i = 0; i < m->entry_count; i++) {
		struct bundle_entry *e = &copy->entries[i];

		*e = m->entries[i];
		/* A delta's in_base entries are not written: no offsets, no chunk values. */
		e->chunk_count = e->in_base ? 0 : (size_t)bundle_chunk_count(e->size);
		e->chunks = e->chunk_count > 0 ? xcalloc(e->chunk_count, BUNDLE_CHUNK_HASH_LEN) : NULL;
	}
	return measure_offsets(copy, err);
}

static void layout_free(struct bundle_manifest *copy)
{
	size_t i;

	for (i = 0; i < copy->entry_count; i++)
		free(copy->entries[i].chunks);
	free(copy->entries);
}

/*
 * Format 2: the head's size before the body is written, from a probe of
 * lading.json with zero chunk values (the same length as the real ones), and
 * of its signature. The probe's signature is never written: its length is
 * what counts, and a minisign signature's length depends only on the
 * trusted comment (name, created, a sha256, expiry), the same for both. The
 * hook is called again on the real lading.json, last, so a signer that keeps
 * what it signed keeps that.
 */
static int head_plan(struct head *h, struct lerr *err)
{
	struct buf sig = BUF_INIT(1 << 20);
	char *json = NULL;
	int r = -1;

	if (bundle_manifest_to_json(h->layout, &json, &h->json_len, err) != 0)
		goto out;
	if (h->opts->sign != NULL && h->opts->sign(h->opts->sign_ctx, json, h->json_len, &sig, err) != 0)
		goto out;
	h->sig_len = sig.len;
	if (head_tar(h->layout->created, json, h->json_len, h->opts->sign != NULL ? (sig.data ? sig.data : "") : NULL,
		     sig.len, &h->tar, err) != 0)
		goto out;
	h->size = h->tar.len;
	buf_reset(&h->tar);
	r = 0;
out:
	free(json);
	buf_free(&sig);
	return r;
}

int bundle_write(const char *out_path, const struct bundle_manifest *m, const struct bundle_write_opts *opts,
		 struct lerr *err)
{
	struct buf sig = BUF_INIT(1 << 20);
	struct bundle_manifest with_layout;
	struct head h;
	char *json = NULL;
	size_t json_len = 0;
	int r = -1;

	memset(&with_layout, 0, sizeof(with_layout));
	memset(&h, 0, sizeof(h));
	buf_init(&h.tar, 0);
	h.opts = opts;
	if (m->format >= 2) {
		if (layout_add(m, &with_layout, err) != 0)
			goto out;
		h.layout = &with_layout;
		if (head_plan(&h, err) != 0)
			goto out;
		r = write_bundle_file(out_path, &with_layout, &h, opts, err);
		goto out;
	}
	if (bundle_manifest_to_json(m, &json, &json_len, err) != 0)
		goto out;
	if (opts->sign != NULL && opts->sign(opts->sign_ctx, json, json_len, &sig, err) != 0)
		goto out;
	r = bundle_write_signed(out_path, m, json, json_len, opts->sign != NULL ? (sig.data ? sig.data : "") : NULL,
				sig.len, opts, err);
out:
	layout_free(&with_layout);
	buf_free(&h.tar);
	free(json);
	buf_free(&sig);
	return r;
}

/* A volume (volume.h): the writer's tar and frames, its entries given one by one. */
struct bundle_tar_out {
	struct writer w;
	int committed;
};

int bundle_tar_out_open(struct bundle_tar_out **out, const char *path, int64_t mtime,
			const struct bundle_write_opts *opts, struct lerr *err)
{
	struct bundle_tar_out *t = xcalloc(1, sizeof(*t));

	t->w.out.fd = -1;
	t->w.mtime = mtime;
	t->w.seekable = 1;
	t->w.cut_at = UINT64_MAX;
	progress_start(&t->w.progress, NULL, "writing", 0);
	*out = t;
	return writer_open(&t->w, path, opts, err);
}

int bundle_tar_out_file(struct bundle_tar_out *t, const char *name, uint64_t size, struct lerr *err)
{
	return write_header(&t->w, name, 0, size, err);
}

int bundle_tar_out_data(struct bundle_tar_out *t, const char *name, const void *data, size_t len, struct lerr *err)
{
	return write_data(&t->w, name, data, len, err);
}

int bundle_tar_out_end_frame(struct bundle_tar_out *t, struct lerr *err)
{
	if (archive_write_finish_entry(t->w.a) != ARCHIVE_OK || t->w.io_failed)
		return archive_fail(&t->w, "the head", err);
	if (bundle_zstd_end_frame(t->w.zstd, err) != 0)
		return -1;
	t->w.frame_has_file = 0;
	return 0;
}

int bundle_tar_out_commit(struct bundle_tar_out *t, struct lerr *err)
{
	if (archive_write_close(t->w.a) != ARCHIVE_OK || t->w.io_failed)
		return archive_fail(&t->w, "finish", err);
	if (bundle_zstd_finish(t->w.zstd, err) != 0 || fs_atomic_commit(&t->w.out, err) != 0)
		return -1;
	t->committed = 1;
	return 0;
}

void bundle_tar_out_free(struct bundle_tar_out *t)
{
	if (t == NULL)
		return;
	if (t->w.a != NULL)
		archive_write_free(t->w.a);
	bundle_zstd_free(t->w.zstd);
	if (!t->committed)
		fs_atomic_abort(&t->w.out);
	free(t);
}
