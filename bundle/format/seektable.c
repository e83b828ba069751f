/* The seek table: written by zstdout.c, checked by zstdin.c, read from the end of a file for seeking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/format/seektable.h"
#include "lib/xmalloc.h"

#define ENTRY_SIZE(has_checksums) ((has_checksums) ? 12u : 8u)

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

uint64_t seektable_size(uint64_t count, int has_checksums)
{
	return SEEKTABLE_HEADER_SIZE + count * ENTRY_SIZE(has_checksums) + SEEKTABLE_FOOTER_SIZE;
}

/* Checks the footer (the last 9 bytes); fills the frame count and the checksum flag. */
static int parse_footer(const unsigned char *footer, uint64_t at, uint32_t *count, int *has_checksums, struct lerr *err)
{
	unsigned descriptor = footer[4];

	if (get32(footer + 5) != SEEKTABLE_FOOTER_MAGIC)
		return lerr_set(err, LADING_ERR_FORMAT, "seek table footer at offset %llu: no seekable magic",
				(unsigned long long)at);
	if ((descriptor & ~SEEKTABLE_CHECKSUM_FLAG) != 0)
		return lerr_set(err, LADING_ERR_FORMAT,
				"seek table footer at offset %llu: reserved descriptor bits set (0x%02x)",
				(unsigned long long)at, descriptor);
	*count = get32(footer);
	*has_checksums = (descriptor & SEEKTABLE_CHECKSUM_FLAG) != 0;
	if (*count > SEEKTABLE_MAX_FRAMES)
		return lerr_set(err, LADING_ERR_FORMAT,
				"seek table footer at offset %llu: %lu frames, more than the format allows",
				(unsigned long long)at, (unsigned long)*count);
	return 0;
}

int seektable_parse(const void *buf, size_t len, uint64_t base, struct seektable *out, struct lerr *err)
{
	const unsigned char *p = buf;
	struct seektable t;
	uint32_t count, i;
	uint64_t need;
	int has_checksums;
	size_t entry;

	memset(&t, 0, sizeof(t));
	if (len < SEEKTABLE_HEADER_SIZE + SEEKTABLE_FOOTER_SIZE)
		return lerr_set(err, LADING_ERR_FORMAT, "seek table at offset %llu: truncated (%zu bytes)",
				(unsigned long long)base, len);
	if (get32(p) != SEEKTABLE_MAGIC)
		return lerr_set(err, LADING_ERR_FORMAT, "seek table at offset %llu: magic 0x%08lx, not 0x%08x",
				(unsigned long long)base, (unsigned long)get32(p), SEEKTABLE_MAGIC);
	if ((uint64_t)get32(p + 4) + SEEKTABLE_HEADER_SIZE != len)
		return lerr_set(
		    err, LADING_ERR_FORMAT, "seek table at offset %llu: its frame size says %llu bytes, %zu are there",
		    (unsigned long long)base, (unsigned long long)get32(p + 4) + SEEKTABLE_HEADER_SIZE, len);
	if (parse_footer(p + len - SEEKTABLE_FOOTER_SIZE, base + len - SEEKTABLE_FOOTER_SIZE, &count, &has_checksums,
			 err) != 0)
		return -1;
	if ((need = seektable_size(count, has_checksums)) != len)
		return lerr_set(err, LADING_ERR_FORMAT,
				"seek table at offset %llu: %lu frames need %llu bytes, the table has %zu",
				(unsigned long long)base, (unsigned long)count, (unsigned long long)need, len);
	entry = ENTRY_SIZE(has_checksums);
	t.frames = xcalloc((size_t)count + 1, sizeof(*t.frames));
	t.count = count;
	t.has_checksums = has_checksums;
	for (i = 0; i < count; i++) {
		const unsigned char *e = p + SEEKTABLE_HEADER_SIZE + (size_t)i * entry;
		struct seektable_frame *f = &t.frames[i];

		f->compressed = get32(e);
		f->decompressed = get32(e + 4);
		f->checksum = has_checksums ? get32(e + 8) : 0;
		/* A zstd or skippable frame is at least 8 bytes: a smaller one lies. */
		if (f->compressed < 8 || f->decompressed > SEEKTABLE_MAX_FRAME_CONTENT) {
			lerr_set(err, LADING_ERR_FORMAT,
				 "seek table entry %lu at offset %llu: impossible sizes (%lu bytes holding %lu)",
				 (unsigned long)i, (unsigned long long)(base + (uint64_t)(e - p)),
				 (unsigned long)f->compressed, (unsigned long)f->decompressed);
			seektable_free(&t);
			return -1;
		}
		/* At most 2^27 frames of 2^32 bytes: these sums cannot wrap. */
		t.compressed_total += f->compressed;
		t.decompressed_total += f->decompressed;
	}
	*out = t;
	return 0;
}

/* Reads exactly len bytes at offset; a file that shrank is an error, not a short table. */
static int pread_all(int fd, void *data, size_t len, uint64_t offset, const char *name, struct lerr *err)
{
	unsigned char *p = data;

	while (len > 0) {
		ssize_t got = pread(fd, p, len, (off_t)offset);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return lerr_sys(err, "cannot read '%s'", name);
		if (got == 0)
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: the file ends at offset %llu while reading its "
					"seek table (it changed while read?)",
					name, (unsigned long long)offset);
		p += got;
		len -= (size_t)got;
		offset += (uint64_t)got;
	}
	return 0;
}

