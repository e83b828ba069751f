/*
 * The seek table (bundle/format/seektable.c). The input is read as one whole
 * table frame (seektable_parse) and as the end of a bundle file
 * (seektable_read_fd, seektable_read_at from its start). A table that parses
 * must write back to the same bytes (the parser accepts only what the writer
 * writes) and its frames must add up to where it starts in the file.
 */
#include "tests/fuzz/common.h"

#include <fcntl.h>

#include "bundle/format/seektable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size, const struct seektable *t)
{
	struct buf out = BUF_INIT(0);

	seektable_append(&out, t->frames, t->count, t->has_checksums);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seektable t;
	struct lerr err;
	const char *path;
	int fd;

	if (size > (1u << 20))
		return 0;
	memset(&t, 0, sizeof(t));
	if (seektable_parse(data, size, 0, &t, &err) == 0) {
		if (seektable_size(t.count, t.has_checksums) != size)
			abort();
		round_trip(data, size, &t);
		seektable_free(&t);
	}
	path = fuzz_tmp_file(data, size, ".tar.zst");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	if (seektable_read_fd(fd, path, &t, &err) == 1) {
		if (t.compressed_total + seektable_size(t.count, t.has_checksums) != size)
			abort();
		seektable_free(&t);
	}
	/* From the start: the table frame is a prefix of the input, what follows is not its business. */
	if (seektable_read_at(fd, path, 0, size, size / 8, &t, &err) == 1) {
		round_trip(data, (size_t)seektable_size(t.count, t.has_checksums), &t);
		seektable_free(&t);
	}
	close(fd);
	return 0;
}
