/*
 * bundle/format/view.c: a format 2 bundle served straight from its file: the
 * head and seek table read at open, whole small entries and ranges across
 * frame and chunk boundaries read verified, a damaged frame failing only the
 * reads that need it, older bundles sent back to extraction, and the head
 * callback (the signature check) able to refuse; and answers over HTTP from
 * an entry (serve_respond_entry): whole, Range across a chunk boundary, 416,
 * and a damaged chunk cutting only its own answer short with a log line; the
 * chunk cache shared by threads, bounded, and never keeping a damaged chunk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/seektable.h"
#include "bundle/format/writer.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/xmalloc.h"
#include "bundle/format/view.h"
#include "serve/respond_entry.h"

#define MiB (1u << 20)
#define BIG_SIZE (10 * MiB + 100)
#define INDEX_JSON "{\"schemaVersion\":2,\"manifests\":[]}"

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

struct fixture {
	char dir[64];
	char *path;
	unsigned char *big;
};

static void write_bundle(const struct fixture *f, const char *path, int format)
{
	struct bundle_manifest m;
	struct bundle_write_opts opts;
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;

	memset(&m, 0, sizeof(m));
	m.format = format;
	m.name = xstrdup("bundlefile");
	m.tool = xstrdup("lading test");
	m.created = 1795338000;
	sha256_hex(INDEX_JSON, strlen(INDEX_JSON), hex);
	bundle_entry_set_data(bundle_manifest_add_entry(&m, "oci/index.json", strlen(INDEX_JSON), hex, "oci", NULL),
			      INDEX_JSON, strlen(INDEX_JSON));
	sha256_hex(f->big, BIG_SIZE, hex);
	bundle_entry_set_data(bundle_manifest_add_entry(&m, "files/big.bin", BIG_SIZE, hex, "file", NULL), f->big,
			      BIG_SIZE);
	memset(&opts, 0, sizeof(opts));
	if (bundle_manifest_sort(&m, &err) != 0 || bundle_write(path, &m, &opts, &err) != 0)
		fail_msg("%s", err.msg);
	bundle_manifest_free(&m);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-bundlefile.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/b.tar.zst", f->dir);
	f->big = pseudo_random(BIG_SIZE, 21);
	write_bundle(f, f->path, BUNDLE_FORMAT_VERSION);
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
	free(f);
	return 0;
}

struct head_seen {
	int calls;
	size_t json_len;
	int refuse;
};

static int head(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		const struct bundle_manifest *m, struct lerr *err)
{
	struct head_seen *seen = ctx;

	(void)sig;
	(void)sig_len;
	seen->calls++;
	seen->json_len = json_len;
	assert_non_null(strstr(json, "\"files/big.bin\""));
	assert_int_equal(m->entry_count, 2);
	if (seen->refuse)
		return lerr_set(err, LADING_ERR_SIGNATURE, "refused by the test");
	return 0;
}

static int collect(void *ctx, const void *data, size_t len, struct lerr *err)
{
	return buf_add(ctx, data, len, err);
}

static struct bundle_view *open_ok(const char *path)
{
	struct bundle_view *bf = NULL;
	struct head_seen seen = {0, 0, 0};
	struct lerr err;

	if (bundle_view_open(path, head, &seen, &bf, &err) != 1)
		fail_msg("%s", err.msg);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.json_len > 0);
	return bf;
}

static void opens_and_reads_whole_entries(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf = open_ok(f->path);
	struct buf out = BUF_INIT(0);
	struct lerr err;

	assert_string_equal(bundle_view_path(bf), f->path);
	assert_int_equal(bundle_view_manifest(bf)->entry_count, 2);
	assert_null(bundle_view_find(bf, "oci/blobs/sha256/none"));
	assert_int_equal(bundle_view_read_all(bf, "oci/index.json", 1024, &out, &err), 0);
	assert_int_equal(out.len, strlen(INDEX_JSON));
	assert_memory_equal(out.data, INDEX_JSON, out.len);
	buf_reset(&out);
	assert_int_equal(bundle_view_read_all(bf, "files/big.bin", BIG_SIZE, &out, &err), 0);
	assert_int_equal(out.len, BIG_SIZE);
	assert_memory_equal(out.data, f->big, BIG_SIZE);
	buf_reset(&out);
	assert_int_equal(bundle_view_read_all(bf, "files/big.bin", BIG_SIZE - 1, &out, &err), -1);
	assert_non_null(strstr(err.msg, "more than"));
	assert_int_equal(bundle_view_read_all(bf, "files/none", 10, &out, &err), -1);
	assert_non_null(strstr(err.msg, "files/none"));
	buf_free(&out);
	bundle_view_close(bf);
}

static void reads_ranges_across_frames(void **state)
{
	static const uint64_t ranges[][2] = {
	    {0, 1},	   {4 * MiB - 10, 20}, {4 * MiB, 4 * MiB}, {3 * MiB, 6 * MiB}, {BIG_SIZE - 1, 1},
	    {0, BIG_SIZE}, {8 * MiB - 1, 2},   {5 * MiB, 0},
	};
	struct fixture *f = *state;
	struct bundle_view *bf = open_ok(f->path);
	const struct bundle_entry *e = bundle_view_find(bf, "files/big.bin");
	struct buf out = BUF_INIT(0);
	struct lerr err;
	size_t i;

	assert_non_null(e);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		buf_reset(&out);
		if (bundle_view_read_range(bf, e, ranges[i][0], ranges[i][1], collect, &out, &err) != 0)
			fail_msg("range %zu: %s", i, err.msg);
		assert_int_equal(out.len, ranges[i][1]);
		if (out.len > 0)
			assert_memory_equal(out.data, f->big + ranges[i][0], out.len);
	}
	assert_int_equal(bundle_view_read_range(bf, e, BIG_SIZE - 1, 2, collect, &out, &err), -1);
	buf_free(&out);
	bundle_view_close(bf);
}

struct reader_arg {
	const struct bundle_view *bf;
	const unsigned char *big;
	uint64_t offset;
	int ok;
};

static void *read_in_thread(void *p)
{
	struct reader_arg *a = p;
	const struct bundle_entry *e = bundle_view_find(a->bf, "files/big.bin");
	struct buf out = BUF_INIT(0);
	struct lerr err;

	a->ok = bundle_view_read_range(a->bf, e, a->offset, MiB, collect, &out, &err) == 0 && out.len == MiB &&
		memcmp(out.data, a->big + a->offset, MiB) == 0;
	buf_free(&out);
	return NULL;
}

/* Requests are answered on several threads at once: one view, no lock. */
static void reads_from_threads_at_once(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf = open_ok(f->path);
	struct reader_arg args[4];
	pthread_t threads[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		args[i] = (struct reader_arg){bf, f->big, i * 2 * MiB + 7, 0};
		assert_int_equal(pthread_create(&threads[i], NULL, read_in_thread, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_true(args[i].ok);
	}
	bundle_view_close(bf);
}

/* Flips a byte in the middle of the frame holding big.bin's data at data byte at. */
static void damage(const char *path, uint64_t at_data)
{
	struct bundle_view *bf = open_ok(path);
	const struct bundle_entry *e = bundle_view_find(bf, "files/big.bin");
	struct seektable t;
	struct lerr err;
	uint64_t tar, file_at = 0, tar_at = 0;
	unsigned char byte;
	size_t i;
	int fd;

	assert_true((fd = open(path, O_RDWR)) >= 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(seektable_read_fd(fd, path, &t, &err), 1);
	tar = t.frames[0].decompressed + e->data_offset + at_data;
	for (i = 0; i < t.count && tar_at + t.frames[i].decompressed <= tar; i++) {
		tar_at += t.frames[i].decompressed;
		file_at += t.frames[i].compressed;
	}
	assert_true(i < t.count);
	file_at += t.frames[i].compressed / 2;
	assert_int_equal(pread(fd, &byte, 1, (off_t)file_at), 1);
	byte ^= 0x55;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)file_at), 1);
	close(fd);
	seektable_free(&t);
	bundle_view_close(bf);
}

