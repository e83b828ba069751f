/*
 * bundle/push_source.c: an entry of a format 2 bundle read through the view
 * for an upload, in the pieces curl asks for; forward across chunks, started
 * again at another offset (a blob restarted after a broken connection), and
 * the view's error when a chunk does not verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/view.h"
#include "bundle/format/writer.h"
#include "bundle/push_source.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define ENTRY "oci/blobs/sha256/"
#define SIZE (10 * 1024 * 1024 + 12345) /* three chunks, the last short */

struct fixture {
	char dir[64];
	char *path;
	char *data; /* the entry's bytes */
	char entry[sizeof(ENTRY) + SHA256_HEX_LEN];
	struct bundle_view *view;
	const struct bundle_entry *e;
};

/* Writes a format 2 bundle holding one blob of SIZE pseudo-random bytes and opens its view. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct bundle_manifest m = {0};
	struct bundle_write_opts opts = {0};
	char hex[SHA256_HEX_LEN + 1];
	struct bundle_entry *e;
	struct lerr err;
	uint64_t x = 88172645463325252ull;
	size_t i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-pushsrc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/site.tar.zst", f->dir);
	f->data = xmalloc(SIZE);
	for (i = 0; i < SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f->data[i] = (char)(x >> 32);
	}
	sha256_hex(f->data, SIZE, hex);
	snprintf(f->entry, sizeof(f->entry), "%s%s", ENTRY, hex);
	m.format = BUNDLE_FORMAT_VERSION;
	m.name = xstrdup("unit");
	m.created = 1795338000;
	m.tool = xstrdup("lading test");
	m.spec = xstrdup("name: unit\n");
	e = bundle_manifest_add_entry(&m, f->entry, SIZE, hex, BUNDLE_KIND_OCI_BLOB, NULL);
	bundle_entry_set_data(e, f->data, SIZE);
	assert_int_equal(bundle_manifest_sort(&m, &err), 0);
	if (bundle_write(f->path, &m, &opts, &err) != 0)
		fail_msg("%s", err.msg);
	bundle_manifest_free(&m);
	if (bundle_view_open(f->path, NULL, NULL, &f->view, &err) != 1)
		fail_msg("view: %s", err.msg);
	assert_non_null(f->e = bundle_view_find(f->view, f->entry));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bundle_view_close(f->view);
	fs_remove_tree(f->dir, NULL);
	free(f->data);
	free(f->path);
	free(f);
	return 0;
}

/* Reads [from, to) in pieces of at most piece bytes, as curl would, and compares. */
static void read_span(struct push_stream *s, const struct fixture *f, uint64_t from, uint64_t to, size_t piece)
{
	char *buf = xmalloc(piece);
	struct lerr err;

	while (from < to) {
		size_t want = to - from < piece ? (size_t)(to - from) : piece;
		long got = push_stream_read(s, from, buf, want, &err);

		if (got <= 0)
			fail_msg("read at %llu: %s", (unsigned long long)from, err.msg);
		assert_true((size_t)got <= want);
		assert_memory_equal(buf, f->data + from, (size_t)got);
		from += (uint64_t)got;
	}
	free(buf);
}

static void reads_forward_across_chunks(void **state)
{
	struct fixture *f = *state;
	struct push_stream *s = push_stream_new(f->view, f->e);

	read_span(s, f, 0, SIZE, 65536);
	push_stream_free(s);
}

static void starts_again_at_any_offset(void **state)
{
	struct fixture *f = *state;
	struct push_stream *s = push_stream_new(f->view, f->e);

	/* A PATCH of 3 MiB, then a restart from 0 mid-way, then one inside chunk 1, then the end. */
	read_span(s, f, 0, 3 << 20, 100000);
	read_span(s, f, 0, 5 << 20, 1 << 20);
	read_span(s, f, (5 << 20) + 7, 9 << 20, 4096);
	read_span(s, f, SIZE - 10, SIZE, 3);
	push_stream_free(s);
}

static void stops_early_and_refuses_past_the_end(void **state)
{
	struct fixture *f = *state;
	struct push_stream *s = push_stream_new(f->view, f->e);
	struct lerr err;
	char c;

	read_span(s, f, 0, 100, 100);
	assert_int_equal(push_stream_read(s, SIZE, &c, 1, &err), -1);
	assert_non_null(strstr(err.msg, f->entry));
	/* Freed while the thread waits with a chunk not yet taken. */
	read_span(s, f, 200, 300, 100);
	push_stream_free(s);
}

static void a_chunk_that_does_not_verify_fails_the_read(void **state)
{
	struct fixture *f = *state;
	struct bundle_entry *e = (struct bundle_entry *)f->e;
	struct push_stream *s;
	struct lerr err;
	char buf[4096];
	long got;

	/* A chaining value that lies stands for a damaged chunk 1: chunk 0 is handed out, chunk 1 is not. */
	assert_true(e->chunk_count >= 2);
	e->chunks[BUNDLE_CHUNK_HASH_LEN] ^= 1;
	s = push_stream_new(f->view, e);
	read_span(s, f, 0, BUNDLE_CHUNK_SIZE, 65536);
	lerr_clear(&err);
	got = push_stream_read(s, BUNDLE_CHUNK_SIZE, buf, sizeof(buf), &err);
	e->chunks[BUNDLE_CHUNK_HASH_LEN] ^= 1;
	assert_int_equal(got, -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, f->entry));
	assert_non_null(strstr(err.msg, "chunk"));
	push_stream_free(s);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(reads_forward_across_chunks),
	    T(starts_again_at_any_offset),
	    T(stops_early_and_refuses_past_the_end),
	    T(a_chunk_that_does_not_verify_fails_the_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
