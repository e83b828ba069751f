/*
 * Chunk hashes (bundle/format/chunks.c): sha256 chaining values recorded and
 * checked every 4 MiB, the pure map from an entry's byte range to frames and
 * chunks, and reading one verified range of an entry from a real bundle
 * through its seek table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/chunks.h"
#include "bundle/format/reader.h"
#include "bundle/format/writer.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"

#define MiB (1u << 20)
#define BIG_SIZE (10 * MiB + 100)

static unsigned char *pseudo_random(size_t len, uint32_t seed)
{
	unsigned char *p = xmalloc(len);
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
	return p;
}

static void chunk_count_is_one_per_full_chunk_but_the_last(void **state)
{
	(void)state;
	assert_int_equal(bundle_chunk_count(0), 0);
	assert_int_equal(bundle_chunk_count(4 * MiB), 0);
	assert_int_equal(bundle_chunk_count(4 * MiB + 1), 1);
	assert_int_equal(bundle_chunk_count(8 * MiB), 1);
	assert_int_equal(bundle_chunk_count(8 * MiB + 1), 2);
	assert_true(bundle_chunk_count(300ull << 30) == 76799);
}

/* Records e's chaining values over data; its final hash must be data's sha256. */
static void record(struct bundle_entry *e, const unsigned char *data)
{
	struct bundle_chunker *c = bundle_chunker_new();
	char hex[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
	struct lerr err;

	e->chunk_count = (size_t)bundle_chunk_count(e->size);
	e->chunks = xmalloc(e->chunk_count * BUNDLE_CHUNK_HASH_LEN + 1);
	assert_int_equal(bundle_chunker_start(c, e, 0, e->chunks, &err), 0);
	/* In odd pieces, so boundaries fall inside updates. */
	assert_int_equal(bundle_chunker_update(c, data, 1000003, &err), 0);
	assert_int_equal(bundle_chunker_update(c, data + 1000003, e->size - 1000003, &err), 0);
	bundle_chunker_final_hex(c, hex);
	sha256_hex(data, e->size, want);
	assert_string_equal(hex, want);
	memcpy(e->sha256, want, sizeof(want));
	bundle_chunker_free(c);
}

static void chunker_resumes_from_a_value_and_catches_a_changed_chunk(void **state)
{
	unsigned char *data = pseudo_random(BIG_SIZE, 7);
	struct bundle_entry e;
	struct bundle_chunker *c = bundle_chunker_new();
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.path = "files/big.bin";
	e.size = BIG_SIZE;
	record(&e, data);
	assert_int_equal(e.chunk_count, 2);
	/* From value 0, chunks 1 and 2 finish to the whole sha256. */
	assert_int_equal(bundle_chunker_start(c, &e, 4 * MiB, NULL, &err), 0);
	assert_int_equal(bundle_chunker_update(c, data + 4 * MiB, BIG_SIZE - 4 * MiB, &err), 0);
	bundle_chunker_final_hex(c, hex);
	assert_string_equal(hex, e.sha256);
	/* Not a boundary, or past the values: refused. */
	assert_int_equal(bundle_chunker_start(c, &e, 4 * MiB + 1, NULL, &err), -1);
	assert_int_equal(bundle_chunker_start(c, &e, 12 * MiB, NULL, &err), -1);
	/* One bit of chunk 1 changed: the check at its end names it. */
	data[4 * MiB + 99] ^= 1;
	assert_int_equal(bundle_chunker_start(c, &e, 0, NULL, &err), 0);
	assert_int_equal(bundle_chunker_update(c, data, 4 * MiB, &err), 0);
	assert_int_equal(bundle_chunker_update(c, data + 4 * MiB, 4 * MiB, &err), -1);
	assert_non_null(
	    strstr(err.msg, "files/big.bin: sha256 mismatch in chunk 1 (bytes 4194304 to 8388608) against"));
	free(e.chunks);
	free(data);
	bundle_chunker_free(c);
}

/* The writer's frames for an entry of BIG_SIZE at offset 0: head, then every 4 MiB of its data. */
static void big_entry_table(struct seektable *t, struct seektable_frame *frames, struct bundle_entry *e)
{
	static const uint32_t sizes[] = {4096, 512 + 4 * MiB, 4 * MiB, 2 * MiB + 100 + 412 + 1024};
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 4; i++) {
		frames[i].decompressed = sizes[i];
		frames[i].compressed = 100 * (uint32_t)(i + 1);
	}
	t->frames = frames;
	t->count = 4;
	memset(e, 0, sizeof(*e));
	e->path = "files/big.bin";
	e->size = BIG_SIZE;
	e->has_layout = 1;
	e->offset = 0;
	e->data_offset = 512;
}