static void a_damaged_frame_fails_only_its_reads(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf;
	const struct bundle_entry *e;
	struct buf out = BUF_INIT(0);
	struct lerr err;

	damage(f->path, 5 * MiB);
	bf = open_ok(f->path);
	e = bundle_view_find(bf, "files/big.bin");
	assert_int_equal(bundle_view_read_range(bf, e, 4 * MiB + 1, 10, collect, &out, &err), -1);
	print_message("# %s\n", err.msg);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err.msg, f->path));
	/* A read that starts before the damage gets the verified chunk 0 only, then fails. */
	assert_int_equal(bundle_view_read_range(bf, e, 0, BIG_SIZE, collect, &out, &err), -1);
	assert_int_equal(out.len, 4 * MiB);
	assert_memory_equal(out.data, f->big, 4 * MiB);
	buf_reset(&out);
	assert_int_equal(bundle_view_read_range(bf, e, 9 * MiB, 10, collect, &out, &err), 0);
	assert_memory_equal(out.data, f->big + 9 * MiB, 10);
	buf_reset(&out);
	assert_int_equal(bundle_view_read_all(bf, "oci/index.json", 1024, &out, &err), 0);
	buf_free(&out);
	bundle_view_close(bf);
}

static void older_bundles_go_back_to_extraction(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf = (void *)1;
	char *v1 = xasprintf("%s/v1.tar.zst", f->dir), *flat = xasprintf("%s/flat.tar.zst", f->dir);
	char *cmd = xasprintf("zstd -q -dc '%s' | zstd -q -o '%s'", f->path, flat);
	struct lerr err;

	write_bundle(f, v1, 1);
	assert_int_equal(bundle_view_open(v1, NULL, NULL, &bf, &err), 0);
	assert_null(bf);
	assert_non_null(strstr(err.msg, "format 1"));
	/* Recompressed as one stream: lading.json still lists offsets, but there is no table to seek with. */
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bundle_view_open(flat, NULL, NULL, &bf, &err), 0);
	assert_non_null(strstr(err.msg, "no seek table"));
	free(cmd);
	free(flat);
	free(v1);
}

