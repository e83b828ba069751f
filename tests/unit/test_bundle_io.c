/*
 * Writer, reader, verify, extract and inspect on a store this test fills
 * itself (STORE/blobs/sha256/<hex>), the way images_fetch leaves it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "bundle/format/extract.h"
#include "bundle/inspect.h"
#include "bundle/layout.h"
#include "bundle/format/reader.h"
#include "bundle/format/writer.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

struct fixture {
	char dir[64];
	char *store;
	struct image_result images[2];
	char *digests[8];
	size_t digest_count;
};

/* Stores data as a blob; returns its "sha256:…" (owned by the fixture). */
static char *put_blob(struct fixture *f, const void *data, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	struct lerr err;

	sha256_hex(data, len, hex);
	path = xasprintf("%s/blobs/sha256/%s", f->store, hex);
	assert_int_equal(fs_write_file(path, data, len, 0644, &err), 0);
	free(path);
	f->digests[f->digest_count] = xasprintf("sha256:%s", hex);
	return f->digests[f->digest_count++];
}

static void make_image(struct fixture *f, struct image_result *img, const char *ref, const char *shared,
		       const char *own)
{
	char *config = put_blob(f, ref, strlen(ref));
	char *manifest_json = xasprintf("{\"config\":\"%s\",\"layers\":[\"%s\",\"%s\"]}", config, shared, own);
	char *manifest = put_blob(f, manifest_json, strlen(manifest_json));

	memset(img, 0, sizeof(*img));
	img->ref = xstrdup(ref);
	img->media_type = xstrdup("application/vnd.oci.image.manifest.v1+json");
	snprintf(img->digest, sizeof(img->digest), "%s", manifest);
	img->size = strlen(manifest_json);
	img->platforms = xcalloc(1, sizeof(char *));
	img->platforms[0] = xstrdup("linux/amd64");
	img->platform_count = 1;
	img->blobs = xcalloc(4, sizeof(char *));
	img->blobs[0] = xstrdup(manifest);
	img->blobs[1] = xstrdup(config);
	img->blobs[2] = xstrdup(shared);
	img->blobs[3] = xstrdup(own);
	img->blob_count = 4;
	free(manifest_json);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct lerr err;
	char *big = xmalloc(3 << 20);
	char *shared, *own_a, *own_b;
	size_t i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-io.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = xasprintf("%s/store", f->dir);
	{
		char *blobs = xasprintf("%s/blobs/sha256", f->store);
		assert_int_equal(fs_mkdir_p(blobs, &err), 0);
		free(blobs);
	}
	srand(7);
	for (i = 0; i < (3u << 20); i++)
		big[i] = (char)(rand() & 0xff);
	shared = put_blob(f, big, 3 << 20); /* bigger than the writer's chunk */
	own_a = put_blob(f, "layer a", 7);
	own_b = put_blob(f, "layer b", 7);
	make_image(f, &f->images[0], "127.0.0.1:5000/test/a:1", shared, own_a);
	make_image(f, &f->images[1], "127.0.0.1:5000/test/b:1", shared, own_b);
	free(big);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct lerr err;
	size_t i, j;

	if (getenv("LADING_UNIT_KEEP") == NULL) /* keep the files to look at by hand */
		fs_remove_tree(f->dir, &err);
	for (i = 0; i < 2; i++) {
		struct image_result *img = &f->images[i];

		for (j = 0; j < img->blob_count; j++)
			free(img->blobs[j]);
		free(img->blobs);
		free(img->platforms[0]);
		free(img->platforms);
		free(img->ref);
		free(img->media_type);
	}
	for (i = 0; i < f->digest_count; i++)
		free(f->digests[i]);
	free(f->store);
	free(f);
	return 0;
}

static void plan(struct fixture *f, struct bundle_manifest *m)
{
	struct lerr err;

	memset(m, 0, sizeof(*m));
	m->format = BUNDLE_FORMAT_VERSION;
	m->name = xstrdup("unit");
	m->created = 1795338000;
	m->tool = xstrdup("lading test");
	m->spec = xstrdup("name: unit\n");
	assert_int_equal(bundle_layout_add_images(m, f->store, f->images, 2, &err), 0);
	assert_int_equal(bundle_manifest_sort(m, &err), 0);
}

