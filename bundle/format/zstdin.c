/*
 * Why not libarchive's zstd filter: it decodes frame after frame, skips
 * skippable frames silently, and after the tar's end-of-archive nobody reads
 * the rest, so bytes appended to a signed bundle went unnoticed. Here every
 * frame start is looked at, every frame end is recorded (decompressed and file
 * offset), and bundle_zstdin_check_end accounts for the bytes after the tar.
 *
 * The last two blocks handed out are kept: when libarchive's tar reader sees
 * the end-of-archive it has read ahead at most one 512-byte block more than it
 * consumed (copied from the older block if it straddled), so whatever it read
 * but did not consume is still here to be checked. Every block but the last
 * is full, which is what makes that hold; check_end refuses, rather than
 * trusts, an end it cannot see.
 *
 * Frames before the one that ends the tar may be any number (empty ones too:
 * they decode to nothing); a skippable frame or non-zstd bytes anywhere end
 * the stream, and are reported as not part of the archive.
 *
 * A seek table (format 2, SPECS §6.2) is the one skippable frame allowed:
 * right after the frame that ends the tar, up to the end of the file, and it
 * must describe exactly the frames read (count, compressed and decompressed
 * sizes, XXH64 checksums), so it hides nothing. Every frame's sizes and
 * checksum are recorded as it is decoded, in a table row's 12 bytes (a few
 * per MiB of a bundle lading wrote); a file of countless tiny frames stops
 * being recorded at the cap a seek table may have (SEEKTABLE_READ_MAX) and
 * then cannot have a table that matches.
 *
 * Decompression runs on a thread of its own, a few blocks ahead of the tar
 * parse and hashing (lib/blockq: BUNDLE_ZSTDIN_QUEUE buffers, so memory stays
 * flat). What the caller sees is exactly what a one-thread reader would show
 * at the same point: the producer's stop (its kind, offset and message) is
 * looked at only once a block that ended with it was handed out, frame ends
 * are searched only up to the bytes handed out, and the decoder's own state
 * (the file offset, the frames seen) is read only after the thread is joined.
 * So a damaged frame far ahead is reported, with the same line, only when the
 * tar parse reaches it, and inspect still stops at the head.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "bundle/format/seektable.h"
#include "bundle/format/xxh64.h"
#include "bundle/format/zstdin.h"
#include "lib/blockq.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define TAR_BLOCK 512u
/*
 * Output room each decompress call gets: what a whole block was before the
 * blocks grew. libzstd reports damage after more or less input depending on
 * it, so keeping it keeps the offsets in "damaged zstd data near offset"
 * those of earlier versions (blocks start at multiples of it).
 */
#define DECODE_STEP (64u << 10)
_Static_assert(BUNDLE_ZSTDIN_BLOCK % DECODE_STEP == 0, "blocks must start at multiples of DECODE_STEP");
#define AGAIN "get the bundle again"

enum stop_kind {
	STOP_NONE,
	STOP_EOF,	/* the file ended after a whole frame */
	STOP_SKIPPABLE, /* a skippable frame starts at stop_offset */
	STOP_NOT_ZSTD,	/* bytes that are not a zstd frame start at stop_offset */
	STOP_FAILED,	/* a frame was damaged or cut short: failure holds why */
};

struct frame_end {
	uint64_t out_end;  /* decompressed offset where the frame's output ends */
	uint64_t file_end; /* file offset just past the frame */
	size_t frames;	   /* frames read up to this one, included */
};

#define SEEN_MAX (SEEKTABLE_READ_MAX / sizeof(struct seektable_frame))

/* A block handed to the caller: kept until two more were handed out (see above). */
struct kept_block {
	struct blockq_block *block; /* the queue's buffer, NULL for the empty block at the end */
	const unsigned char *data;
	size_t len;
	uint64_t start; /* decompressed offset */
};

