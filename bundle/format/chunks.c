/*
 * Chunk hashes (chunks.h): sha256 chaining values at every BUNDLE_CHUNK_SIZE
 * of an entry, checked while hashing, and reading one verified range of an
 * entry through the seek table.
 *
 * Why chaining values and not an independent sha256 per chunk: verify and
 * extract must still check each entry's whole sha256 (it is the blob's
 * identity, what a registry and containerd check), and hashing every byte
 * twice would halve verify's throughput. The chaining value after a chunk is
 * what sha256 computes anyway, so the whole check and every chunk check cost
 * one sha256. Finding other bytes for chunk k that lead from the signed value
 * k - 1 to the signed value k is a second preimage on SHA-256's compression
 * function, which SHA-256's own security rests on.
 *
 * OpenSSL's EVP interface hides the state, so this uses the low-level
 * SHA256_CTX (deprecated in OpenSSL 3, still exported and still the same
 * SHA-NI code).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "bundle/format/chunks.h"
#include "lib/xmalloc.h"

/* Compressed bytes read from the file per pread. */
#define RANGE_READ_BLOCK (128u << 10)

struct bundle_chunker {
	SHA256_CTX sha;
	const struct bundle_entry *entry;
	uint64_t at;	       /* bytes of the entry hashed so far, counted from its start */
	unsigned char *record; /* where to write chaining values, or NULL to check them */
};

_Static_assert(BUNDLE_CHUNK_SIZE % SHA256_CBLOCK == 0, "a chunk must be whole sha256 blocks");

uint64_t bundle_chunk_count(uint64_t size)
{
	return size <= BUNDLE_CHUNK_SIZE ? 0 : (size - 1) / BUNDLE_CHUNK_SIZE;
}

struct bundle_chunker *bundle_chunker_new(void)
{
	return xcalloc(1, sizeof(struct bundle_chunker));
}

void bundle_chunker_free(struct bundle_chunker *c)
{
	if (c == NULL)
		return;
	free(c);
}

/* The state as 32 bytes, big-endian words like a digest (num is 0 at a chunk boundary). */
static void state_get(const SHA256_CTX *sha, unsigned char out[BUNDLE_CHUNK_HASH_LEN])
{
	int i;

	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(sha->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(sha->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(sha->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)sha->h[i];
	}
}

static void state_set(SHA256_CTX *sha, const unsigned char in[BUNDLE_CHUNK_HASH_LEN], uint64_t bytes)
{
	uint64_t bits = bytes * 8;
	int i;

	SHA256_Init(sha);
	for (i = 0; i < 8; i++)
		sha->h[i] = (SHA_LONG)in[4 * i] << 24 | (SHA_LONG)in[4 * i + 1] << 16 | (SHA_LONG)in[4 * i + 2] << 8 |
			    (SHA_LONG)in[4 * i + 3];
	sha->Nl = (SHA_LONG)(bits & 0xffffffffu);
	sha->Nh = (SHA_LONG)(bits >> 32);
}

int bundle_chunker_start(struct bundle_chunker *c, const struct bundle_entry *e, uint64_t from, unsigned char *record,
			 struct lerr *err)
{
	uint64_t index = from / BUNDLE_CHUNK_SIZE;

	c->entry = e;
	c->at = from;
	c->record = record;
	if (from == 0) {
		SHA256_Init(&c->sha);
		return 0;
	}
	if (record != NULL || from % BUNDLE_CHUNK_SIZE != 0 || from >= e->size || index > e->chunk_count)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: cannot resume its sha256 at byte %llu (%zu chunk values)",
				e->path, (unsigned long long)from, e->chunk_count);
	state_set(&c->sha, e->chunks + (index - 1) * BUNDLE_CHUNK_HASH_LEN, from);
	return 0;
}

/* At the end of chunk index: record its chaining value or check it. */
static int boundary(struct bundle_chunker *c, uint64_t index, struct lerr *err)
{
	const struct bundle_entry *e = c->entry;
	unsigned char value[BUNDLE_CHUNK_HASH_LEN];

	state_get(&c->sha, value);
	if (c->record != NULL) {
		memcpy(c->record + index * BUNDLE_CHUNK_HASH_LEN, value, BUNDLE_CHUNK_HASH_LEN);
		return 0;
	}
	if (index >= e->chunk_count)
		return 0;
	if (memcmp(value, e->chunks + index * BUNDLE_CHUNK_HASH_LEN, BUNDLE_CHUNK_HASH_LEN) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: sha256 mismatch in chunk %llu (bytes %llu to %llu) against %s: the bundle is "
				"damaged or altered",
				e->path, (unsigned long long)index, (unsigned long long)index * BUNDLE_CHUNK_SIZE,
				(unsigned long long)(index + 1) * BUNDLE_CHUNK_SIZE, BUNDLE_MANIFEST_NAME);
	return 0;
}

