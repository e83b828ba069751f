#ifndef LADING_PACKAGES_RELEASE_H
#define LADING_PACKAGES_RELEASE_H

/*
 * The Release text of an apt archive (SPECS-2 §1.2), as gpgv wrote it out of
 * a verified InRelease: the fields fetching needs and the SHA256 list (apt
 * trusts only SHA256 and stronger, so MD5Sum and SHA1 are ignored).
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/digest.h"
#include "lib/err.h"

/* One line " <hex> <size> <path>" of the SHA256 field; path is relative to the Release file. */
struct release_file {
	char *path;
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
};

struct release {
	char *suite, *codename, *date;
	char *valid_until; /* as written, or NULL */
	int acquire_by_hash;
	int no_arch_all_packages; /* "No-Support-for-Architecture-all: Packages" */
	char **architectures;	  /* NULL when the field is absent */
	size_t architecture_count;
	char **components; /* NULL when the field is absent */
	size_t component_count;
	struct release_file *files; /* the SHA256 field, in order */
	size_t file_count;
};

/*
 * Parses len bytes of Release text into out (free with release_free, also
 * after a failure). Fails with LADING_ERR_FORMAT naming what:line for a line
 * that is neither "Field: value" nor a continuation, or a bad SHA256 line.
 */
int release_parse(const char *what, const char *text, size_t len, struct release *out, struct lerr *err);

/* The SHA256 entry for path, or NULL. Owned by rel. */
const struct release_file *release_find(const struct release *rel, const char *path);

/*
 * The index apt fetches for base ("main/binary-amd64/Packages"): the first of
 * its compressed forms listed, in apt's Acquire::CompressionTypes order (xz,
 * bz2, lzma, gz, lz4, zst, then uncompressed), starting at *next (0 the first
 * time), or NULL. *next is moved past the one returned: apt takes the next
 * listed form when the server answers 404, and so does the caller.
 */
const struct release_file *release_pick_index(const struct release *rel, const char *base, size_t *next);

/* True when the Architectures (Components) field lists name, or is absent. */
int release_has_architecture(const struct release *rel, const char *name);
int release_has_component(const struct release *rel, const char *name);

/* Parses an RFC 2822 date ("Sat, 01 Jun 2024 10:00:00 UTC") into *out (UTC); -1 when malformed. */
int release_date_parse(const char *value, time_t *out);

void release_free(struct release *rel);

#endif
