#ifndef LADING_BUNDLE_FORMAT_WRITER_H
#define LADING_BUNDLE_FORMAT_WRITER_H

/*
 * The tarball: pax tar (libarchive) compressed with libzstd, deterministic
 * (sorted, mtime = created, uid/gid 0, no user names, 0644/0755),
 * lading.json first and its signature (if any) second, written to a
 * temporary name, fsynced and renamed. Format 2 (seekable): independent zstd
 * frames cut at entry boundaries, then a seek table (see writer.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/manifest.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define BUNDLE_LEVEL_DEFAULT 3
#define BUNDLE_THREADS_DEFAULT 2
/* Seekable frames: small entries share one until it holds BUNDLE_FRAME_MIN; large ones are cut every BUNDLE_FRAME_MAX.
 */
#define BUNDLE_FRAME_MIN (1u << 20)
#define BUNDLE_FRAME_MAX (4u << 20)

/*
 * Signing hook: called with the exact lading.json bytes before anything is
 * written; appends the detached signature to sig (it becomes the second entry,
 * lading.json.minisig). Returns 0 or -1 with err set.
 */
typedef int (*bundle_sign_fn)(void *ctx, const char *json, size_t json_len, struct buf *sig, struct lerr *err);

struct bundle_write_opts {
	int level;	     /* zstd compression level; 0 = BUNDLE_LEVEL_DEFAULT */
	int threads;	     /* zstd workers; 0 = BUNDLE_THREADS_DEFAULT */
	bundle_sign_fn sign; /* NULL: unsigned bundle */
	void *sign_ctx;
	const struct logger *lg; /* progress on a TTY; may be NULL */
};

/*
 * Writes m (entries sorted, each with src_file or src_data) as a bundle at
 * out_path, seekable when m->format is 2 or more, one zstd stream for 1. Every src_file is streamed in chunks and must
 * match its row's size and sha256, else nothing is left under out_path. Fails on I/O (disk full), a mismatching source,
 * or the signing hook.
 */
int bundle_write(const char *out_path, const struct bundle_manifest *m, const struct bundle_write_opts *opts,
		 struct lerr *err);

/*
 * The same with lading.json already serialised (json must be what
 * bundle_manifest_to_json gave for m) and an optional signature blob
 * (sig NULL: none). For signers that sign outside the hook.
 */
int bundle_write_signed(const char *out_path, const struct bundle_manifest *m, const char *json, size_t json_len,
			const void *sig, size_t sig_len, const struct bundle_write_opts *opts, struct lerr *err);

/*
 * A seekable tar.zst written entry by entry (volumes, volume.h): the same
 * tar, frames and seek table as bundle_write, to a temporary name that
 * commit fsyncs and renames to path; free without commit removes it. Entries
 * are files only (no directory headers); end_frame ends the current frame
 * after the head, so frame 0 holds the head alone.
 */
struct bundle_tar_out;
int bundle_tar_out_open(struct bundle_tar_out **out, const char *path, int64_t mtime,
			const struct bundle_write_opts *opts, struct lerr *err);
int bundle_tar_out_file(struct bundle_tar_out *t, const char *name, uint64_t size, struct lerr *err);
int bundle_tar_out_data(struct bundle_tar_out *t, const char *name, const void *data, size_t len, struct lerr *err);
int bundle_tar_out_end_frame(struct bundle_tar_out *t, struct lerr *err);
int bundle_tar_out_commit(struct bundle_tar_out *t, struct lerr *err);
void bundle_tar_out_free(struct bundle_tar_out *t);

#endif
