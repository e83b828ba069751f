#ifndef LADING_IMAGES_REGISTRY_PUSH_H
#define LADING_IMAGES_REGISTRY_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "images/registry.h"
#include "lib/err.h"

/* The push side of the registry client (OCI distribution §1.4). */

enum registry_blob_outcome {
	REGISTRY_BLOB_PRESENT = 1, /* HEAD found it: nothing sent */
	REGISTRY_BLOB_MOUNTED = 2, /* cross-repository mount: nothing sent */
	REGISTRY_BLOB_SENT = 3,	   /* uploaded */
};

/* Blobs larger than this go up in PATCH chunks of this size unless the caller says otherwise. */
#define REGISTRY_CHUNK_DEFAULT (16 * 1024 * 1024)

/* HEAD a blob: *exists is 1 (200) or 0 (404); anything else fails. */
int registry_blob_exists(struct registry_client *c, const char *digest, int *exists, struct lerr *err);

/*
 * Reads up to len bytes of a blob at offset into buf (offsets go forward
 * within a request and start again from 0 or a chunk's start after a broken
 * connection): the count, above 0, or -1 with err filled, which aborts the
 * request so that the registry never commits the blob.
 */
typedef long (*registry_blob_read_fn)(void *arg, uint64_t offset, void *buf, size_t len, struct lerr *err);

/* A blob to upload and where its bytes come from. */
struct registry_blob_body {
	const char *digest;
	uint64_t size;
	registry_blob_read_fn read;
	void *arg;
};

/*
 * Puts the blob body into the client's repository unless it is already there,
 * as registry_blob_push does; its bytes come from body->read, streamed (a PATCH
 * chunk is never held in memory). When read fails, a monolithic PUT is aborted
 * mid-body and a chunked upload never gets its closing PUT (the session is
 * cancelled), so nothing of the blob is committed; that error is returned
 * as read gave it and the blob is not started again.
 */
int registry_blob_push_from(struct registry_client *c, const struct registry_blob_body *body, const char *mount_from,
			    uint64_t chunk_size, registry_progress_fn progress, void *progress_arg, int *outcome,
			    struct lerr *err);

/*
 * Puts the stored blob digest (size bytes, read from STORE/blobs/sha256/<hex>)
 * into the client's repository unless it is already there: a mount from
 * mount_from (a repository of the same registry, or NULL) when the registry
 * allows it, else one monolithic PUT up to chunk_size bytes, else PATCH chunks
 * of chunk_size and a closing PUT. Relative and absolute Location headers are
 * followed. A broken connection restarts the blob (3 attempts). *outcome says
 * what happened.
 */
int registry_blob_push(struct registry_client *c, const char *store, const char *digest, uint64_t size,
		       const char *mount_from, uint64_t chunk_size, registry_progress_fn progress, void *progress_arg,
		       int *outcome, struct lerr *err);

/*
 * PUT a manifest or index under reference (tag or digest) with its media type;
 * checks the registry's Docker-Content-Digest against the bytes sent.
 */
int registry_manifest_put(struct registry_client *c, const char *reference, const char *media_type, const void *data,
			  size_t len, struct lerr *err);

#endif
