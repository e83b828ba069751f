/*
 * Why not libarchive's zstd filter: libarchive 3.6 passes only the level and
 * nbWorkers to libzstd, and libzstd then sizes each MT job from the window
 * (8 MiB at level 3), keeping several jobs' input and output in flight:
 * measured 115 MiB peak RSS for a 300 MiB bundle at level 3 with 2 threads,
 * against a 64 MiB budget. Driving libzstd here lets us bound ZSTD_c_jobSize
 * and end frames where the writer cuts them for the seek table (SPECS §6.2).
 * No external zstd program is ever involved.
 *
 * Each frame's compressed size is what reached the file between two frame
 * ends: with ZSTD_e_end libzstd flushes the whole frame (all MT jobs) before
 * it returns 0, and nothing of the next frame exists yet.
 */
#include <stdlib.h>
#include <zstd.h>

#include "bundle/format/seektable.h"
#include "bundle/format/xxh64.h"
#include "bundle/format/zstdout.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

struct bundle_zstd {
	ZSTD_CCtx *cctx;
	int fd;
	const char *name;
	char *out;
	size_t out_size;
	int seekable;
	uint64_t frame_in;  /* input bytes of the current frame */
	uint64_t frame_out; /* bytes written for it */
	struct xxh64 frame_hash;
	struct seektable_frame *frames; /* the finished ones */
	size_t frame_count;
};

static int set_param(struct bundle_zstd *z, ZSTD_cParameter param, int value, const char *what, struct lerr *err)
{
	size_t rc = ZSTD_CCtx_setParameter(z->cctx, param, value);

	if (ZSTD_isError(rc))
		return lerr_set(err, LADING_ERR_USAGE, "zstd %s=%d refused: %s", what, value, ZSTD_getErrorName(rc));
	return 0;
}

int bundle_zstd_open(struct bundle_zstd **out, int fd, const char *name, int level, int threads, int seekable,
		     struct lerr *err)
{
	struct bundle_zstd *z = xcalloc(1, sizeof(*z));

	z->fd = fd;
	z->seekable = seekable;
	xxh64_init(&z->frame_hash, 0);
	z->name = name;
	z->out_size = ZSTD_CStreamOutSize();
	z->out = xmalloc(z->out_size);
	if ((z->cctx = ZSTD_createCCtx()) == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot create a zstd context");
		goto fail;
	}
	/*
	 * No frame checksum: it is only checked at the end of the frame, so a
	 * reader would report it under whatever entry it was then reading; the
	 * per-entry sha256 in lading.json names the entry that is actually bad.
	 */
	if (set_param(z, ZSTD_c_compressionLevel, level, "level", err) != 0)
		goto fail;
	if (threads > 0 && (set_param(z, ZSTD_c_nbWorkers, threads, "threads", err) != 0 ||
			    set_param(z, ZSTD_c_jobSize, (int)BUNDLE_ZSTD_JOB_SIZE, "job size", err) != 0))
		goto fail;
	*out = z;
	return 0;
fail:
	bundle_zstd_free(z);
	return -1;
}

/* One compression step over in; writes what it produced. Returns libzstd's "remaining" or -1. */
static int step(struct bundle_zstd *z, ZSTD_inBuffer *in, ZSTD_EndDirective mode, size_t *remaining, struct lerr *err)
{
	ZSTD_outBuffer outbuf = {z->out, z->out_size, 0};
	size_t rc = ZSTD_compressStream2(z->cctx, &outbuf, in, mode);

	if (ZSTD_isError(rc))
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot compress '%s': %s", z->name, ZSTD_getErrorName(rc));
	if (outbuf.pos > 0 && fs_write_all(z->fd, z->out, outbuf.pos, z->name, err) != 0)
		return -1;
	z->frame_out += outbuf.pos;
	*remaining = rc;
	return 0;
}

static int compress(struct bundle_zstd *z, const void *data, size_t len, struct lerr *err)
{
	ZSTD_inBuffer in = {data, len, 0};
	size_t remaining;

	if (z->seekable)
		xxh64_update(&z->frame_hash, data, len);
	z->frame_in += len;
	while (in.pos < in.size)
		if (step(z, &in, ZSTD_e_continue, &remaining, err) != 0)
			return -1;
	return 0;
}

int bundle_zstd_write(struct bundle_zstd *z, const void *data, size_t len, struct lerr *err)
{
	const char *p = data;

	/* The format caps a frame's content at 1 GiB; the writer cuts far sooner, this is the backstop. */
	while (z->seekable && len > 0 && z->frame_in + len > SEEKTABLE_MAX_FRAME_CONTENT) {
		size_t part = (size_t)(SEEKTABLE_MAX_FRAME_CONTENT - z->frame_in);

		if (compress(z, p, part, err) != 0 || bundle_zstd_end_frame(z, err) != 0)
			return -1;
		p += part;
		len -= part;
	}
	return compress(z, p, len, err);
}

uint64_t bundle_zstd_frame_input(const struct bundle_zstd *z)
{
	return z->frame_in;
}

int bundle_zstd_end_frame(struct bundle_zstd *z, struct lerr *err)
{
	ZSTD_inBuffer in = {NULL, 0, 0};
	size_t remaining = 1;

	if (z->frame_in == 0)
		return 0;
	while (remaining != 0)
		if (step(z, &in, ZSTD_e_end, &remaining, err) != 0)
			return -1;
	if (z->seekable) {
		struct seektable_frame *f;

		if (z->frame_out > UINT32_MAX || z->frame_count >= SEEKTABLE_MAX_FRAMES)
			return lerr_set(err, LADING_ERR_LIMIT, "cannot write '%s': too large for a seek table",
					z->name);
		z->frames = grow_array(z->frames, z->frame_count, sizeof(*z->frames));
		f = &z->frames[z->frame_count++];
		f->compressed = (uint32_t)z->frame_out;
		f->decompressed = (uint32_t)z->frame_in;
		f->checksum = (uint32_t)xxh64_digest(&z->frame_hash);
	}
	z->frame_in = 0;
	z->frame_out = 0;
	xxh64_init(&z->frame_hash, 0);
	return 0;
}

int bundle_zstd_finish(struct bundle_zstd *z, struct lerr *err)
{
	struct buf table = BUF_INIT(0);
	int r;

	if (bundle_zstd_end_frame(z, err) != 0)
		return -1;
	if (!z->seekable)
		return 0;
	seektable_append(&table, z->frames, z->frame_count, 1);
	r = fs_write_all(z->fd, table.data, table.len, z->name, err);
	buf_free(&table);
	return r;
}

void bundle_zstd_free(struct bundle_zstd *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z->frames);
	free(z);
}