static void range_plan_names_the_frames_and_chunks(void **state)
{
	struct seektable_frame frames[4];
	struct seektable t;
	struct bundle_entry e;
	struct bundle_range_plan p;
	struct lerr err;

	(void)state;
	big_entry_table(&t, frames, &e);
	/* 20 bytes across the first chunk boundary: chunks 0 and 1, frames 1 and 2. */
	assert_int_equal(bundle_range_plan(&e, &t, 4 * MiB - 10, 20, &p, &err), 0);
	assert_int_equal(p.first_chunk, 0);
	assert_int_equal(p.chunk_end, 2);
	assert_int_equal(p.tar_start, 4096 + 512);
	assert_int_equal(p.tar_end, 4096 + 512 + 8 * MiB);
	assert_int_equal(p.first_frame, 1);
	assert_int_equal(p.frame_end, 3);
	assert_int_equal(p.file_offset, 100);
	assert_int_equal(p.frame_tar_start, 4096);
	/* The last 100 bytes: chunk 2 alone, frame 3 alone, after 600 compressed bytes. */
	assert_int_equal(bundle_range_plan(&e, &t, 10 * MiB, 100, &p, &err), 0);
	assert_int_equal(p.first_chunk, 2);
	assert_int_equal(p.chunk_end, 3);
	assert_int_equal(p.tar_end, 4096 + 512 + BIG_SIZE);
	assert_int_equal(p.first_frame, 3);
	assert_int_equal(p.frame_end, 4);
	assert_int_equal(p.file_offset, 600);
	/* One byte in the middle chunk. */
	assert_int_equal(bundle_range_plan(&e, &t, 5 * MiB, 1, &p, &err), 0);
	assert_int_equal(p.first_chunk, 1);
	assert_int_equal(p.chunk_end, 2);
	assert_int_equal(p.first_frame, 2);
	assert_int_equal(p.frame_end, 3);
	/* Refused: empty, past the end, overflowing, a table that stops short, no offsets. */
	assert_int_equal(bundle_range_plan(&e, &t, 0, 0, &p, &err), -1);
	assert_int_equal(bundle_range_plan(&e, &t, BIG_SIZE, 1, &p, &err), -1);
	assert_int_equal(bundle_range_plan(&e, &t, 1, UINT64_MAX, &p, &err), -1);
	assert_non_null(strstr(err.msg, "outside its"));
	t.count = 3;
	assert_int_equal(bundle_range_plan(&e, &t, 10 * MiB, 100, &p, &err), -1);
	assert_non_null(strstr(err.msg, "the seek table ends"));
	t.count = 4;
	e.has_layout = 0;
	assert_int_equal(bundle_range_plan(&e, &t, 0, 1, &p, &err), -1);
	assert_non_null(strstr(err.msg, "lists no offsets"));
}