int bundle_chunker_update(struct bundle_chunker *c, const void *data, size_t len, struct lerr *err)
{
	const unsigned char *p = data;
	uint64_t count = c->record != NULL ? bundle_chunk_count(c->entry->size) : c->entry->chunk_count;

	while (len > 0) {
		uint64_t index = c->at / BUNDLE_CHUNK_SIZE;
		uint64_t to_cut = BUNDLE_CHUNK_SIZE - c->at % BUNDLE_CHUNK_SIZE;
		size_t part = len;

		if (index >= count) {
			SHA256_Update(&c->sha, p, len);
			c->at += len;
			return 0;
		}
		if (to_cut < part)
			part = (size_t)to_cut;
		SHA256_Update(&c->sha, p, part);
		c->at += part;
		p += part;
		len -= part;
		if (c->at % BUNDLE_CHUNK_SIZE == 0 && boundary(c, index, err) != 0)
			return -1;
	}
	return 0;
}

void bundle_chunker_final_hex(struct bundle_chunker *c, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[SHA256_DIGEST_LENGTH];
	int i;

	SHA256_Final(raw, &c->sha);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
}

int bundle_range_plan(const struct bundle_entry *e, const struct seektable *t, uint64_t offset, uint64_t len,
		      struct bundle_range_plan *p, struct lerr *err)
{
	uint64_t head, start, end, at = 0, file_at = 0;
	int found = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!e->has_layout)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s lists no offsets for it (a bundle of an older lading)",
				e->path, BUNDLE_MANIFEST_NAME);
	if (len == 0 || offset > e->size || len > e->size - offset)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: range %llu+%llu is outside its %llu bytes", e->path,
				(unsigned long long)offset, (unsigned long long)len, (unsigned long long)e->size);
	if (t->count == 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: the seek table is empty", e->path);
	head = t->frames[0].decompressed;
	p->first_chunk = offset / BUNDLE_CHUNK_SIZE;
	p->chunk_end = (offset + len - 1) / BUNDLE_CHUNK_SIZE + 1;
	start = p->first_chunk * BUNDLE_CHUNK_SIZE;
	end = p->chunk_end * BUNDLE_CHUNK_SIZE < e->size ? p->chunk_end * BUNDLE_CHUNK_SIZE : e->size;
	if (e->data_offset > UINT64_MAX - head - e->size)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: data offset %llu is out of range", e->path,
				(unsigned long long)e->data_offset);
	p->tar_start = head + e->data_offset + start;
	p->tar_end = head + e->data_offset + end;
	for (i = 0; i < t->count; i++) {
		uint64_t next = at + t->frames[i].decompressed;

		if (!found && p->tar_start < next) {
			found = 1;
			p->first_frame = i;
			p->file_offset = file_at;
			p->frame_tar_start = at;
		}
		if (found && p->tar_end <= next) {
			p->frame_end = i + 1;
			return 0;
		}
		at = next;
		file_at += t->frames[i].compressed;
	}
	return lerr_set(err, LADING_ERR_FORMAT, "%s: the seek table ends at tar byte %llu, before its data (%llu)",
			e->path, (unsigned long long)at, (unsigned long long)p->tar_end);
}

struct range_read {
	int fd;
	const char *name;
	const struct bundle_entry *entry;
	const struct seektable *table;
	const struct bundle_range_plan *plan;
	uint64_t offset, len; /* what the caller asked for, in the entry's data */
	struct bundle_chunker *chunker;
	unsigned char *chunk; /* the chunk being gathered */
	size_t chunk_len;
	uint64_t chunk_index;
	bundle_range_fn out;
	void *ctx;
};

/* A whole chunk (or the entry's last, shorter one) is gathered: check it, then hand out what was asked of it. */
static int chunk_done(struct range_read *rr, struct lerr *err)
{
	const struct bundle_entry *e = rr->entry;
	uint64_t start = rr->chunk_index * BUNDLE_CHUNK_SIZE, from, to;
	char hex[SHA256_HEX_LEN + 1];

	if (bundle_chunker_update(rr->chunker, rr->chunk, rr->chunk_len, err) != 0)
		return lerr_prefix(err, "%s", rr->name);
	if (start + rr->chunk_len == e->size) {
		bundle_chunker_final_hex(rr->chunker, hex);
		if (strcmp(hex, e->sha256) != 0)
			return lerr_set(err, LADING_ERR_SIGNATURE,
					"%s: %s: sha256 mismatch in chunk %llu (bytes %llu to %llu, the last) against "
					"%s: the bundle is damaged or altered",
					rr->name, e->path, (unsigned long long)rr->chunk_index,
					(unsigned long long)start, (unsigned long long)e->size, BUNDLE_MANIFEST_NAME);
	}
	from = rr->offset > start ? rr->offset : start;
	to = rr->offset + rr->len < start + rr->chunk_len ? rr->offset + rr->len : start + rr->chunk_len;
	if (from < to && rr->out(rr->ctx, rr->chunk + (from - start), (size_t)(to - from), err) != 0)
		return -1;
	rr->chunk_index++;
	rr->chunk_len = 0;
	return 0;
}

