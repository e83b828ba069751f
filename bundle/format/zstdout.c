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
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	int reserved;	   /* frames[0] is a raw frame whose place is kept (bundle_zstd_reserve_raw) */
	int filled;	   /* and it has been written */
	off_t reserved_at; /* where it starts in the file */
	uint64_t reserved_content;
};

/*
 * A raw frame (RFC 8878 §3.1.1): magic, a header with a 128 KiB window
 * (descriptor 0x38: windowLog 17) and a 4-byte content size, no single
 * segment, so a decoder needs a 128 KiB window whatever the head's size;
 * then raw blocks of at most 128 KiB, each behind a 3-byte block header; no
 * checksum (the seek table has it).
 */
#define RAW_HEADER_SIZE 10u
#define RAW_BLOCK_MAX (128u << 10)
#define RAW_BLOCK_HEADER 3u

static uint64_t raw_blocks(uint64_t content)
{
	return content == 0 ? 1 : (content + RAW_BLOCK_MAX - 1) / RAW_BLOCK_MAX;
}

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

uint64_t bundle_zstd_raw_frame_size(uint64_t content)
{
	return RAW_HEADER_SIZE + RAW_BLOCK_HEADER * raw_blocks(content) + content;
}

int bundle_zstd_reserve_raw(struct bundle_zstd *z, uint64_t content, struct lerr *err)
{
	uint64_t size = bundle_zstd_raw_frame_size(content);
	struct seektable_frame *f;

	if (!z->seekable || z->frame_count != 0 || z->frame_in != 0 || z->reserved)
		return lerr_set(err, LADING_ERR_SYSTEM, "'%s': a raw frame is kept only first (report this bug)",
				z->name);
	if (content > SEEKTABLE_MAX_FRAME_CONTENT)
		return lerr_set(err, LADING_ERR_LIMIT, "cannot write '%s': its head is over 1 GiB", z->name);
	if ((z->reserved_at = lseek(z->fd, 0, SEEK_CUR)) < 0 || lseek(z->fd, (off_t)size, SEEK_CUR) < 0)
		return lerr_sys(err, "cannot seek in '%s'", z->name);
	z->frames = grow_array(z->frames, z->frame_count, sizeof(*z->frames));
	f = &z->frames[z->frame_count++];
	f->compressed = (uint32_t)size;
	f->decompressed = (uint32_t)content;
	f->checksum = 0;
	z->reserved = 1;
	z->reserved_content = content;
	return 0;
}

static void put_le(unsigned char *p, uint64_t v, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

int bundle_zstd_fill_raw(struct bundle_zstd *z, const void *content, size_t len, struct lerr *err)
{
	const unsigned char *in = content;
	uint64_t size = bundle_zstd_raw_frame_size(len), done = 0, blocks = raw_blocks(len), i;
	unsigned char *frame, *p;
	struct xxh64 hash;
	int r = 0;

	if (!z->reserved || z->filled || len != z->reserved_content)
		return lerr_set(err, LADING_ERR_SYSTEM,
				"'%s': the head is %zu bytes, %llu were kept for it (report this bug)", z->name, len,
				(unsigned long long)z->reserved_content);
	frame = xmalloc((size_t)size);
	put_le(frame, ZSTD_MAGICNUMBER, 4);
	frame[4] = 2u << 6; /* Frame_Content_Size on 4 bytes, a window descriptor, no checksum, no dictionary */
	frame[5] = (17 - 10) << 3;
	put_le(frame + 6, len, 4);
	p = frame + RAW_HEADER_SIZE;
	for (i = 0; i < blocks; i++) {
		size_t part = len - done < RAW_BLOCK_MAX ? len - done : RAW_BLOCK_MAX;

		/* Last_Block in bit 0, Block_Type 0 (raw) in bits 1-2, Block_Size above. */
		put_le(p, (uint64_t)part << 3 | (i + 1 == blocks), RAW_BLOCK_HEADER);
		memcpy(p + RAW_BLOCK_HEADER, in + done, part);
		p += RAW_BLOCK_HEADER + part;
		done += part;
	}
	for (done = 0; done < size && r == 0;) {
		ssize_t put = pwrite(z->fd, frame + done, (size_t)(size - done), z->reserved_at + (off_t)done);

		if (put > 0)
			done += (uint64_t)put;
		else if (put == 0 || errno != EINTR)
			r = put == 0 ? lerr_set(err, LADING_ERR_SYSTEM, "cannot write '%s': no progress", z->name)
				     : lerr_sys(err, "cannot write '%s'", z->name);
	}
	free(frame);
	if (r != 0)
		return -1;
	xxh64_init(&hash, 0);
	xxh64_update(&hash, content, len);
	z->frames[0].checksum = (uint32_t)xxh64_digest(&hash);
	z->filled = 1;
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
	if (z->reserved && !z->filled)
		return lerr_set(err, LADING_ERR_SYSTEM, "'%s': the head was never written (report this bug)", z->name);
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