#define VALUE "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* lading.json with one 9 MiB entry whose layout fields are fields (a JSON fragment). */
static int parse_layout_of(const char *fields, uint64_t size, struct bundle_manifest *m, struct lerr *err)
{
	char *json = xasprintf("{\"format\":2,\"name\":\"n\",\"created\":\"2026-11-23T09:00:00Z\",\"tool\":\"t\","
			       "\"images\":[],\"entries\":[{\"path\":\"files/a\",\"size\":%llu,\"sha256\":\"%s\","
			       "\"kind\":\"file\"%s%s}]}",
			       (unsigned long long)size, VALUE, fields[0] ? "," : "", fields);
	int rc;

	memset(m, 0, sizeof(*m));
	lerr_clear(err);
	rc = bundle_manifest_parse(json, strlen(json), m, err);
	free(json);
	return rc;
}

static void manifest_layout_fields_parse_and_are_checked(void **state)
{
	static const struct {
		const char *fields;
		uint64_t size;
		const char *error;
	} bad[] = {
	    {"\"offset\":0,\"data_offset\":512,\"chunks\":[\"" VALUE "\"]", 9 * MiB, "'chunks' must list 2 values"},
	    {"\"offset\":0,\"data_offset\":512", 9 * MiB, "'chunks' must list 2 values"},
	    {"\"offset\":0,\"data_offset\":512,\"chunks\":[\"" VALUE "\"]", 10, "'chunks' must list 0 values"},
	    {"\"offset\":0,\"data_offset\":512,\"chunks\":[\"" VALUE "\",\"00\"]", 9 * MiB, "chunks[1] is not 64"},
	    {"\"offset\":0,\"data_offset\":512,\"chunks\":[\"" VALUE
	     "\",\"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\"]",
	     9 * MiB, "chunks[1] is not 64"},
	    {"\"offset\":0,\"data_offset\":512,\"chunks\":[\"" VALUE "\",7]", 9 * MiB, "chunks[1] is not 64"},
	    {"\"offset\":100,\"data_offset\":512", 10, "are not a tar header's"},
	    {"\"offset\":512,\"data_offset\":512", 10, "are not a tar header's"},
	    {"\"offset\":-512,\"data_offset\":512", 10, "'offset' must be a non-negative integer"},
	    {"\"data_offset\":512", 10, "'offset' must be a non-negative integer"},
	    {"\"chunks\":[]", 10, "'offset' must be a non-negative integer"},
	};
	struct bundle_manifest m, back;
	struct lerr err;
	char *json = NULL;
	size_t i, len;

	(void)state;
	assert_int_equal(parse_layout_of("\"offset\":0,\"data_offset\":1536,\"chunks\":[\"" VALUE "\",\"" VALUE "\"]",
					 9 * MiB, &m, &err),
			 0);
	assert_true(m.entries[0].has_layout);
	assert_int_equal(m.entries[0].data_offset, 1536);
	assert_int_equal(m.entries[0].chunk_count, 2);
	assert_int_equal(m.entries[0].chunks[BUNDLE_CHUNK_HASH_LEN + 1], 0x11);
	assert_int_equal(m.entries[0].chunks[BUNDLE_CHUNK_HASH_LEN + 15], 0xff);
	/* Written back and parsed again: the same values. */
	assert_int_equal(bundle_manifest_to_json(&m, &json, &len, &err), 0);
	assert_int_equal(bundle_manifest_parse(json, len, &back, &err), 0);
	assert_memory_equal(back.entries[0].chunks, m.entries[0].chunks, 2 * BUNDLE_CHUNK_HASH_LEN);
	bundle_manifest_free(&back);
	bundle_manifest_free(&m);
	free(json);
	/* No layout at all (an older bundle): accepted, nothing listed. */
	assert_int_equal(parse_layout_of("", 9 * MiB, &m, &err), 0);
	assert_false(m.entries[0].has_layout);
	bundle_manifest_free(&m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_layout_of(bad[i].fields, bad[i].size, &m, &err) == 0)
			fail_msg("case %zu parsed", i);
		if (strstr(err.msg, bad[i].error) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].error);
	}
}