static void refusals_at_open(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf = NULL;
	struct head_seen seen = {0, 0, 1};
	char *cut = xasprintf("%s/cut.tar.zst", f->dir), *missing = xasprintf("%s/missing.tar.zst", f->dir);
	char *cmd = xasprintf("cp '%s' '%s'", f->path, cut);
	struct seektable t;
	struct lerr err;
	int fd;

	assert_int_equal(bundle_view_open(f->path, head, &seen, &bf, &err), -1);
	assert_null(bf);
	assert_string_equal(err.msg, "refused by the test");
	assert_int_equal(bundle_view_open(missing, NULL, NULL, &bf, &err), -1);
	/* A table that lists one frame fewer than the file holds does not add up: refused, not read past. */
	assert_int_equal(system(cmd), 0);
	assert_true((fd = open(cut, O_RDWR)) >= 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(seektable_read_fd(fd, cut, &t, &err), 1);
	{
		struct buf table = BUF_INIT(0);
		uint64_t last = t.frames[t.count - 1].compressed;

		seektable_append(&table, t.frames, t.count - 1, t.has_checksums);
		assert_int_equal(pwrite(fd, table.data, table.len, (off_t)(t.compressed_total - last)),
				 (ssize_t)table.len);
		assert_int_equal(ftruncate(fd, (off_t)(t.compressed_total - last + table.len)), 0);
		buf_free(&table);
	}
	close(fd);
	seektable_free(&t);
	assert_int_equal(bundle_view_open(cut, NULL, NULL, &bf, &err), -1);
	print_message("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "oci/index.json's data"));
	free(cmd);
	free(cut);
	free(missing);
}

/* A bare libmicrohttpd daemon answering GET /<entry path> with serve_respond_entry. */
struct http {
	struct bundle_view *bf;
	struct serve_server_opts opts;
	struct logger lg;
	struct MHD_Daemon *daemon;
	char base[64];
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct http *h = cls;
	struct serve_request req;
	const struct bundle_entry *e = bundle_view_find(h->bf, url + 1);

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	memset(&req, 0, sizeof(req));
	req.opts = &h->opts;
	req.conn = conn;
	req.method = method;
	req.path = (char *)url;
	req.head = strcmp(method, "HEAD") == 0;
	if (e == NULL)
		return serve_respond_text(&req, MHD_HTTP_NOT_FOUND, "text/plain", "no\n", 3);
	if (strcmp(url, "/oci/index.json") == 0) {
		/* The way the catalog and trees answer: through a serve_blob. */
		struct serve_blob b = {-1, h->bf, e, e->size};

		return serve_respond_blob(&req, &b, "application/json", NULL);
	}
	return serve_respond_entry(&req, h->bf, e, "application/octet-stream", "sha256:test");
}

static void http_start(struct http *h, const char *path)
{
	const union MHD_DaemonInfo *info;

	memset(h, 0, sizeof(*h));
	h->bf = open_ok(path);
	h->lg.out = tmpfile();
	assert_non_null(h->lg.out);
	h->lg.level = LOG_WARN;
	h->opts.lg = &h->lg;
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
				     answer, h, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	assert_non_null(h->daemon);
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	snprintf(h->base, sizeof(h->base), "http://127.0.0.1:%u", (unsigned)info->port);
}

static void http_stop(struct http *h)
{
	MHD_stop_daemon(h->daemon);
	fclose(h->lg.out);
	bundle_view_close(h->bf);
}

static size_t curl_collect(char *data, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, data, size * n, NULL) == 0 ? size * n : 0;
}

/* GETs path (with range when not NULL); returns curl's code, *status and the body in out. */
static CURLcode http_get(const struct http *h, const char *path, const char *range, long *status, struct buf *out)
{
	CURL *curl = curl_easy_init();
	char *url = xasprintf("%s/%s", h->base, path);
	CURLcode code;

	buf_reset(out);
	*status = 0;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	if (range != NULL)
		curl_easy_setopt(curl, CURLOPT_RANGE, range);
	code = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(curl);
	free(url);
	return code;
}

static void answers_whole_entries_and_ranges_over_http(void **state)
{
	struct fixture *f = *state;
	struct http h;
	struct buf out = BUF_INIT(0);
	long status;

	http_start(&h, f->path);
	assert_int_equal(http_get(&h, "files/big.bin", NULL, &status, &out), CURLE_OK);
	assert_int_equal(status, 200);
	assert_int_equal(out.len, BIG_SIZE);
	assert_memory_equal(out.data, f->big, BIG_SIZE);
	/* bytes 4194000-4194999: across the first chunk (and frame) boundary */
	assert_int_equal(http_get(&h, "files/big.bin", "4194000-4194999", &status, &out), CURLE_OK);
	assert_int_equal(status, 206);
	assert_int_equal(out.len, 1000);
	assert_memory_equal(out.data, f->big + 4194000, 1000);
	assert_int_equal(http_get(&h, "files/big.bin", "3000000-9000000", &status, &out), CURLE_OK);
	assert_int_equal(out.len, 6000001);
	assert_memory_equal(out.data, f->big + 3000000, 6000001);
	assert_int_equal(http_get(&h, "files/big.bin", "20000000-", &status, &out), CURLE_OK);
	assert_int_equal(status, 416);
	assert_int_equal(http_get(&h, "oci/index.json", NULL, &status, &out), CURLE_OK);
	assert_int_equal(out.len, strlen(INDEX_JSON));
	assert_memory_equal(out.data, INDEX_JSON, out.len);
	buf_free(&out);
	http_stop(&h);
}

static void a_damaged_chunk_cuts_only_its_answer_short(void **state)
{
	struct fixture *f = *state;
	struct http h;
	struct buf out = BUF_INIT(0);
	char line[512];
	long status;

	damage(f->path, 5 * MiB);
	http_start(&h, f->path);
	assert_int_not_equal(http_get(&h, "files/big.bin", NULL, &status, &out), CURLE_OK);
	/* What was sent is the verified chunk 0 and never a byte of the damaged chunk. */
	assert_true(out.len <= 4 * MiB);
	assert_memory_equal(out.data, f->big, out.len);
	assert_int_not_equal(http_get(&h, "files/big.bin", "5000000-5000099", &status, &out), CURLE_OK);
	assert_int_equal(out.len, 0);
	assert_int_equal(http_get(&h, "files/big.bin", "9000000-9000099", &status, &out), CURLE_OK);
	assert_int_equal(status, 206);
	assert_memory_equal(out.data, f->big + 9000000, 100);
	assert_int_equal(http_get(&h, "oci/index.json", NULL, &status, &out), CURLE_OK);
	rewind(h.lg.out);
	assert_non_null(fgets(line, sizeof(line), h.lg.out));
	print_message("# %s", line);
	assert_non_null(strstr(line, "files/big.bin: sha256 mismatch in chunk 1"));
	assert_non_null(strstr(line, "this request fails"));
	buf_free(&out);
	http_stop(&h);
}

struct cache_arg {
	const struct bundle_view *bf;
	const unsigned char *big;
	uint32_t seed;
	int ok;
};

/* 200 reads of 64 KiB at pseudo-random places of big.bin, each checked against what was written. */
static void *cache_reads(void *p)
{
	struct cache_arg *a = p;
	const struct bundle_entry *e = bundle_view_find(a->bf, "files/big.bin");
	struct chunk_ref ref;
	struct lerr err;
	int i;

	a->ok = 1;
	for (i = 0; i < 200 && a->ok; i++) {
		uint64_t at;
		size_t n;

		a->seed = a->seed * 1103515245u + 12345u;
		at = (a->seed >> 4) % BIG_SIZE;
		if (bundle_view_chunk_get(a->bf, e, at, &ref, &err) != 0) {
			a->ok = 0;
			break;
		}
		n = (size_t)(ref.start + ref.len - at) < 65536 ? (size_t)(ref.start + ref.len - at) : 65536;
		a->ok = at >= ref.start && memcmp(ref.data + (at - ref.start), a->big + at, n) == 0;
		bundle_view_chunk_put(a->bf, &ref);
	}
	return NULL;
}

/* Eight threads share two chunk slots and one zstd context: every byte right, memory bounded by the slots. */
static void the_chunk_cache_is_shared_and_bounded(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf = open_ok(f->path);
	const struct bundle_entry *e = bundle_view_find(bf, "files/big.bin");
	struct cache_arg args[8];
	pthread_t threads[8];
	struct chunk_cache_stats st;
	struct chunk_ref ref;
	struct lerr err;
	uint64_t at;
	size_t i;

	bundle_view_set_cache(bf, 2, 1);
	for (i = 0; i < 8; i++) {
		args[i] = (struct cache_arg){bf, f->big, (uint32_t)i + 1, 0};
		assert_int_equal(pthread_create(&threads[i], NULL, cache_reads, &args[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_true(args[i].ok);
	}
	bundle_view_cache_stats(bf, &st);
	print_message("# 1600 reads: %llu loads, %llu hits, %llu waits\n", (unsigned long long)st.loads,
		      (unsigned long long)st.hits, (unsigned long long)st.waits);
	assert_int_equal(st.loads + st.hits, 1600);
	assert_true(st.loads >= 3);
	/* With a slot per chunk, the second pass over the entry reads nothing. */
	bundle_view_set_cache(bf, 3, 1);
	for (i = 0; i < 2; i++)
		for (at = 0; at < BIG_SIZE; at += 65536) {
			assert_int_equal(bundle_view_chunk_get(bf, e, at, &ref, &err), 0);
			assert_memory_equal(ref.data + (at - ref.start), f->big + at, 1);
			bundle_view_chunk_put(bf, &ref);
		}
	bundle_view_cache_stats(bf, &st);
	assert_int_equal(st.loads, 3);
	bundle_view_close(bf);
}

/* A chunk that fails its check is never cached: each read of it fails again; the others are served. */
static void the_chunk_cache_never_keeps_a_damaged_chunk(void **state)
{
	struct fixture *f = *state;
	struct bundle_view *bf;
	const struct bundle_entry *e;
	struct chunk_cache_stats st;
	struct chunk_ref ref;
	struct lerr err;

	damage(f->path, 5 * MiB);
	bf = open_ok(f->path);
	e = bundle_view_find(bf, "files/big.bin");
	assert_int_equal(bundle_view_chunk_get(bf, e, 5 * MiB, &ref, &err), -1);
	assert_non_null(strstr(err.msg, "files/big.bin: sha256 mismatch in chunk 1"));
	assert_null(ref.slot);
	bundle_view_chunk_put(bf, &ref);
	assert_int_equal(bundle_view_chunk_get(bf, e, 4 * MiB, &ref, &err), -1);
	assert_int_equal(bundle_view_chunk_get(bf, e, 9 * MiB, &ref, &err), 0);
	assert_int_equal(ref.start, 8 * MiB);
	assert_int_equal(ref.len, BIG_SIZE - 8 * MiB);
	assert_memory_equal(ref.data, f->big + 8 * MiB, ref.len);
	bundle_view_chunk_put(bf, &ref);
	bundle_view_cache_stats(bf, &st);
	assert_int_equal(st.loads, 3);
	assert_int_equal(st.hits, 0);
	bundle_view_close(bf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(opens_and_reads_whole_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(reads_ranges_across_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(reads_from_threads_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_damaged_frame_fails_only_its_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(older_bundles_go_back_to_extraction, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals_at_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(answers_whole_entries_and_ranges_over_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_damaged_chunk_cuts_only_its_answer_short, setup, teardown),
	    cmocka_unit_test_setup_teardown(the_chunk_cache_is_shared_and_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(the_chunk_cache_never_keeps_a_damaged_chunk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
