#ifndef LADING_BUNDLE_PUSH_SOURCE_H
#define LADING_BUNDLE_PUSH_SOURCE_H

/*
 * One entry of a format 2 bundle as an upload body for `bundle push` from the
 * file (registry_blob_read_fn): a thread reads the entry through the bundle
 * view (bundle_view_read_range: each 4 MiB chunk decompressed and checked
 * before a byte of it is handed out) and hands each verified chunk straight to
 * the upload's reads, without a copy of its own, so a blob in flight holds
 * one chunk and one zstd context however large the blob or the PATCH chunk.
 * Reads go forward; a read at another offset (an upload started again after
 * a broken connection) restarts the thread there. Shared by bundle/push*.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/view.h"
#include "lib/err.h"

struct push_stream;

/* A stream over e's data in view (both outlive it); nothing is read before the first push_stream_read. */
struct push_stream *push_stream_new(const struct bundle_view *view, const struct bundle_entry *e);

/*
 * registry_blob_read_fn: up to len verified bytes at offset into buf; -1 with
 * the view's error (naming the bundle, the entry and the chunk) when a chunk
 * fails its check or the file cannot be read.
 */
long push_stream_read(void *stream, uint64_t offset, void *buf, size_t len, struct lerr *err);

/* Stops the thread and frees s; accepts NULL. */
void push_stream_free(struct push_stream *s);

#endif