static char *out_path(struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static void write_ok(struct fixture *f, const char *path, const struct bundle_write_opts *opts)
{
	struct bundle_manifest m;
	struct lerr err;

	plan(f, &m);
	if (bundle_write(path, &m, opts, &err) != 0)
		fail_msg("%s", err.msg);
	bundle_manifest_free(&m);
}

static void shared_blob_is_stored_once_and_verifies(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_verify_stats stats;
	struct bundle_info info;
	struct lerr err;
	char *path = out_path(f, "a.tar.zst");

	write_ok(f, path, &opts);
	assert_int_equal(bundle_verify(path, NULL, NULL, &stats, NULL, &err), 0);
	/* 2 manifests + 2 configs + shared + 2 own layers + oci-layout + index.json */
	assert_int_equal(stats.entries, 9);
	assert_int_equal(bundle_inspect(path, &info, &err), 0);
	assert_int_equal(info.blob_count, 7);
	assert_int_equal(info.manifest.image_count, 2);
	assert_false(info.is_signed);
	bundle_info_free(&info);
	free(path);
}

static void same_input_gives_identical_bytes(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct buf one = BUF_INIT(64 << 20), two = BUF_INIT(64 << 20);
	struct lerr err;
	char *p1 = out_path(f, "one.tar.zst"), *p2 = out_path(f, "two.tar.zst");

	write_ok(f, p1, &opts);
	write_ok(f, p2, &opts);
	assert_int_equal(fs_read_file(p1, &one, &err), 0);
	assert_int_equal(fs_read_file(p2, &two, &err), 0);
	assert_int_equal(one.len, two.len);
	assert_memory_equal(one.data, two.data, one.len);
	/* The zstd frame ends the file: no tar block padding after it (SPECS §6.3). */
	/* Frame 0, the head, is stored raw: about 6 KiB here. */
	assert_true(one.len < (3u << 20) + 8192);
	buf_free(&one);
	buf_free(&two);
	free(p1);
	free(p2);
}

static int test_sign(void *ctx, const char *json, size_t len, struct buf *sig, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	(void)ctx;
	sha256_hex(json, len, hex);
	return buf_addf(sig, err, "fake-signature-over:%s\n", hex);
}

struct head_seen {
	int calls;
	int sig_matches;
};

static int test_head(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		     const struct bundle_manifest *m, struct lerr *err)
{
	struct head_seen *seen = ctx;
	char hex[SHA256_HEX_LEN + 1];
	char *expected;

	(void)m;
	(void)err;
	seen->calls++;
	sha256_hex(json, json_len, hex);
	expected = xasprintf("fake-signature-over:%s\n", hex);
	seen->sig_matches = sig != NULL && sig_len == strlen(expected) && memcmp(sig, expected, sig_len) == 0;
	free(expected);
	return 0;
}

static int refuse_head(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		       const struct bundle_manifest *m, struct lerr *err)
{
	(void)ctx, (void)json, (void)json_len, (void)sig, (void)sig_len, (void)m;
	return lerr_set(err, LADING_ERR_SIGNATURE, "signature refused");
}

static void signature_hook_is_second_entry_and_seen_before_data(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_extract_opts xopts = {0};
	struct head_seen seen = {0, 0};
	struct bundle_info info;
	struct lerr err;
	char *path = out_path(f, "signed.tar.zst");
	char *dest = out_path(f, "refused");

	opts.sign = test_sign;
	write_ok(f, path, &opts);
	assert_int_equal(bundle_verify(path, test_head, &seen, NULL, NULL, &err), 0);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.sig_matches);
	assert_int_equal(bundle_inspect(path, &info, &err), 0);
	assert_true(info.is_signed);
	bundle_info_free(&info);
	assert_int_equal(bundle_verify(path, refuse_head, NULL, NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "signature refused");
	xopts.head = refuse_head;
	assert_int_equal(bundle_extract(path, dest, &xopts, &err), -1);
	assert_false(fs_exists(dest));
	free(dest);
	free(path);
}

static void extract_gives_a_verified_layout(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_extract_opts xopts = {0};
	struct lerr err;
	struct stat st;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size = 0;
	char *path = out_path(f, "x.tar.zst");
	char *dest = out_path(f, "out");
	char *blob = xasprintf("%s/oci/blobs/sha256/%s", dest, f->images[0].blobs[2] + 7);
	char *layout = xasprintf("%s/oci/oci-layout", dest);

	write_ok(f, path, &opts);
	assert_int_equal(mkdir(dest, 0755), 0); /* an empty directory is fine */
	if (bundle_extract(path, dest, &xopts, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(sha256_file(blob, hex, &size, &err), 0);
	assert_string_equal(hex, f->images[0].blobs[2] + 7);
	assert_int_equal(size, 3 << 20);
	assert_int_equal(stat(layout, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* A non-empty destination is refused and left alone. */
	assert_int_equal(bundle_extract(path, dest, &xopts, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_true(fs_exists(layout));
	free(layout);
	free(blob);
	free(dest);
	free(path);
}

static void corrupt_cache_blob_fails_and_leaves_no_file(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_manifest m;
	struct lerr err;
	char *path = out_path(f, "bad.tar.zst");
	char *own = xasprintf("%s/blobs/sha256/%s", f->store, f->images[1].blobs[3] + 7);

	plan(f, &m);
	assert_int_equal(fs_write_file(own, "layer B", 7, 0644, &err), 0);
	assert_int_equal(bundle_write(path, &m, &opts, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, f->images[1].blobs[3] + 7));
	assert_false(fs_exists(path));
	assert_int_equal(fs_write_file(own, "layer b", 7, 0644, &err), 0);
	bundle_manifest_free(&m);
	free(own);
	free(path);
}

static void missing_output_directory_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_manifest m;
	struct lerr err;
	char *path = out_path(f, "no/such/dir/x.tar.zst");

	plan(f, &m);
	assert_int_equal(bundle_write(path, &m, &opts, &err), -1);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	bundle_manifest_free(&m);
	free(path);
}

/* A bundle holding only its bill of lading (nothing listed) is written, verified and extracted. */
static void bundle_of_only_lading_json_verifies(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct bundle_extract_opts xopts = {0};
	struct bundle_verify_stats stats;
	struct bundle_manifest m;
	struct lerr err;
	char *path = out_path(f, "empty.tar.zst");
	char *dest = out_path(f, "empty-out");
	char *json = out_path(f, "empty-out/lading.json");

	memset(&m, 0, sizeof(m));
	m.format = BUNDLE_FORMAT_VERSION;
	m.name = xstrdup("empty");
	m.created = 1795338000;
	m.tool = xstrdup("lading test");
	m.spec = xstrdup("name: empty\n");
	if (bundle_write(path, &m, &opts, &err) != 0)
		fail_msg("%s", err.msg);
	if (bundle_verify(path, NULL, NULL, &stats, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(stats.entries, 0);
	if (bundle_extract(path, dest, &xopts, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(fs_exists(json));
	bundle_manifest_free(&m);
	free(json);
	free(dest);
	free(path);
}

/* The tar stream inside a bundle file (the caller frees the buf). */
static void decompress_file(const char *path, struct buf *tar)
{
	struct buf file = BUF_INIT(64 << 20);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer in;
	char chunk[65536];
	struct lerr err;
	size_t rc = 1;

	assert_int_equal(fs_read_file(path, &file, &err), 0);
	in = (ZSTD_inBuffer){file.data, file.len, 0};
	while (in.pos < in.size || rc != 0) {
		ZSTD_outBuffer out = {chunk, sizeof(chunk), 0};

		rc = ZSTD_decompressStream(dctx, &out, &in);
		assert_false(ZSTD_isError(rc));
		assert_int_equal(buf_add(tar, chunk, out.pos, &err), 0);
	}
	ZSTD_freeDCtx(dctx);
	buf_free(&file);
}

/* Writes data[0..len) as one zstd frame per piece (pieces end at cuts[]), then tail as it is. */
static void write_frames(const char *path, const char *data, size_t len, const size_t *cuts, size_t cut_count,
			 const void *tail, size_t tail_len)
{
	struct buf file = BUF_INIT(0);
	size_t start = 0, i;
	struct lerr err;

	for (i = 0; i <= cut_count; i++) {
		size_t end = i < cut_count ? cuts[i] : len;
		size_t bound = ZSTD_compressBound(end - start);
		char *frame = xmalloc(bound);
		size_t got = ZSTD_compress(frame, bound, data + start, end - start, 1);

		assert_false(ZSTD_isError(got));
		buf_add(&file, frame, got, &err);
		free(frame);
		start = end;
	}
	if (tail_len > 0)
		buf_add(&file, tail, tail_len, &err);
	assert_int_equal(fs_write_file(path, file.data, file.len, 0644, &err), 0);
	buf_free(&file);
}

/* verify and extract both fail with a message holding want; nothing is extracted. */
static void refused_naming(struct fixture *f, const char *path, const char *want)
{
	struct bundle_extract_opts xopts = {0};
	char *dest = out_path(f, "refused-out");
	struct lerr err;

	assert_int_equal(bundle_verify(path, NULL, NULL, NULL, NULL, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' does not hold '%s'", err.msg, want);
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(bundle_extract(path, dest, &xopts, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' does not hold '%s'", err.msg, want);
	assert_false(fs_exists(dest));
	free(dest);
}

/* The signature covers lading.json only: whatever follows the frame that ends the tar is refused. */
static void bytes_after_the_last_frame_are_refused_naming_the_offset(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct buf tar = BUF_INIT(64 << 20);
	char frame_x[64];
	const char skippable[] = "\x50\x2a\x4d\x18\x04\x00\x00\x00"
				 "abcd";
	const char *tails[3];
	size_t tail_lens[3], i;
	char *path = out_path(f, "w.tar.zst");
	char *bad = out_path(f, "bad.tar.zst");
	char *want;
	size_t file_len;

	write_ok(f, path, &opts);
	decompress_file(path, &tar);
	tails[0] = frame_x;
	tail_lens[0] = ZSTD_compress(frame_x, sizeof(frame_x), "x", 1, 3);
	tails[1] = skippable;
	tail_lens[1] = sizeof(skippable) - 1;
	tails[2] = "garbage";
	tail_lens[2] = 7;
	for (i = 0; i < 3; i++) {
		struct stat st;

		write_frames(bad, tar.data, tar.len, NULL, 0, tails[i], tail_lens[i]);
		assert_int_equal(stat(bad, &st), 0);
		file_len = (size_t)st.st_size - tail_lens[i];
		want = xasprintf("bad.tar.zst: %zu bytes after the end of the signed archive at offset %zu: ",
				 tail_lens[i], file_len);
		refused_naming(f, bad, want);
		free(want);
	}
	buf_free(&tar);
	free(bad);
	free(path);
}

/*
 * Several frames are fine as long as the last one holds the tar's end; zeros
 * up to the 10240-byte record (GNU tar) are fine, a byte in them or more is not.
 */
static void padding_and_frames_after_the_tar_end(void **state)
{
	struct fixture *f = *state;
	struct bundle_write_opts opts = {0};
	struct buf tar = BUF_INIT(64 << 20);
	struct lerr err;
	char *path = out_path(f, "w.tar.zst");
	char *other = out_path(f, "other.tar.zst");
	size_t end, record_end, cuts[3];
	char *want;

	write_ok(f, path, &opts);
	decompress_file(path, &tar);
	end = tar.len;
	assert_int_equal(end % 512, 0); /* lading's writer: two zero blocks, no padding */
	record_end = (end + 10239) / 10240 * 10240;
	cuts[0] = 1000;
	cuts[1] = end / 2;
	cuts[2] = end - 700; /* inside the end-of-archive marker */
	write_frames(other, tar.data, end, cuts, 3, NULL, 0);
	if (bundle_verify(other, NULL, NULL, NULL, NULL, &err) != 0)
		fail_msg("four frames: %s", err.msg);
	while (tar.len < record_end)
		buf_add(&tar, "", 1, &err);
	write_frames(other, tar.data, tar.len, cuts, 3, NULL, 0);
	if (bundle_verify(other, NULL, NULL, NULL, NULL, &err) != 0)
		fail_msg("padded to a record: %s", err.msg);
	/* The same padding in a frame of its own follows the frame that ends the tar. */
	cuts[0] = end;
	write_frames(other, tar.data, tar.len, cuts, 1, NULL, 0);
	assert_int_equal(bundle_verify(other, NULL, NULL, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "bytes after the end of the signed archive at offset"));
	tar.data[record_end - 3] = 'A';
	write_frames(other, tar.data, tar.len, NULL, 0, NULL, 0);
	want = xasprintf("a non-zero byte at decompressed offset %zu, after the end of the signed archive at %zu",
			 record_end - 3, end);
	refused_naming(f, other, want);
	free(want);
	tar.data[record_end - 3] = '\0';
	buf_add(&tar, "", 1, &err);
	write_frames(other, tar.data, tar.len, NULL, 0, NULL, 0);
	want = xasprintf("runs past its 10240-byte tar record at decompressed offset %zu", record_end);
	refused_naming(f, other, want);
	free(want);
	buf_free(&tar);
	free(other);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(shared_blob_is_stored_once_and_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(same_input_gives_identical_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(signature_hook_is_second_entry_and_seen_before_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(extract_gives_a_verified_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(corrupt_cache_blob_fails_and_leaves_no_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(missing_output_directory_fails_cleanly, setup, teardown),
	    cmocka_unit_test_setup_teardown(bundle_of_only_lading_json_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(bytes_after_the_last_frame_are_refused_naming_the_offset, setup, teardown),
	    cmocka_unit_test_setup_teardown(padding_and_frames_after_the_tar_end, setup, teardown),
	};
	return cmocka_run_group_tests_name("bundle_io", tests, NULL, NULL);
}