struct bundle_zstdin {
	char *path;
	/* The decoder's, on its thread (and the caller's only once it is joined). */
	int fd;
	ZSTD_DCtx *dctx;
	unsigned char *in;
	size_t in_cap;
	ZSTD_inBuffer input; /* in[0 .. input.size), consumed up to input.pos */
	uint64_t in_offset;  /* file offset of in[0] */
	int file_eof;	     /* read(2) returned 0 */
	uint64_t out_total;  /* decompressed bytes made */
	int in_frame;
	uint64_t frame_file_start; /* where the current frame starts in the file */
	uint64_t frame_out_start;  /* and in the decompressed stream */
	struct xxh64 frame_hash;
	struct seektable_frame *seen; /* every frame read, in order, up to SEEN_MAX */
	size_t seen_count;
	size_t frame_count; /* every frame read */
	int seen_unlisted;  /* a frame no table of ours lists (empty, over 1 GiB of content, past SEEN_MAX) */
	/* Written before the block that ends with it is pushed: the caller reads them once it sees that block. */
	enum stop_kind stop;
	uint64_t stop_offset;
	struct lerr failure;
	/* Shared: the decoder appends, the caller prunes and searches, under ends_lock. */
	pthread_mutex_t ends_lock;
	struct frame_end *ends; /* frame ends at or after the older kept block, sorted */
	size_t end_count;
	/* The caller's. */
	struct blockq *queue;
	pthread_t thread;
	int running; /* the thread was started and not joined yet */
	struct kept_block kept[2];
	int current;	    /* slot of the last block handed out, -1 before the first */
	uint64_t kept_from; /* decompressed offset of the older kept block */
	uint64_t handed;    /* decompressed bytes handed out */
	int ended;	    /* the queue said the stream ended (ended_rc: 0 clean, -1 failed) */
	int ended_rc;
	uint64_t table_end; /* file offset after a checked seek table, 0 when there is none */
};

static void *decode(void *arg);

