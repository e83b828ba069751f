#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/seektable.h"
#include "bundle/format/xxh64.h"
#include "lib/buf.h"

static const struct seektable_frame FRAMES[3] = {
    {601, 2560, 0x11223344u},
    {4194921, 4194816, 0xdeadbeefu},
    {99311, 1290752, 0x01020304u},
};
#define DATA_BYTES (601u + 4194921u + 99311u)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void build(struct buf *b, int checksums)
{
	buf_init(b, 0);
	seektable_append(b, FRAMES, 3, checksums);
}

/* Parses b and expects an error holding what (or success when what is NULL). */
static void expect_parse(const struct buf *b, const char *what)
{
	struct seektable t;
	struct lerr err;
	int r;

	memset(&t, 0, sizeof(t));
	r = seektable_parse(b->data, b->len, 1000, &t, &err);
	if (what == NULL) {
		assert_int_equal(r, 0);
		seektable_free(&t);
		return;
	}
	assert_int_equal(r, -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	if (strstr(err.msg, what) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, what);
	assert_null(strchr(err.msg, '\n'));
}

static void good_table_round_trips(void **state)
{
	struct seektable t;
	struct buf b;
	struct lerr err;
	int checksums;

	(void)state;
	for (checksums = 0; checksums <= 1; checksums++) {
		build(&b, checksums);
		assert_int_equal(b.len, seektable_size(3, checksums));
		assert_int_equal(seektable_parse(b.data, b.len, DATA_BYTES, &t, &err), 0);
		assert_int_equal(t.count, 3);
		assert_int_equal(t.has_checksums, checksums);
		assert_int_equal(t.compressed_total, DATA_BYTES);
		assert_int_equal(t.decompressed_total, 2560u + 4194816u + 1290752u);
		assert_int_equal(t.frames[1].compressed, 4194921u);
		assert_int_equal(t.frames[2].checksum, checksums ? 0x01020304u : 0);
		seektable_free(&t);
		buf_free(&b);
	}
	/* An empty table (no frames) is well formed. */
	buf_init(&b, 0);
	seektable_append(&b, NULL, 0, 1);
	assert_int_equal(b.len, 17);
	expect_parse(&b, NULL);
	buf_free(&b);
}

static void truncated_tables_are_refused(void **state)
{
	struct buf b;
	size_t cut;

	(void)state;
	build(&b, 1);
	for (cut = 0; cut < b.len; cut++) {
		struct buf part = {b.data, cut, 0, 0};

		expect_parse(&part, cut < 17 ? "truncated" : "frame size says");
	}
	/* Cut at the front: no magic where the table starts. */
	{
		struct buf tail = {b.data + 1, b.len - 1, 0, 0};

		expect_parse(&tail, "magic");
	}
	buf_free(&b);
}

static void wrong_counts_and_magics_are_refused(void **state)
{
	struct buf b;
	unsigned char *p;

	(void)state;
	build(&b, 1);
	p = (unsigned char *)b.data;
	put32(p + b.len - 9, 2); /* footer says 2 frames, 3 are there */
	expect_parse(&b, "2 frames need");
	put32(p + b.len - 9, 4);
	expect_parse(&b, "4 frames need");
	put32(p + b.len - 9, 3);
	p[b.len - 5] = 0x00; /* checksum flag off: entries would be 8 bytes */
	expect_parse(&b, "3 frames need");
	p[b.len - 5] = 0x80;
	p[b.len - 1] ^= 0xff;
	expect_parse(&b, "no seekable magic");
	p[b.len - 1] ^= 0xff;
	p[0] ^= 1;
	expect_parse(&b, "magic 0x184d2a5f");
	p[0] ^= 1;
	expect_parse(&b, NULL);
	buf_free(&b);
}

static void reserved_bits_are_refused(void **state)
{
	struct buf b;
	unsigned bit;

	(void)state;
	build(&b, 1);
	for (bit = 0; bit < 7; bit++) {
		b.data[b.len - 5] = (char)(0x80 | 1u << bit);
		expect_parse(&b, "reserved descriptor bits");
	}
	buf_free(&b);
}

static void overflowing_sizes_are_refused(void **state)
{
	struct buf b;
	unsigned char *p;

	(void)state;
	build(&b, 1);
	p = (unsigned char *)b.data;
	/* A count past the format's limit, and one whose size would wrap 32 bits. */
	put32(p + b.len - 9, 0xffffffffu);
	expect_parse(&b, "more than the format allows");
	put32(p + b.len - 9, 0x7ffffffu);
	expect_parse(&b, "frames need");
	put32(p + b.len - 9, 3);
	/* Frame_Size that would wrap when 8 is added in 32 bits. */
	put32(p + 4, 0xfffffffcu);
	expect_parse(&b, "frame size says 4294967300 bytes");
	put32(p + 4, (uint32_t)(b.len - 8));
	/* A frame holding more than 1 GiB, and one smaller than any frame. */
	put32(p + 8 + 12 + 4, (1u << 30) + 1);
	expect_parse(&b, "impossible sizes");
	put32(p + 8 + 12 + 4, 4194816u);
	put32(p + 8 + 12, 7);
	expect_parse(&b, "impossible sizes");
	put32(p + 8 + 12, 0xffffffffu);
	expect_parse(&b, NULL);
	buf_free(&b);
}

/* Writes data frames of DATA_BYTES (zeros: read_fd only adds sizes) then table to a temp file. */
static int temp_bundle(const struct buf *table, uint64_t data_bytes)
{
	char path[] = "/tmp/test_seektable.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)data_bytes), 0);
	assert_int_equal(pwrite(fd, table->data, table->len, (off_t)data_bytes), (ssize_t)table->len);
	return fd;
}

static void read_fd_checks_offsets(void **state)
{
	struct seektable t;
	struct buf b;
	struct lerr err;
	int fd;

	(void)state;
	build(&b, 1);
	fd = temp_bundle(&b, DATA_BYTES);
	assert_int_equal(seektable_read_fd(fd, "x.tar.zst", &t, &err), 1);
	assert_int_equal(t.count, 3);
	seektable_free(&t);
	close(fd);

	/* The frames add up to more, then to less, than what precedes the table. */
	fd = temp_bundle(&b, DATA_BYTES - 1);
	assert_int_equal(seektable_read_fd(fd, "x.tar.zst", &t, &err), -1);
	assert_non_null(strstr(err.msg, "lies about offsets"));
	close(fd);
	fd = temp_bundle(&b, DATA_BYTES + 4096);
	assert_int_equal(seektable_read_fd(fd, "x.tar.zst", &t, &err), -1);
	assert_non_null(strstr(err.msg, "lies about offsets"));
	close(fd);

	/* A footer counting more frames than the file could hold. */
	put32((unsigned char *)b.data + b.len - 9, 0x7ffffffu);
	fd = temp_bundle(&b, 0);
	assert_int_equal(seektable_read_fd(fd, "x.tar.zst", &t, &err), -1);
	assert_non_null(strstr(err.msg, "more than the file holds"));
	close(fd);
	buf_free(&b);
}

static void read_fd_without_table_and_read_at(void **state)
{
	struct seektable t;
	struct buf b;
	struct lerr err;
	int fd;

	(void)state;
	buf_init(&b, 0);
	buf_add(&b, "not a table at all", 18, NULL);
	fd = temp_bundle(&b, 100);
	assert_int_equal(seektable_read_fd(fd, "x.tar.zst", &t, &err), 0);
	assert_int_equal(seektable_read_at(fd, "x.tar.zst", 100, 18, 3, &t, &err), 0);
	close(fd);
	buf_free(&b);

	build(&b, 1);
	fd = temp_bundle(&b, 100);
	assert_int_equal(seektable_read_at(fd, "x.tar.zst", 100, b.len, 3, &t, &err), 1);
	assert_int_equal(t.count, 3);
	seektable_free(&t);
	/* Fewer bytes left than the header says: truncated, nothing read past them. */
	assert_int_equal(seektable_read_at(fd, "x.tar.zst", 100, b.len - 1, 3, &t, &err), -1);
	assert_non_null(strstr(err.msg, "truncated"));
	/* More table than the frames read need. */
	assert_int_equal(seektable_read_at(fd, "x.tar.zst", 100, b.len, 2, &t, &err), -1);
	assert_non_null(strstr(err.msg, "more than the 2 frames"));
	close(fd);
	buf_free(&b);
}

static void xxh64_matches_reference_values(void **state)
{
	unsigned char data[100003];
	struct xxh64 h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	xxh64_init(&h, 0);
	assert_true(xxh64_digest(&h) == 0xEF46DB3751D8E999ull);
	/* Values from libxxhash 0.8.1's XXH64 over the same bytes. */
	xxh64_update(&h, data, 100);
	assert_true(xxh64_digest(&h) == 0x9ddada11d3dc2d8full);
	xxh64_init(&h, 0);
	for (i = 0; i < sizeof(data); i += 5)
		xxh64_update(&h, data + i, sizeof(data) - i < 5 ? sizeof(data) - i : 5);
	assert_true(xxh64_digest(&h) == 0xb50ad3cd166fe52bull);
	xxh64_init(&h, 0);
	xxh64_update(&h, data, 31);
	assert_true(xxh64_digest(&h) == 0x6711d55e306b5d8full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_table_round_trips),
	    cmocka_unit_test(truncated_tables_are_refused),
	    cmocka_unit_test(wrong_counts_and_magics_are_refused),
	    cmocka_unit_test(reserved_bits_are_refused),
	    cmocka_unit_test(overflowing_sizes_are_refused),
	    cmocka_unit_test(read_fd_checks_offsets),
	    cmocka_unit_test(read_fd_without_table_and_read_at),
	    cmocka_unit_test(xxh64_matches_reference_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
