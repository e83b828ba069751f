#ifndef LADING_BUNDLE_FORMAT_MANIFEST_H
#define LADING_BUNDLE_FORMAT_MANIFEST_H

/*
 * bundle/format/: the bundle file format, apart from what uses it: the bill
 * of lading (this file), entry paths, the deterministic pax+zstd writer, the
 * one-pass verifying reader and the staged extractor. Knows nothing of
 * registries, signatures' keys or specs: those hook in through callbacks.
 * May include: lib/
 */

/*
 * lading.json, the bill of lading: the first entry of every bundle, listing
 * the size and sha256 of every other entry so one streaming pass can verify.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"

/*
 * Format 2: the zstd stream is cut into independent frames at entry boundaries
 * and ends with a seek table (seektable.h), so a reader may seek; format 1 is
 * one zstd stream. Both are read; lading writes 2.
 */
#define BUNDLE_FORMAT_VERSION 2
#define BUNDLE_FORMAT_OLDEST 1
/*
 * Format 3 is format 2 with a base: a delta bundle (bundle create --since)
 * lists entries it does not carry, marked in_base, whose bytes live in the
 * bundle whose lading.json has the sha256 in "base". Only deltas are written
 * as 3, so a lading that predates deltas refuses them by their format rather
 * than reporting entries as missing.
 */
#define BUNDLE_FORMAT_DELTA 3
#define BUNDLE_FORMAT_NEWEST BUNDLE_FORMAT_DELTA
#define BUNDLE_MANIFEST_NAME "lading.json"
#define BUNDLE_SIGNATURE_NAME "lading.json.minisig"
/* Format 2 entries list a sha256 chaining value per chunk of this size (chunks.h); the writer's frames agree. */
#define BUNDLE_CHUNK_SIZE (4u << 20)
#define BUNDLE_CHUNK_HASH_LEN 32
/* lading.json is read into memory: this caps it (about 100k entries, or 2 TiB of chunk lists). */
#define BUNDLE_MANIFEST_MAX (32u << 20)

/* Entry kinds written by this part; charts/providers/files add their own. */
#define BUNDLE_KIND_OCI_LAYOUT "oci-layout" /* oci/oci-layout, oci/index.json */
#define BUNDLE_KIND_OCI_BLOB "oci-blob"	    /* oci/blobs/sha256/<hex> */

struct bundle_entry {
	char *path; /* "oci/blobs/sha256/<hex>" */
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1]; /* lowercase hex */
	char *kind;			 /* BUNDLE_KIND_* */
	char *ref;			 /* image (or chart…) it belongs to first; may be NULL */
	/*
	 * Format 2 layout, absent (has_layout 0) in v1 bundles and in format 2 ones of an older
	 * lading. Offsets count in the decompressed tar from the end of the head (lading.json and
	 * its signature, frame 0): signing a bundle again never moves them.
	 */
	int has_layout;
	uint64_t offset;       /* the entry's first tar header (its pax header, if any) */
	uint64_t data_offset;  /* its first data byte */
	unsigned char *chunks; /* chunk_count chaining values of BUNDLE_CHUNK_HASH_LEN bytes (chunks.h) */
	size_t chunk_count;    /* bundle_chunk_count(size) when has_layout */
	/* Delta bundles: listed with its size and sha256 but stored in the base bundle, not here (no layout). */
	int in_base;
	/* Writer only, never serialised: where the bytes come from (one of the two). */
	char *src_file; /* streamed from this file (a cache blob) */
	char *src_data; /* or these size bytes in memory */
};

struct bundle_image {
	char *ref;    /* normalised source reference (the ref.name in oci/index.json) */
	char *digest; /* "sha256:…" of the stored manifest or index */
	char *media_type;
	char *source_index_digest; /* upstream index a filtered index came from, or NULL */
	char *
	    origin; /* where the spec named it ("lading.yaml:3:5", "chart web 1.0.0 web/values.yaml:image"); optional */
	char **platforms;
	size_t platform_count;
	uint64_t size; /* bytes of every blob the image needs */
};

struct bundle_manifest {
	int format; /* BUNDLE_FORMAT_OLDEST .. BUNDLE_FORMAT_VERSION */
	char *name;
	int64_t created; /* seconds since the epoch, UTC */
	char *tool;	 /* "lading 0.1.0" */
	char *spec;	 /* lading.yaml as given (text) */
	struct bundle_image *images;
	size_t image_count;
	struct bundle_entry *entries; /* sorted by path, unique */
	size_t entry_count;
	/* Format 3 (a delta): the base bundle's name and "sha256:<hex>" of its lading.json bytes; else NULL. */
	char *base_name;
	char *base_digest;
};

/* Serialises m deterministically (sorted keys, entries sorted by path). *out is the caller's to free. */
int bundle_manifest_to_json(const struct bundle_manifest *m, char **out, size_t *len, struct lerr *err);

/*
 * Parses and checks lading.json: known format, safe unique paths, sha256 hex.
 * Fills m (free with bundle_manifest_free) only on success; fails with LADING_ERR_FORMAT.
 */
int bundle_manifest_parse(const char *data, size_t len, struct bundle_manifest *m, struct lerr *err);

/* Sorts entries by path; fails naming a duplicate path. */
int bundle_manifest_sort(struct bundle_manifest *m, struct lerr *err);

/* The entry for path (entries must be sorted), or NULL. */
const struct bundle_entry *bundle_manifest_find(const struct bundle_manifest *m, const char *path);

/* Appends an entry (strings copied; ref may be NULL) and returns it. */
struct bundle_entry *bundle_manifest_add_entry(struct bundle_manifest *m, const char *path, uint64_t size,
					       const char *sha256_hex, const char *kind, const char *ref);

/* Sets where the writer takes an entry's bytes: a file (streamed) or a copy of memory. */
void bundle_entry_set_file(struct bundle_entry *e, const char *file);
void bundle_entry_set_data(struct bundle_entry *e, const void *data, size_t len);

/* Frees everything m holds and zeroes it; accepts a zeroed manifest. */
void bundle_manifest_free(struct bundle_manifest *m);

/* Formats seconds since the epoch as "2026-11-23T09:00:00Z" (21 bytes incl. NUL). */
void bundle_format_time(int64_t seconds, char out[32]);

/* Parses that form back; -1 when malformed. */
int bundle_parse_time(const char *text, int64_t *seconds);

#endif