/* Takes decompressed tar bytes [tar_at, tar_at + len) and keeps what lies in the plan's chunks. */
static int gather(struct range_read *rr, uint64_t tar_at, const unsigned char *data, size_t len, struct lerr *err)
{
	const struct bundle_range_plan *p = rr->plan;
	uint64_t end = tar_at + len;

	if (tar_at < p->tar_start) {
		if (end <= p->tar_start)
			return 0;
		data += p->tar_start - tar_at;
		tar_at = p->tar_start;
	}
	if (end > p->tar_end)
		end = p->tar_end;
	while (tar_at < end) {
		uint64_t chunk_start = p->tar_start + (rr->chunk_index - p->first_chunk) * BUNDLE_CHUNK_SIZE;
		uint64_t chunk_end =
		    chunk_start + BUNDLE_CHUNK_SIZE < p->tar_end ? chunk_start + BUNDLE_CHUNK_SIZE : p->tar_end;
		size_t part = (size_t)((chunk_end < end ? chunk_end : end) - tar_at);

		memcpy(rr->chunk + rr->chunk_len, data, part);
		rr->chunk_len += part;
		data += part;
		tar_at += part;
		if (tar_at == chunk_end && chunk_done(rr, err) != 0)
			return -1;
	}
	return 0;
}

static int read_exact(int fd, const char *name, void *buf, size_t len, uint64_t at, struct lerr *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t got = pread(fd, (char *)buf + done, len - done, (off_t)(at + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return lerr_sys(err, "%s: cannot read at offset %llu", name, (unsigned long long)(at + done));
		if (got == 0)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: the file ends at offset %llu, inside a frame",
					name, (unsigned long long)(at + done));
		done += (size_t)got;
	}
	return 0;
}

/* Decompresses frame index (starting at file offset file_at, tar offset tar_at) until the plan's end. */
static int read_frame(struct range_read *rr, ZSTD_DCtx *dctx, size_t index, uint64_t file_at, uint64_t tar_at,
		      unsigned char *in, unsigned char *outbuf, struct lerr *err)
{
	const struct seektable_frame *f = &rr->table->frames[index];
	uint64_t in_left = f->compressed, produced = 0;
	ZSTD_inBuffer ib = {in, 0, 0};
	size_t ret = 1;

	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	while (tar_at + produced < rr->plan->tar_end && produced < f->decompressed) {
		ZSTD_outBuffer ob = {outbuf, ZSTD_DStreamOutSize(), 0};

		if (ib.pos == ib.size) {
			if (in_left == 0 || ret == 0)
				return lerr_set(err, LADING_ERR_FORMAT,
						"%s: frame %zu at offset %llu holds %llu bytes, the seek table says %u",
						rr->name, index, (unsigned long long)(file_at),
						(unsigned long long)produced, f->decompressed);
			ib.size = in_left < RANGE_READ_BLOCK ? (size_t)in_left : RANGE_READ_BLOCK;
			ib.pos = 0;
			if (read_exact(rr->fd, rr->name, in, ib.size, file_at + (f->compressed - in_left), err) != 0)
				return -1;
			in_left -= ib.size;
		}
		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(ret))
			return lerr_set(err, LADING_ERR_FORMAT, "%s: frame %zu at offset %llu: %s", rr->name, index,
					(unsigned long long)file_at, ZSTD_getErrorName(ret));
		if (gather(rr, tar_at + produced, outbuf, ob.pos, err) != 0)
			return -1;
		produced += ob.pos;
		if (ret == 0 && produced != f->decompressed)
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: frame %zu at offset %llu holds %llu bytes, the seek table says %u",
					rr->name, index, (unsigned long long)file_at, (unsigned long long)produced,
					f->decompressed);
		if (produced > f->decompressed)
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: frame %zu at offset %llu holds more than the %u bytes the seek table says",
					rr->name, index, (unsigned long long)file_at, f->decompressed);
	}
	return 0;
}

struct bundle_chunk_reader {
	ZSTD_DCtx *dctx;
	unsigned char *in, *outbuf;
};

