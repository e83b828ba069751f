#ifndef LADING_BUNDLE_FORMAT_READER_H
#define LADING_BUNDLE_FORMAT_READER_H

/*
 * Reading a bundle in one streaming pass. lading.json (and its signature, if
 * present) are read first; every later entry is checked against lading.json:
 * listed, once, a plain file or an implied directory, right size, right sha256,
 * and at the end nothing listed is missing and nothing follows the archive in
 * the file (zstdin.h). Errors name the first bad entry or byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundle/format/manifest.h"
#include "bundle/format/volume.h"
#include "lib/err.h"
#include "lib/log.h"

/* A detached signature is at most this big. */
#define BUNDLE_SIGNATURE_MAX (64u << 10)

struct bundle_reader;

/*
 * Opens path and reads its head: lading.json (parsed and checked) and, when it
 * is the second entry, lading.json.minisig. Reads nothing further but the next
 * tar header. *out is the caller's (bundle_reader_close).
 */
int bundle_reader_open(struct bundle_reader **out, const char *path, struct lerr *err);

/*
 * Volumes (volume.h): path may also be a volume of a set, whose other
 * volumes are found beside it, or a directory holding one set. The set is
 * then read as one bundle, volume after volume, each volume's head checked
 * to be the first's and the parts of a cut entry joined: verify, extract,
 * push and serve take a set wherever they take a bundle.
 */
struct bundle_set {
	char *name;			      /* the set's name */
	char lading_json[SHA256_HEX_LEN + 1]; /* sha256 of its lading.json */
	char **paths;			      /* its volumes, in number order */
	size_t count;
};

/*
 * Finds the set path belongs to: 1 with out filled (the caller's,
 * bundle_set_free) when path is a volume or a directory of volumes, 0 when it
 * is something else (a whole bundle: open it as one), -1 with err naming what
 * is wrong before any work starts: volumes missing (named by number), a
 * directory holding volumes of two sets (the foreign one named), two files
 * claiming one number with different contents.
 */
int bundle_set_find(const char *path, struct bundle_set *out, struct lerr *err);
void bundle_set_free(struct bundle_set *set);

/*
 * Opens one file by itself: a whole bundle as bundle_reader_open does, or a
 * single volume of a set, whose entries and parts are checked alone (a part
 * against lading.json's chunk values, the last part against the entry's
 * sha256) and whose end checks only what lading-volume.json lists.
 */
int bundle_reader_open_volume(struct bundle_reader **out, const char *path, struct lerr *err);

/* The volume being read (lading-volume.json), or NULL for a whole bundle. */
const struct bundle_volume *bundle_reader_volume(const struct bundle_reader *r);

/* The parsed lading.json; owned by the reader. */
const struct bundle_manifest *bundle_reader_manifest(const struct bundle_reader *r);

/* Moves the parsed lading.json into out (the caller's, bundle_manifest_free); the reader must then be closed. */
void bundle_reader_take_manifest(struct bundle_reader *r, struct bundle_manifest *out);

/* The exact lading.json bytes and the signature (NULL, 0 when unsigned); owned by the reader. */
void bundle_reader_head(const struct bundle_reader *r, const char **json, size_t *json_len, const char **sig,
			size_t *sig_len);

/*
 * Moves to the next entry (finishing and verifying the current one first).
 * Returns 1 with *row set (NULL for a directory) and *name (normalised path),
 * 0 at the end once every listed entry was seen and matched and every byte of
 * the file after the archive was accounted for, -1 on the first bad entry or
 * byte (LADING_ERR_SIGNATURE for a mismatch or bytes appended to the file,
 * LADING_ERR_FORMAT otherwise).
 */
int bundle_reader_next(struct bundle_reader *r, const struct bundle_entry **row, const char **name, struct lerr *err);

/*
 * Reads up to len bytes of the current file entry. Returns the count, 0 at the
 * end of the entry after its size and sha256 matched, -1 on error.
 */
ssize_t bundle_reader_read(struct bundle_reader *r, void *data, size_t len, struct lerr *err);

/* Bytes of entry data read so far (for progress and stats). */
uint64_t bundle_reader_bytes(const struct bundle_reader *r);

void bundle_reader_close(struct bundle_reader *r);

/*
 * Called once lading.json (and signature) are read, before any entry data is
 * read: the signing part verifies the signature here. Non-zero stops the read.
 */
typedef int (*bundle_head_fn)(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
			      const struct bundle_manifest *m, struct lerr *err);

struct bundle_verify_stats {
	size_t entries;	     /* files checked (lading.json excluded) */
	uint64_t bytes;	     /* their bytes */
	size_t base_entries; /* a delta's entries that live in its base (not checked: not here) */
	uint64_t base_bytes;
	size_t volume, volumes; /* a volume checked alone: its number and the set's count; a set: 0 and the count */
	char set[256];		/* the set's name, for volumes */
};

/*
 * Streams the whole bundle once and checks every entry (see above). head may
 * be NULL. Fills stats (may be NULL) on success.
 */
int bundle_verify(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
		  const struct logger *lg, struct lerr *err);

/*
 * The same for one file by itself: a whole bundle, or one volume of a set
 * checked alone (bundle_reader_open_volume), its number in stats.
 */
int bundle_verify_volume(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_verify_stats *stats,
			 const struct logger *lg, struct lerr *err);

#endif