int bundle_zstdin_open(struct bundle_zstdin **out, const char *path, struct lerr *err)
{
	struct bundle_zstdin *z = xcalloc(1, sizeof(*z));
	sigset_t all, old;
	int rc;

	z->fd = -1;
	z->path = xstrdup(path);
	z->current = -1;
	if (pthread_mutex_init(&z->ends_lock, NULL) != 0) {
		free(z->path);
		free(z);
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot create a lock");
	}
	if ((z->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", path);
		goto fail;
	}
	if ((z->dctx = ZSTD_createDCtx()) == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot create a zstd context");
		goto fail;
	}
	z->in_cap = ZSTD_DStreamInSize();
	z->in = xmalloc(z->in_cap);
	z->input.src = z->in;
	if (blockq_new(&z->queue, BUNDLE_ZSTDIN_QUEUE, BUNDLE_ZSTDIN_BLOCK, err) != 0)
		goto fail;
	/* Signals stay with the caller's thread: the decoder has nothing to do with them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&z->thread, NULL, decode, z);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot start a thread to decompress '%s': %s", path, strerror(rc));
		goto fail;
	}
	z->running = 1;
	*out = z;
	return 0;
fail:
	bundle_zstdin_free(z);
	return -1;
}

/* Marks z failed with the reason already in z->failure; the next read reports it. */
static int fail(struct bundle_zstdin *z)
{
	z->stop = STOP_FAILED;
	return -1;
}

/* Reads more of the file, keeping the unconsumed input at the front; sets file_eof at the end. */
static int refill(struct bundle_zstdin *z)
{
	size_t left = z->input.size - z->input.pos;
	ssize_t got;

	memmove(z->in, z->in + z->input.pos, left);
	z->in_offset += z->input.pos;
	z->input.pos = 0;
	z->input.size = left;
	if ((got = fs_read_some(z->fd, z->in + left, z->in_cap - left, z->path, &z->failure)) < 0)
		return fail(z);
	if (got == 0)
		z->file_eof = 1;
	z->input.size += (size_t)got;
	return 0;
}

static uint64_t file_pos(const struct bundle_zstdin *z)
{
	return z->in_offset + z->input.pos;
}

/* Looks at what starts at a frame boundary: a zstd frame is entered, anything else ends the stream. */
static int start_frame(struct bundle_zstdin *z)
{
	const unsigned char *p;
	uint32_t magic;

	while (z->input.size - z->input.pos < 4 && !z->file_eof)
		if (refill(z) != 0)
			return -1;
	z->stop_offset = file_pos(z);
	if (z->input.size == z->input.pos) {
		z->stop = STOP_EOF;
		return 0;
	}
	if (z->input.size - z->input.pos < 4) {
		z->stop = STOP_NOT_ZSTD;
		return 0;
	}
	p = z->in + z->input.pos;
	magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if (magic == ZSTD_MAGICNUMBER) {
		z->in_frame = 1;
		z->frame_file_start = z->stop_offset;
		z->frame_out_start = z->out_total;
		xxh64_init(&z->frame_hash, 0);
	} else
		z->stop =
		    (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START ? STOP_SKIPPABLE : STOP_NOT_ZSTD;
	return 0;
}

/*
 * Records the frame just ended. Frames that end where the previous one did
 * (empty frames) add no end: the first one is the end that counts. Nor does
 * an end that can never be the answer to check_end, whose tar end is a
 * multiple of TAR_BLOCK: in each block after one, only the first end and one
 * at its last byte can be the first end at or after such an offset. So a
 * flood of tiny frames costs at most two ends per TAR_BLOCK.
 */
static void note_frame_end(struct bundle_zstdin *z)
{
	uint64_t compressed = file_pos(z) - z->frame_file_start;
	uint64_t decompressed = z->out_total - z->frame_out_start;
	uint64_t out_end = z->out_total;

	z->frame_count++;
	/* lading writes no empty frame: a flood of them costs no memory, and no table of ours matches. */
	if (decompressed == 0 || compressed > UINT32_MAX || decompressed > SEEKTABLE_MAX_FRAME_CONTENT ||
	    z->seen_count >= SEEN_MAX) {
		z->seen_unlisted = 1;
	} else if (!z->seen_unlisted) {
		struct seektable_frame *f;

		z->seen = grow_array(z->seen, z->seen_count, sizeof(*z->seen));
		f = &z->seen[z->seen_count++];
		f->compressed = (uint32_t)compressed;
		f->decompressed = (uint32_t)decompressed;
		f->checksum = (uint32_t)xxh64_digest(&z->frame_hash);
	}
	pthread_mutex_lock(&z->ends_lock);
	if (z->end_count > 0) {
		uint64_t last = z->ends[z->end_count - 1].out_end;

		if (last == out_end || ((last + TAR_BLOCK - 1) / TAR_BLOCK == (out_end + TAR_BLOCK - 1) / TAR_BLOCK &&
					out_end % TAR_BLOCK != 0))
			goto out;
	}
	z->ends = grow_array(z->ends, z->end_count, sizeof(*z->ends));
	z->ends[z->end_count].out_end = out_end;
	z->ends[z->end_count].file_end = file_pos(z);
	z->ends[z->end_count].frames = z->frame_count;
	z->end_count++;
out:
	pthread_mutex_unlock(&z->ends_lock);
}

/* Decompresses into block until it is full or the stream stops. */
static int fill(struct bundle_zstdin *z, struct blockq_block *b)
{
	while (b->len < b->size && z->stop == STOP_NONE) {
		size_t room = DECODE_STEP - b->len % DECODE_STEP;
		ZSTD_outBuffer output = {b->data + b->len, room < b->size - b->len ? room : b->size - b->len, 0};
		size_t before = z->input.pos, rc;

		if (!z->in_frame) {
			if (start_frame(z) != 0)
				return -1;
			continue;
		}
		if (z->input.pos == z->input.size && !z->file_eof && refill(z) != 0)
			return -1;
		rc = ZSTD_decompressStream(z->dctx, &output, &z->input);
		if (ZSTD_isError(rc)) {
			lerr_set(&z->failure, LADING_ERR_FORMAT, "%s: damaged zstd data near offset %llu: %s; " AGAIN,
				 z->path, (unsigned long long)file_pos(z), ZSTD_getErrorName(rc));
			return fail(z);
		}
		xxh64_update(&z->frame_hash, b->data + b->len, output.pos);
		b->len += output.pos;
		z->out_total += output.pos;
		if (rc == 0) {
			z->in_frame = 0;
			note_frame_end(z);
		} else if (output.pos == 0 && z->input.pos == before && z->file_eof) {
			lerr_set(&z->failure, LADING_ERR_FORMAT,
				 "%s: the file ends inside a zstd frame at offset %llu: it is truncated; " AGAIN,
				 z->path, (unsigned long long)file_pos(z));
			return fail(z);
		}
	}
	return 0;
}

/*
 * The decoder thread: fills blocks until the stream stops or the caller
 * cancels. Every block but the last is full; the last one, partial or
 * empty (not pushed), is the one in which the stream stopped.
 */
static void *decode(void *arg)
{
	struct bundle_zstdin *z = arg;
	struct blockq_block *b;

	while (z->stop == STOP_NONE && (b = blockq_acquire(z->queue)) != NULL) {
		b->offset = z->out_total;
		fill(z, b);
		if (b->len > 0)
			blockq_push(z->queue, b);
		else
			blockq_release(z->queue, b);
	}
	blockq_finish(z->queue, z->stop == STOP_FAILED ? &z->failure : NULL);
	return NULL;
}

/* Stops the decoder and waits for it: its state is the caller's from here. */
static void stop_decoder(struct bundle_zstdin *z)
{
	if (!z->running)
		return;
	blockq_cancel(z->queue);
	pthread_join(z->thread, NULL);
	z->running = 0;
}

/* Drops frame ends before the older kept block: the tar's end cannot be there. */
static void prune_ends(struct bundle_zstdin *z, uint64_t keep_from)
{
	size_t drop = 0;

	pthread_mutex_lock(&z->ends_lock);
	while (drop < z->end_count && z->ends[drop].out_end < keep_from)
		drop++;
	if (drop > 0) {
		memmove(z->ends, z->ends + drop, (z->end_count - drop) * sizeof(*z->ends));
		z->end_count -= drop;
	}
	pthread_mutex_unlock(&z->ends_lock);
}

/* Makes b (NULL: the empty block a stream that stopped at a block boundary ends with) the current block. */
static void keep(struct bundle_zstdin *z, struct blockq_block *b)
{
	int previous = z->current;
	struct kept_block *k;

	z->current = previous < 0 ? 0 : 1 - previous;
	k = &z->kept[z->current];
	if (k->block != NULL)
		blockq_release(z->queue, k->block);
	k->block = b;
	k->data = b != NULL ? b->data : NULL;
	k->len = b != NULL ? b->len : 0;
	k->start = z->handed;
	z->kept_from = previous < 0 ? z->handed : z->kept[previous].start;
	z->handed += k->len;
	prune_ends(z, z->kept_from);
}

/* True once the decoder's stop is the caller's to see: the block it stopped in was handed out. */
static int stop_seen(const struct bundle_zstdin *z)
{
	return z->ended || (z->current >= 0 && z->kept[z->current].len < BUNDLE_ZSTDIN_BLOCK);
}

/*
 * Hands out the next block in the other slot, keeping the one before it.
 * What a one-thread reader did: a block that stopped short is handed out
 * (what was decoded before a damaged or cut frame: inspect reads only the
 * head), and the call after it says why; a stream that stopped right after a
 * full block hands out one empty block.
 */
static ssize_t next_block(struct bundle_zstdin *z, struct lerr *err)
{
	struct blockq_block *b;
	int rc;

	if (z->ended) {
		if (z->ended_rc < 0)
			*err = z->failure;
		return z->ended_rc;
	}
	if ((rc = blockq_pop(z->queue, &b, NULL)) > 0) {
		keep(z, b);
		return (ssize_t)b->len;
	}
	z->ended = 1;
	z->ended_rc = rc < 0 ? -1 : 0;
	if (z->current < 0 || z->kept[z->current].len == BUNDLE_ZSTDIN_BLOCK)
		keep(z, NULL);
	if (rc < 0)
		*err = z->failure;
	return z->ended_rc;
}

ssize_t bundle_zstdin_read(struct bundle_zstdin *z, const void **data, struct lerr *err)
{
	ssize_t got = next_block(z, err);

	if (got > 0)
		*data = z->kept[z->current].data;
	return got;
}

int bundle_zstdin_stopped(const struct bundle_zstdin *z, struct lerr *err)
{
	if (!stop_seen(z))
		return 0;
	switch (z->stop) {
	case STOP_FAILED:
		*err = z->failure;
		return -1;
	case STOP_SKIPPABLE:
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: a skippable zstd frame at offset %llu is not part of the signed archive: the "
				"file was altered; " AGAIN,
				z->path, (unsigned long long)z->stop_offset);
	case STOP_NOT_ZSTD:
		if (z->stop_offset == 0)
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: not a zstd-compressed tar (no zstd frame at its start)", z->path);
		return lerr_set(
		    err, LADING_ERR_SIGNATURE,
		    "%s: the bytes at offset %llu are not a zstd frame: the file was altered or damaged; " AGAIN,
		    z->path, (unsigned long long)z->stop_offset);
	default:
		return 0;
	}
}

/* The first non-zero byte at or after from in the two kept blocks, or UINT64_MAX. */
static uint64_t first_nonzero_kept(const struct bundle_zstdin *z, uint64_t from)
{
	const int slots[2] = {1 - z->current, z->current};
	int i;

	if (z->current < 0)
		return UINT64_MAX;
	for (i = 0; i < 2; i++) {
		const struct kept_block *k = &z->kept[slots[i]];
		size_t j;

		if (k->start + k->len <= from)
			continue;
		for (j = from > k->start ? (size_t)(from - k->start) : 0; j < k->len; j++)
			if (k->data[j] != 0)
				return k->start + j;
	}
	return UINT64_MAX;
}

/* The first frame end at or after offset among the bytes handed out: 1 with *end filled, else 0. */
static int end_at_or_after(struct bundle_zstdin *z, uint64_t offset, struct frame_end *end)
{
	int found = 0;
	size_t i;

	pthread_mutex_lock(&z->ends_lock);
	for (i = 0; i < z->end_count && z->ends[i].out_end <= z->handed; i++)
		if (z->ends[i].out_end >= offset) {
			*end = z->ends[i];
			found = 1;
			break;
		}
	pthread_mutex_unlock(&z->ends_lock);
	return found;
}

/* File bytes from offset to the end of the file. */
static int bytes_after(struct bundle_zstdin *z, uint64_t offset, uint64_t *count, struct lerr *err)
{
	struct stat st;
	uint64_t total = z->in_offset + z->input.size;
	char chunk[8192];

	if (fstat(z->fd, &st) != 0)
		return lerr_sys(err, "cannot stat '%s'", z->path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= total) {
		*count = (uint64_t)st.st_size - offset;
		return 0;
	}
	while (!z->file_eof) {
		ssize_t got;

		if ((got = fs_read_some(z->fd, chunk, sizeof(chunk), z->path, err)) < 0)
			return -1;
		if (got == 0)
			z->file_eof = 1;
		total += (uint64_t)got;
	}
	*count = total - offset;
	return 0;
}

/* The first frame that disagrees with t, or SIZE_MAX; *offset is where it starts in the file. */
static size_t first_mismatch(const struct bundle_zstdin *z, const struct seektable *t, uint64_t *offset)
{
	size_t i;

	*offset = 0;
	for (i = 0; i < t->count; i++) {
		const struct seektable_frame *row = &t->frames[i];
		const struct seektable_frame *f = &z->seen[i];

		if (row->compressed != f->compressed || row->decompressed != f->decompressed ||
		    (t->has_checksums && row->checksum != f->checksum))
			return i;
		*offset += f->compressed;
	}
	return SIZE_MAX;
}

/*
 * The bytes after the frame that ends the tar may be a seek table: checked
 * against the frames read (end->frames of them, from the file's start), and
 * taken off *after when it is right. Anything else is left to the caller.
 */
static int check_seek_table(struct bundle_zstdin *z, const struct frame_end *end, uint64_t *after, struct lerr *err)
{
	struct seektable t;
	uint64_t offset;
	size_t bad;
	int r;

	memset(&t, 0, sizeof(t));
	if ((r = seektable_read_at(z->fd, z->path, end->file_end, *after, end->frames, &t, err)) <= 0)
		return r == 0 ? 0 : lerr_recode(err, LADING_ERR_SIGNATURE);
	if (t.count != end->frames) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: the seek table at offset %llu lists %zu frames, the archive has %zu: the file was "
			 "altered; " AGAIN,
			 z->path, (unsigned long long)end->file_end, t.count, end->frames);
		goto out;
	}
	if (z->seen_count < t.count) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: the seek table at offset %llu lists frame %zu, which lading never writes (empty, over 1 "
			 "GiB, or past %zu frames): the file was altered; " AGAIN,
			 z->path, (unsigned long long)end->file_end, z->seen_count, (size_t)SEEN_MAX);
		goto out;
	}
	if ((bad = first_mismatch(z, &t, &offset)) != SIZE_MAX) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: the seek table at offset %llu says frame %zu at offset %llu holds %lu bytes in %lu, the "
			 "file has %llu in %llu%s: the file was altered; " AGAIN,
			 z->path, (unsigned long long)end->file_end, bad, (unsigned long long)offset,
			 (unsigned long)t.frames[bad].decompressed, (unsigned long)t.frames[bad].compressed,
			 (unsigned long long)z->seen[bad].decompressed, (unsigned long long)z->seen[bad].compressed,
			 t.frames[bad].checksum != z->seen[bad].checksum ? " (checksum differs)" : "");
		goto out;
	}
	*after -= seektable_size(t.count, t.has_checksums);
	z->table_end = end->file_end + seektable_size(t.count, t.has_checksums);
	r = 0;
