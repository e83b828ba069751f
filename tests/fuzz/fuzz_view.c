/*
 * Reading a bundle straight from its file (bundle/format/view.c, chunks.c,
 * chunkcache.c): the input is the .tar.zst file as is, opened without a
 * signature check (the head callback is what trusts lading.json; here the
 * seek table, the offsets and the frames are what lies). Every entry of a view
 * that opens is read whole, from its middle and through the chunk cache (two
 * slots, one reader). Whatever the file says, a read that succeeds must have
 * handed out exactly the bytes asked for, and a whole read must hash to the
 * entry's sha256: nothing unverified gets out.
 */
#include "tests/fuzz/common.h"

#include <openssl/evp.h>

#include "bundle/format/view.h"
#include "lib/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Entries larger than this are skipped: zeros decompress fast, but hashing a claimed GiB would time out. */
#define MAX_ENTRY (64u << 20)

struct sink {
	EVP_MD_CTX *md;
	uint64_t got;
};

static int take(void *ctx, const void *bytes, size_t len, struct lerr *err)
{
	struct sink *s = ctx;

	(void)err;
	EVP_DigestUpdate(s->md, bytes, len);
	s->got += len;
	return 0;
}

static void read_whole(const struct bundle_view *bf, const struct bundle_entry *e)
{
	struct sink s = {EVP_MD_CTX_new(), 0};
	unsigned char raw[32];
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;
	int i;

	EVP_DigestInit_ex(s.md, EVP_sha256(), NULL);
	if (bundle_view_read_range(bf, e, 0, e->size, take, &s, &err) == 0) {
		EVP_DigestFinal_ex(s.md, raw, NULL);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", raw[i]);
		if (s.got != e->size || strcmp(hex, e->sha256) != 0)
			abort();
	}
	EVP_MD_CTX_free(s.md);
}

static void read_parts(const struct bundle_view *bf, const struct bundle_entry *e)
{
	struct sink s = {EVP_MD_CTX_new(), 0};
	struct chunk_ref ref;
	struct lerr err;
	uint64_t at = e->size / 2;

	EVP_DigestInit_ex(s.md, EVP_sha256(), NULL);
	if (bundle_view_read_range(bf, e, at, e->size - at, take, &s, &err) == 0 && s.got != e->size - at)
		abort();
	EVP_MD_CTX_free(s.md);
	if (bundle_view_chunk_get(bf, e, at, &ref, &err) == 0) {
		if (ref.start > at || at >= ref.start + ref.len || ref.start + ref.len > e->size)
			abort();
		bundle_view_chunk_put(bf, &ref);
	} else if (ref.slot != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_view *bf = NULL;
	const struct bundle_manifest *m;
	const char *path;
	struct lerr err;
	size_t i;

	if (size > (4u << 20))
		return 0;
	path = fuzz_tmp_file(data, size, ".tar.zst");
	if (bundle_view_open(path, NULL, NULL, &bf, &err) != 1)
		return 0;
	bundle_view_set_cache(bf, 2, 1);
	m = bundle_view_manifest(bf);
	for (i = 0; i < m->entry_count && i < 64; i++) {
		const struct bundle_entry *e = &m->entries[i];

		if (e->size == 0 || e->size > MAX_ENTRY)
			continue;
		read_whole(bf, e);
		read_parts(bf, e);
	}
	bundle_view_close(bf);
	return 0;
}