struct fixture {
	char dir[64];
	char *path;
	unsigned char *big;
	unsigned char *small;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct bundle_manifest m;
	struct bundle_write_opts opts;
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-chunks.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/b.tar.zst", f->dir);
	f->big = pseudo_random(BIG_SIZE, 11);
	f->small = pseudo_random(3000, 12);
	memset(&m, 0, sizeof(m));
	m.format = BUNDLE_FORMAT_VERSION;
	m.name = xstrdup("chunks");
	m.tool = xstrdup("lading test");
	m.created = 1795338000;
	sha256_hex(f->small, 3000, hex);
	bundle_entry_set_data(bundle_manifest_add_entry(&m, "files/a.txt", 3000, hex, "file", NULL), f->small, 3000);
	sha256_hex(f->big, BIG_SIZE, hex);
	bundle_entry_set_data(bundle_manifest_add_entry(&m, "files/big.bin", BIG_SIZE, hex, "file", NULL), f->big,
			      BIG_SIZE);
	memset(&opts, 0, sizeof(opts));
	if (bundle_manifest_sort(&m, &err) != 0 || bundle_write(f->path, &m, &opts, &err) != 0)
		fail_msg("%s", err.msg);
	bundle_manifest_free(&m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->path);
	free(f->big);
	free(f->small);
	free(f);
	return 0;
}

static int collect(void *ctx, const void *data, size_t len, struct lerr *err)
{
	(void)err;
	buf_add(ctx, data, len, NULL);
	return 0;
}

/* Reads [offset, offset + len) of path's entry through the seek table into out; 0 or -1 with err. */
static int read_range(const char *file, const struct bundle_entry *override, const char *path, uint64_t offset,
		      uint64_t len, struct buf *out, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	struct seektable t;
	const struct bundle_entry *e;
	int fd, rc;

	memset(&t, 0, sizeof(t));
	assert_int_equal(bundle_reader_open(&r, file, err), 0);
	e = override != NULL ? override : bundle_manifest_find(bundle_reader_manifest(r), path);
	assert_non_null(e);
	assert_true((fd = open(file, O_RDONLY)) >= 0);
	assert_int_equal(seektable_read_fd(fd, file, &t, err), 1);
	buf_reset(out);
	rc = bundle_range_read(fd, file, &t, e, offset, len, collect, out, err);
	close(fd);
	seektable_free(&t);
	bundle_reader_close(r);
	return rc;
}

static void range_read_returns_verified_bytes_across_frames(void **state)
{
	static const uint64_t ranges[][2] = {
	    {4 * MiB - 10, 20}, {0, BIG_SIZE}, {10 * MiB, 100}, {8 * MiB - 1, 2}, {5 * MiB, 1}, {0, 1},
	};
	struct fixture *f = *state;
	struct buf out = BUF_INIT(0);
	struct lerr err;
	size_t i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (read_range(f->path, NULL, "files/big.bin", ranges[i][0], ranges[i][1], &out, &err) != 0)
			fail_msg("range %zu: %s", i, err.msg);
		assert_int_equal(out.len, ranges[i][1]);
		assert_memory_equal(out.data, f->big + ranges[i][0], ranges[i][1]);
	}
	/* A small entry sharing a frame: one chunk, checked against its sha256. */
	assert_int_equal(read_range(f->path, NULL, "files/a.txt", 100, 2900, &out, &err), 0);
	assert_memory_equal(out.data, f->small + 100, 2900);
	buf_free(&out);
}