out:
	seektable_free(&t);
	return r;
}

int bundle_zstdin_check_end(struct bundle_zstdin *z, uint64_t tar_end, struct lerr *err)
{
	uint64_t record_end = (tar_end + BUNDLE_TAR_RECORD - 1) / BUNDLE_TAR_RECORD * BUNDLE_TAR_RECORD;
	uint64_t nonzero, after = 0;
	struct frame_end end_found;
	const struct frame_end *end = NULL;
	int found;

	if (tar_end % TAR_BLOCK != 0 || tar_end > z->handed || tar_end < z->kept_from)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: the archive ends at decompressed offset %llu, which cannot be checked: not a "
				"bundle lading wrote",
				z->path, (unsigned long long)tar_end);
	/* Scanned before decompressing on, which recycles the older kept block. */
	nonzero = first_nonzero_kept(z, tar_end);
	while (!(found = end_at_or_after(z, tar_end, &end_found)) && z->handed <= record_end) {
		ssize_t got = next_block(z, err);

		if (got < 0)
			return -1;
		if (got == 0)
			break;
		if (nonzero == UINT64_MAX)
			nonzero = first_nonzero_kept(z, z->kept[z->current].start);
	}
	if (found) {
		/* The rest reads the file and the frames seen: the decoder's, once it has stopped. */
		end = &end_found;
		stop_decoder(z);
		if (bytes_after(z, end->file_end, &after, err) != 0 ||
		    (after > 0 && check_seek_table(z, end, &after, err) != 0))
			return -1;
		if (after > 0)
			return lerr_set(err, LADING_ERR_SIGNATURE,
					"%s: %llu byte%s after the end of the signed archive at offset %llu: the file "
					"was altered or appended to; " AGAIN,
					z->path, (unsigned long long)after, after == 1 ? "" : "s",
					(unsigned long long)(z->table_end ? z->table_end : end->file_end));
	}
	if (nonzero < record_end)
		return lerr_set(
		    err, LADING_ERR_SIGNATURE,
		    "%s: a non-zero byte at decompressed offset %llu, after the end of the signed archive at "
		    "%llu: the file was altered; " AGAIN,
		    z->path, (unsigned long long)nonzero, (unsigned long long)tar_end);
	if (z->handed > record_end)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: padding after the end of the signed archive runs past its %u-byte tar record at "
				"decompressed offset %llu: the file was altered; " AGAIN,
				z->path, BUNDLE_TAR_RECORD, (unsigned long long)record_end);
	if (end == NULL && bundle_zstdin_stopped(z, err) != 0)
		return -1;
	if (end == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: no zstd frame ends after the archive", z->path);
	return 0;
}

void bundle_zstdin_free(struct bundle_zstdin *z)
{
	if (z == NULL)
		return;
	stop_decoder(z);
	blockq_free(z->queue);
	if (z->fd >= 0)
		close(z->fd);
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z->ends);
	free(z->seen);
	pthread_mutex_destroy(&z->ends_lock);
	free(z->path);
	free(z);
}