struct bundle_chunk_reader *bundle_chunk_reader_new(void)
{
	struct bundle_chunk_reader *cr = xcalloc(1, sizeof(*cr));

	/* Fails only when out of memory, which xmalloc treats as fatal too. */
	if ((cr->dctx = ZSTD_createDCtx()) == NULL) {
		fputs("lading: out of memory allocating a zstd context\n", stderr);
		abort();
	}
	cr->in = xmalloc(RANGE_READ_BLOCK);
	cr->outbuf = xmalloc(ZSTD_DStreamOutSize());
	return cr;
}

void bundle_chunk_reader_free(struct bundle_chunk_reader *cr)
{
	if (cr == NULL)
		return;
	ZSTD_freeDCtx(cr->dctx);
	free(cr->in);
	free(cr->outbuf);
	free(cr);
}

/* Reads rr's plan through cr, gathering each chunk in rr->chunk (BUNDLE_CHUNK_SIZE bytes). */
static int range_run(struct range_read *rr, struct bundle_chunk_reader *cr, struct lerr *err)
{
	const struct bundle_range_plan *p = rr->plan;
	uint64_t file_at = p->file_offset, tar_at = p->frame_tar_start;
	size_t i;

	rr->chunk_index = p->first_chunk;
	rr->chunk_len = 0;
	rr->chunker = bundle_chunker_new();
	if (bundle_chunker_start(rr->chunker, rr->entry, p->first_chunk * BUNDLE_CHUNK_SIZE, NULL, err) != 0) {
		bundle_chunker_free(rr->chunker);
		return lerr_prefix(err, "%s", rr->name);
	}
	for (i = p->first_frame; i < p->frame_end; i++) {
		if (read_frame(rr, cr->dctx, i, file_at, tar_at, cr->in, cr->outbuf, err) != 0) {
			bundle_chunker_free(rr->chunker);
			return -1;
		}
		file_at += rr->table->frames[i].compressed;
		tar_at += rr->table->frames[i].decompressed;
	}
	bundle_chunker_free(rr->chunker);
	return 0;
}

static void range_setup(struct range_read *rr, int fd, const char *name, const struct seektable *t,
			const struct bundle_entry *e, const struct bundle_range_plan *plan)
{
	memset(rr, 0, sizeof(*rr));
	rr->fd = fd;
	rr->name = name;
	rr->entry = e;
	rr->table = t;
	rr->plan = plan;
}

int bundle_range_read(int fd, const char *name, const struct seektable *t, const struct bundle_entry *e,
		      uint64_t offset, uint64_t len, bundle_range_fn out, void *ctx, struct lerr *err)
{
	struct bundle_range_plan plan;
	struct range_read rr;
	struct bundle_chunk_reader *cr;
	int r;

	if (bundle_range_plan(e, t, offset, len, &plan, err) != 0)
		return lerr_prefix(err, "%s", name);
	range_setup(&rr, fd, name, t, e, &plan);
	rr.offset = offset;
	rr.len = len;
	rr.out = out;
	rr.ctx = ctx;
	rr.chunk = xmalloc(BUNDLE_CHUNK_SIZE);
	cr = bundle_chunk_reader_new();
	r = range_run(&rr, cr, err);
	bundle_chunk_reader_free(cr);
	free(rr.chunk);
	return r;
}

/* The chunk is already where the caller wants it: nothing to copy. */
static int chunk_in_place(void *ctx, const void *data, size_t len, struct lerr *err)
{
	(void)data;
	(void)err;
	*(size_t *)ctx = len;
	return 0;
}

int bundle_chunk_read(struct bundle_chunk_reader *cr, int fd, const char *name, const struct seektable *t,
		      const struct bundle_entry *e, uint64_t index, unsigned char *dst, size_t *len, struct lerr *err)
{
	struct bundle_range_plan plan;
	struct range_read rr;
	uint64_t start = index * BUNDLE_CHUNK_SIZE;

	*len = 0;
	if (index > e->size / BUNDLE_CHUNK_SIZE || start >= e->size)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s has no chunk %llu", name, e->path,
				(unsigned long long)index);
	if (bundle_range_plan(e, t, start, e->size - start < BUNDLE_CHUNK_SIZE ? e->size - start : BUNDLE_CHUNK_SIZE,
			      &plan, err) != 0)
		return lerr_prefix(err, "%s", name);
	range_setup(&rr, fd, name, t, e, &plan);
	rr.offset = plan.first_chunk * BUNDLE_CHUNK_SIZE;
	rr.len = plan.tar_end - plan.tar_start;
	rr.out = chunk_in_place;
	rr.ctx = len;
	rr.chunk = dst;
	return range_run(&rr, cr, err);
}