int seektable_read_fd(int fd, const char *name, struct seektable *t, struct lerr *err)
{
	unsigned char footer[SEEKTABLE_FOOTER_SIZE];
	unsigned char *table = NULL;
	struct stat st;
	uint64_t size, table_size, start;
	uint32_t count;
	int has_checksums, r = -1;

	if (fstat(fd, &st) != 0)
		return lerr_sys(err, "cannot stat '%s'", name);
	if (!S_ISREG(st.st_mode))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: not a regular file: cannot read its seek table", name);
	size = (uint64_t)st.st_size;
	if (size < 4)
		return 0;
	if (pread_all(fd, footer + 5, 4, size - 4, name, err) != 0)
		return -1;
	if (get32(footer + 5) != SEEKTABLE_FOOTER_MAGIC)
		return 0;
	if (size < SEEKTABLE_HEADER_SIZE + SEEKTABLE_FOOTER_SIZE)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: seek table truncated (the file has %llu bytes)", name,
				(unsigned long long)size);
	if (pread_all(fd, footer, sizeof(footer), size - sizeof(footer), name, err) != 0)
		return -1;
	if (parse_footer(footer, size - sizeof(footer), &count, &has_checksums, err) != 0)
		return lerr_prefix(err, "%s", name);
	table_size = seektable_size(count, has_checksums);
	if (table_size > size)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: the seek table footer at offset %llu lists %lu frames (%llu bytes), more than "
				"the file holds: truncated or damaged",
				name, (unsigned long long)(size - sizeof(footer)), (unsigned long)count,
				(unsigned long long)table_size);
	if (table_size > SEEKTABLE_READ_MAX)
		return lerr_set(err, LADING_ERR_LIMIT,
				"%s: the seek table is %llu bytes, more than the %u lading reads", name,
				(unsigned long long)table_size, SEEKTABLE_READ_MAX);
	start = size - table_size;
	table = xmalloc((size_t)table_size);
	if (pread_all(fd, table, (size_t)table_size, start, name, err) != 0)
		goto out;
	if (seektable_parse(table, (size_t)table_size, start, t, err) != 0) {
		lerr_prefix(err, "%s", name);
		goto out;
	}
	if (t->compressed_total != start) {
		lerr_set(err, LADING_ERR_FORMAT,
			 "%s: the seek table at offset %llu lists %llu bytes of frames before it: it lies about "
			 "offsets",
			 name, (unsigned long long)start, (unsigned long long)t->compressed_total);
		seektable_free(t);
		goto out;
	}
	r = 1;
out:
	free(table);
	return r;
}

int seektable_read_at(int fd, const char *name, uint64_t offset, uint64_t available, uint64_t max_frames,
		      struct seektable *t, struct lerr *err)
{
	unsigned char header[SEEKTABLE_HEADER_SIZE];
	unsigned char *table;
	uint64_t len;
	int r;

	if (available < SEEKTABLE_HEADER_SIZE)
		return 0;
	if (pread_all(fd, header, sizeof(header), offset, name, err) != 0)
		return -1;
	if (get32(header) != SEEKTABLE_MAGIC)
		return 0;
	len = (uint64_t)get32(header + 4) + SEEKTABLE_HEADER_SIZE;
	if (len > available)
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: the seek table at offset %llu says it is %llu bytes, the file has %llu from "
				"there: truncated",
				name, (unsigned long long)offset, (unsigned long long)len,
				(unsigned long long)available);
	if (max_frames > SEEKTABLE_MAX_FRAMES || len > seektable_size(max_frames, 1))
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: the seek table at offset %llu is %llu bytes, more than the %llu frames before it "
				"need",
				name, (unsigned long long)offset, (unsigned long long)len,
				(unsigned long long)max_frames);
	table = xmalloc((size_t)len);
	r = pread_all(fd, table, (size_t)len, offset, name, err);
	if (r == 0 && (r = seektable_parse(table, (size_t)len, offset, t, err)) != 0)
		lerr_prefix(err, "%s", name);
	free(table);
	return r == 0 ? 1 : -1;
}

void seektable_append(struct buf *out, const struct seektable_frame *frames, size_t count, int has_checksums)
{
	unsigned char word[12];
	size_t i;

	put32(word, SEEKTABLE_MAGIC);
	put32(word + 4, (uint32_t)(seektable_size(count, has_checksums) - SEEKTABLE_HEADER_SIZE));
	buf_add(out, word, 8, NULL);
	for (i = 0; i < count; i++) {
		put32(word, frames[i].compressed);
		put32(word + 4, frames[i].decompressed);
		put32(word + 8, frames[i].checksum);
		buf_add(out, word, ENTRY_SIZE(has_checksums), NULL);
	}
	put32(word, (uint32_t)count);
	word[4] = has_checksums ? SEEKTABLE_CHECKSUM_FLAG : 0;
	put32(word + 5, SEEKTABLE_FOOTER_MAGIC);
	buf_add(out, word, SEEKTABLE_FOOTER_SIZE, NULL);
}

void seektable_free(struct seektable *t)
{
	if (t == NULL)
		return;
	free(t->frames);
	memset(t, 0, sizeof(*t));
}
