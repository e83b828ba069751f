/*
 * Shared by the libFuzzer targets in this folder (header-only: each target is
 * one C file linked against the project's objects). Inputs are bytes, not C
 * strings: readers that take text get a NUL-terminated copy, readers that take
 * a path get one temp file per process (in $TMPDIR, else /tmp), rewritten for every input and removed
 * at exit, so a run leaves nothing behind and leaks nothing.
 */
#ifndef LADING_FUZZ_COMMON_H
#define LADING_FUZZ_COMMON_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* mkstemps */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A NUL-terminated copy of data (the caller frees). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* Where temp files go: $TMPDIR, else /tmp. */
static inline const char *fuzz_tmpdir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

static char fuzz_path_buf[4096];
static int fuzz_fd = -1;

static inline void fuzz_tmp_remove(void)
{
	if (fuzz_fd >= 0) {
		unlink(fuzz_path_buf);
		close(fuzz_fd);
		fuzz_fd = -1;
	}
}

/* The temp file's path after writing data into it (created once, name ending in suffix). */
static inline const char *fuzz_tmp_file(const uint8_t *data, size_t size, const char *suffix)
{
	size_t done = 0;

	if (fuzz_fd < 0) {
		snprintf(fuzz_path_buf, sizeof(fuzz_path_buf), "%s/lading-fuzz-XXXXXX%s", fuzz_tmpdir(), suffix);
		fuzz_fd = mkstemps(fuzz_path_buf, (int)strlen(suffix));
		if (fuzz_fd < 0) {
			perror("fuzz: mkstemps");
			abort();
		}
		atexit(fuzz_tmp_remove);
	}
	if (ftruncate(fuzz_fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(fuzz_fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return fuzz_path_buf;
}

/*
 * Splits data at the first NUL: returns the part before it (a NUL-terminated copy,
 * the caller frees) and points rest, rest_len at what follows (the whole input as
 * the head and an empty rest when there is no NUL).
 */
static inline char *fuzz_split(const uint8_t *data, size_t size, const uint8_t **rest, size_t *rest_len)
{
	const uint8_t *nul = memchr(data, '\0', size);

	if (nul == NULL) {
		*rest = data + size;
		*rest_len = 0;
		return fuzz_text(data, size);
	}
	*rest = nul + 1;
	*rest_len = size - (size_t)(nul + 1 - data);
	return fuzz_text(data, (size_t)(nul - data));
}

#endif
