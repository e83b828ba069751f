#ifndef LADING_BUNDLE_FORMAT_VOLUME_H
#define LADING_BUNDLE_FORMAT_VOLUME_H

/*
 * Volumes (issue 17): a bundle cut into files that each fit a medium
 * (FAT32's 4 GiB, a DVD, a BD-25), "site.001.tar.zst" … Each volume is a
 * complete tar.zst whose head is the set's lading.json and its signature
 * (the same bytes in every volume: the set is signed once), then
 * lading-volume.json: the set's name, the sha256 of that lading.json, the
 * volume's number and the count, and the items it holds. An item is a whole
 * entry under its own path or, for an entry larger than a volume, one part
 * of it ("<path>.part001" …) cut at a multiple of BUNDLE_CHUNK_SIZE, so each
 * part is checked alone against lading.json's chunk values (chunks.h) and
 * the last against the entry's sha256.
 *
 * lading-volume.json is not signed on its own: it only says where to look.
 * Every byte a volume holds is checked against the signed lading.json, and a
 * set read whole must yield every entry exactly once, so a volume json that
 * lies makes the read fail, never accept other bytes.
 *
 * The plan (which item goes in which volume) is a function of lading.json and
 * the volume size alone: the same bundle split again gives the same volumes.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/manifest.h"
#include "lib/err.h"

#define BUNDLE_VOLUME_NAME "lading-volume.json"
#define BUNDLE_VOLUME_MAX BUNDLE_MANIFEST_MAX
/* Volume numbers are written with three digits: at most this many volumes. */
#define BUNDLE_VOLUMES_MAX 999

struct bundle_volume_item {
	char *name;	 /* the tar entry: the entry's path, or "<path>.partNNN" */
	char *path;	 /* the entry of lading.json it holds (a part of) */
	uint64_t offset; /* where it starts in the entry's data (0 for a whole entry) */
	uint64_t size;
	size_t part, parts; /* 1-based part number and count; 0 and 0 for a whole entry */
};

struct bundle_volume {
	char *set;			      /* the set's name: "site" for site.001.tar.zst */
	char lading_json[SHA256_HEX_LEN + 1]; /* sha256 of the set's lading.json */
	size_t number, count;		      /* this volume is number of count (1-based) */
	uint64_t volume_size;		      /* the size the set was cut for */
	struct bundle_volume_item *items;     /* in the volume's tar order */
	size_t item_count;
	struct bundle_volume_item **by_name; /* the items sorted by name, for bundle_volume_find (filled by parse) */
};

/* Parses lading-volume.json (len bytes); fills v (the caller's, bundle_volume_free). */
int bundle_volume_parse(const char *json, size_t len, struct bundle_volume *v, struct lerr *err);

/* Serialises v (deterministic: same volume, same bytes); *out is the caller's. */
int bundle_volume_to_json(const struct bundle_volume *v, char **out, size_t *len, struct lerr *err);

/* The item whose tar name is name, or NULL. */
const struct bundle_volume_item *bundle_volume_find(const struct bundle_volume *v, const char *name);

void bundle_volume_free(struct bundle_volume *v);

/*
 * Parses a volume size: a number with an optional K, M, G or T suffix
 * (powers of 1024), or a medium's name: fat32 (4 GiB - 1), dvd (4.7 GB
 * single layer), dvd-dl, bd25, bd50. Fails with LADING_ERR_USAGE naming it.
 */
int bundle_volume_size_parse(const char *text, uint64_t *out, struct lerr *err);

/*
 * Plans the volumes of m (lading.json of json_len bytes, signature of
 * sig_len) for files of at most volume_size bytes each: entries in
 * lading.json's order (the tar's), a whole entry in the first volume it fits
 * in whole, an entry larger than an empty volume cut into parts at chunk
 * multiples. Sizes are bounded as if zstd could not compress at all, so no
 * volume exceeds volume_size. Fills *out with count volumes (set and
 * lading_json filled in), the caller's (bundle_volume_plan_free). Fails with
 * LADING_ERR_USAGE when the size cannot hold the head and one chunk, or an
 * entry must be cut but lading.json has no chunk values for it.
 */
int bundle_volume_plan(const struct bundle_manifest *m, size_t json_len, size_t sig_len, const char *set,
		       const char *json_sha, uint64_t volume_size, struct bundle_volume **out, size_t *count,
		       struct lerr *err);
void bundle_volume_plan_free(struct bundle_volume *v, size_t count);

/* "DIR/SET.NNN.tar.zst" for volume number of set (the caller frees). */
char *bundle_volume_file(const char *dir, const char *set, size_t number);

#endif
