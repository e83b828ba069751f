#ifndef LADING_BUNDLE_FORMAT_VIEW_H
#define LADING_BUNDLE_FORMAT_VIEW_H

/*
 * A read-only view of a format 2 bundle file, for `lading serve` and
 * `bundle push` (issue 16):
 * lading.json and its signature come from the head (frame 0), the seek table
 * from the file's end, and any range of any entry is read by decompressing
 * only the frames it lies in, each 4 MiB chunk checked against lading.json's
 * chaining values (the last against the entry's sha256) before a byte of it
 * is handed out (bundle_range_read). Nothing is extracted.
 *
 * Trust comes from lading.json alone: the seek table and the offsets only say
 * where to look. A table or offset that lies makes the bytes found there fail
 * their chunk check, so the request fails; it never yields unverified bytes.
 *
 * Thread-safe after open: the manifest and table are read-only, the file is
 * read with pread, each range read has its own zstd context and chunk buffer,
 * and the chunk cache has its own lock.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/chunkcache.h"
#include "bundle/format/chunks.h"
#include "bundle/format/manifest.h"
#include "bundle/format/reader.h"
#include "lib/buf.h"
#include "lib/err.h"

struct bundle_view;

/*
 * Opens path, reads its head (lading.json checked and parsed, its signature),
 * calls head (may be NULL; the signature check, before anything else is
 * trusted) and reads the seek table. Returns 1 with *out set (the caller's,
 * bundle_view_close) when the bundle can be served from the file; 0 when
 * it cannot (a v1 bundle, a format 2 one without a seek table or without
 * offsets and chunk values), with why saying so, for a fallback to
 * extraction; -1 with err set when the file, its head, the signature check or
 * its seek table fail (a table that does not reach every entry's data).
 */
int bundle_view_open(const char *path, bundle_head_fn head, void *head_ctx, struct bundle_view **out, struct lerr *err);

/*
 * A delta (lading.json names a base) reads the entries it leaves to its base
 * from base_path, opened as a view too: its lading.json must have the sha256
 * the delta names (the delta's signature covers that digest, so the base
 * needs none of its own) and list every such entry with the same size and
 * sha256. Returns 1 once attached (reads of those entries then go to the
 * base), 0 when the base cannot be read from its file (err says why: extract
 * instead), -1 with err set. Before bf is shared.
 */
int bundle_view_attach_base(struct bundle_view *bf, const char *base_path, struct lerr *err);

/*
 * Where a delta's in_base entries come from when no base is attached: fn
 * fills out (an empty buf) with the whole entry from elsewhere (push: the
 * target registry, which already holds the base). The view checks its size
 * and sha256 against the delta's lading.json before handing out a byte. Only
 * for entries up to BUNDLE_VIEW_FETCH_MAX (manifests and indexes). Before bf
 * is shared.
 */
#define BUNDLE_VIEW_FETCH_MAX (4u << 20)
typedef int (*bundle_view_fetch_fn)(void *ctx, const struct bundle_entry *e, struct buf *out, struct lerr *err);
void bundle_view_set_fetch(struct bundle_view *bf, bundle_view_fetch_fn fn, void *ctx);

/* The parsed lading.json (entries sorted by path); owned by bf. */
const struct bundle_manifest *bundle_view_manifest(const struct bundle_view *bf);

/* The bundle's path, as given to open. */
const char *bundle_view_path(const struct bundle_view *bf);

/* The entry for path ("oci/index.json"), or NULL. */
const struct bundle_entry *bundle_view_find(const struct bundle_view *bf, const char *path);

/*
 * Hands [offset, offset + len) of e's data, verified, to out in order (see
 * bundle_range_read). len 0 succeeds at once. Fails with LADING_ERR_SIGNATURE
 * naming the bundle, the entry and the chunk when a chunk disagrees with
 * lading.json (nothing of that chunk was handed out), LADING_ERR_FORMAT on a
 * damaged frame, LADING_ERR_SYSTEM on I/O, or whatever out returned.
 */
int bundle_view_read_range(const struct bundle_view *bf, const struct bundle_entry *e, uint64_t offset, uint64_t len,
			   bundle_range_fn out, void *ctx, struct lerr *err);

/*
 * Reads the whole of path's entry (verified) into out, an empty buf the
 * caller frees; for small metadata (oci/index.json, manifests, index.yaml,
 * provider JSON). Fails with LADING_ERR_USAGE when the bundle has no such
 * entry and LADING_ERR_FORMAT when it is larger than max bytes.
 */
int bundle_view_read_all(const struct bundle_view *bf, const char *path, size_t max, struct buf *out, struct lerr *err);

/* The chunk cache a view opens with: 32 MiB of chunks and two zstd contexts (see chunkcache.h). */
#define BUNDLE_VIEW_CACHE_SLOTS 8
#define BUNDLE_VIEW_CACHE_READERS 2

/* Replaces bf's chunk cache with one of slots chunks and readers zstd contexts; before bf is shared. */
void bundle_view_set_cache(struct bundle_view *bf, size_t slots, size_t readers);

/*
 * Pins the verified chunk of e that holds byte at of its data, from the
 * view's bounded cache, reading and checking it when it is not there (see
 * chunk_cache_get); unpin it with bundle_view_chunk_put before asking for
 * another. For many short reads of the same bytes (serve's answers); a single
 * pass over a range is cheaper through bundle_view_read_range.
 */
int bundle_view_chunk_get(const struct bundle_view *bf, const struct bundle_entry *e, uint64_t at,
			  struct chunk_ref *ref, struct lerr *err);
void bundle_view_chunk_put(const struct bundle_view *bf, struct chunk_ref *ref);
void bundle_view_cache_stats(const struct bundle_view *bf, struct chunk_cache_stats *out);

/* Closes the file and frees bf; accepts NULL. */
void bundle_view_close(struct bundle_view *bf);

#endif