static void range_read_refuses_a_chunk_that_disagrees(void **state)
{
	struct fixture *f = *state;
	struct bundle_reader *r = NULL;
	struct bundle_entry e;
	struct buf out = BUF_INIT(0);
	struct lerr err;

	assert_int_equal(bundle_reader_open(&r, f->path, &err), 0);
	e = *bundle_manifest_find(bundle_reader_manifest(r), "files/big.bin");
	assert_true(e.has_layout);
	assert_int_equal(e.chunk_count, 2);
	e.chunks = xmalloc(2 * BUNDLE_CHUNK_HASH_LEN);
	memcpy(e.chunks, bundle_manifest_find(bundle_reader_manifest(r), "files/big.bin")->chunks,
	       2 * BUNDLE_CHUNK_HASH_LEN);
	/* Value 1 wrong: chunk 1 is refused, and nothing of it handed out; chunk 0 and chunk 2 still read. */
	e.chunks[BUNDLE_CHUNK_HASH_LEN + 3] ^= 1;
	assert_int_equal(read_range(f->path, &e, NULL, 5 * MiB, 10, &out, &err), -1);
	assert_non_null(
	    strstr(err.msg, "files/big.bin: sha256 mismatch in chunk 1 (bytes 4194304 to 8388608) against"));
	assert_int_equal(out.len, 0);
	assert_int_equal(read_range(f->path, &e, NULL, 0, 10, &out, &err), 0);
	/* Chunk 2 resumes from value 1: with value 1 wrong, the last chunk's sha256 does not match. */
	assert_int_equal(read_range(f->path, &e, NULL, 10 * MiB, 10, &out, &err), -1);
	assert_non_null(strstr(err.msg, "sha256 mismatch in chunk 2 (bytes 8388608 to 10485860, the last) against"));
	/* A sha256 that disagrees fails a small entry's only chunk. */
	e.chunks[BUNDLE_CHUNK_HASH_LEN + 3] ^= 1;
	assert_int_equal(read_range(f->path, &e, NULL, 10 * MiB, 10, &out, &err), 0);
	e.sha256[0] = e.sha256[0] == '0' ? '1' : '0';
	assert_int_equal(read_range(f->path, &e, NULL, 10 * MiB, 10, &out, &err), -1);
	free(e.chunks);
	bundle_reader_close(r);
	buf_free(&out);
}

static void range_read_refuses_a_damaged_frame(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT(0);
	struct seektable t;
	struct lerr err;
	uint64_t at;
	char *copy = xasprintf("%s/damaged.tar.zst", f->dir);
	char *cmd = xasprintf("cp '%s' '%s'", f->path, copy);
	unsigned char byte;
	int fd;

	assert_int_equal(system(cmd), 0);
	assert_true((fd = open(copy, O_RDWR)) >= 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(seektable_read_fd(fd, copy, &t, &err), 1);
	/*
	 * The writer's frames: the head; files/ and a.txt; big.bin's header and data [0, 4 MiB);
	 * [4 MiB, 8 MiB); the rest. Damage the middle of the fourth.
	 */
	assert_int_equal(t.count, 5);
	at = t.frames[0].compressed + t.frames[1].compressed + t.frames[2].compressed + t.frames[3].compressed / 2;
	assert_int_equal(pread(fd, &byte, 1, (off_t)at), 1);
	byte ^= 0xff;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)at), 1);
	close(fd);
	seektable_free(&t);
	assert_int_equal(read_range(copy, NULL, "files/big.bin", 5 * MiB, 10, &out, &err), -1);
	assert_int_equal(out.len, 0);
	print_message("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, copy));
	/* Ranges in other frames are unaffected. */
	assert_int_equal(read_range(copy, NULL, "files/big.bin", 9 * MiB, 10, &out, &err), 0);
	assert_memory_equal(out.data, f->big + 9 * MiB, 10);
	buf_free(&out);
	free(cmd);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(chunk_count_is_one_per_full_chunk_but_the_last),
	    cmocka_unit_test(chunker_resumes_from_a_value_and_catches_a_changed_chunk),
	    cmocka_unit_test(range_plan_names_the_frames_and_chunks),
	    cmocka_unit_test(manifest_layout_fields_parse_and_are_checked),
	    cmocka_unit_test_setup_teardown(range_read_returns_verified_bytes_across_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(range_read_refuses_a_chunk_that_disagrees, setup, teardown),
	    cmocka_unit_test_setup_teardown(range_read_refuses_a_damaged_frame, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
