/*
 * The bundle reader (bundle/format/reader.c: zstd, tar, lading.json and its
 * signature) through bundle_verify with the signature head callback of
 * sign/signature.h, trusting the test key tests/fuzz/minisign/test.pub. The
 * first byte picks the mode: even = the rest is the tar stream, compressed here
 * (so mutations reach the tar and JSON layers), odd = the rest is the file as is.
 * insecure = 1 so a bad signature is recorded and the rest is still read.
 */
#include "tests/fuzz/common.h"

#include <zstd.h>

#include "bundle/format/reader.h"
#include "sign/signature.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char test_pub[] = "untrusted comment: lading fuzz test key purpose:bundle C3778043A255E261\n"
			       "RWRh4lWiQ4B3w5h3RlB2xpqhTGslaAc8jY3SXeVxN9p3sGz1MBk+BwTr\n";

static struct trust_set trust;

static void trust_drop(void)
{
	trust_free(&trust);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[4096];
	struct lerr err;
	int fd;

	(void)argc, (void)argv;
	snprintf(path, sizeof(path), "%s/lading-fuzz-pub-XXXXXX", fuzz_tmpdir());
	fd = mkstemp(path);
	trust_init(&trust);
	if (fd < 0 || write(fd, test_pub, sizeof(test_pub) - 1) != (ssize_t)(sizeof(test_pub) - 1) ||
	    trust_add_file(&trust, path, &err) != 0) {
		fprintf(stderr, "fuzz_bundle: cannot set up the trust set\n");
		abort();
	}
	close(fd);
	unlink(path);
	atexit(trust_drop);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_verify_stats stats;
	struct bundle_sig_check check;
	const char *path;
	struct lerr err;
	void *packed = NULL;

	if (size < 1 || size > (4u << 20))
		return 0;
	if (data[0] % 2 == 0) {
		size_t bound = ZSTD_compressBound(size - 1), n;

		packed = malloc(bound);
		if (packed == NULL)
			abort();
		n = ZSTD_compress(packed, bound, data + 1, size - 1, 1);
		if (ZSTD_isError(n))
			abort();
		path = fuzz_tmp_file(packed, n, ".tar.zst");
	} else {
		path = fuzz_tmp_file(data + 1, size - 1, ".tar.zst");
	}
	bundle_sig_check_init(&check, &trust, "'fuzz.tar.zst'", 1);
	(void)bundle_verify(path, bundle_sig_check_head, &check, &stats, NULL, &err);
	bundle_sig_check_free(&check);
	free(packed);
	return 0;
}
