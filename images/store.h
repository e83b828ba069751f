#ifndef LADING_IMAGES_STORE_H
#define LADING_IMAGES_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/err.h"

/*
 * The content-addressed store: STORE/blobs/sha256/<hex>. A blob appears under
 * its final name only after its digest matched (temporary name, fsync,
 * rename). Downloads in progress live in <hex>.partial, locked with flock so
 * two processes never write one, and are resumed from their length.
 */

/* STORE/blobs/sha256/<hex>; newly allocated. digest must be a valid sha256 digest. */
char *store_blob_path(const char *store, const char *digest);
/* True when the blob is in the store under its final name. */
int store_has(const char *store, const char *digest);

/* The store a command uses when given none: $LADING_CACHE, else $HOME/.cache/lading (./.cache/lading without HOME). The
 * caller frees it. */
char *store_default_dir(void);
/* Creates STORE/blobs/sha256. */
int store_init(const char *store, struct lerr *err);
/* Checks data against digest (LADING_ERR_SIGNATURE) and writes it atomically unless present. */
int store_put(const char *store, const char *digest, const void *data, size_t len, struct lerr *err);
/* Reads a small stored blob into out (whose cap bounds it). */
int store_read(const char *store, const char *digest, struct buf *out, struct lerr *err);

struct sha256_ctx;

/* A download into <hex>.partial. */
struct store_partial {
	char *final_path;
	char *partial_path;
	char digest[DIGEST_STR_MAX];
	uint64_t size;	 /* expected size */
	uint64_t offset; /* bytes in the partial file */
	int fd;
	struct sha256_ctx *sha;
};

/*
 * Opens (creating or resuming) the partial file of digest, waiting for another
 * process holding it. *complete is 1 (and nothing is open) when the blob is
 * already stored. The bytes already there are hashed; p->offset says how many.
 */
int store_partial_open(const char *store, const char *digest, uint64_t size, struct store_partial *p, int *complete,
		       struct lerr *err);
/* Appends bytes; more than the expected size is LADING_ERR_SIGNATURE. */
int store_partial_write(struct store_partial *p, const void *data, size_t len, struct lerr *err);
/* Drops what the partial file holds and starts again from byte 0. */
int store_partial_restart(struct store_partial *p, struct lerr *err);
/*
 * Checks size and digest and renames the partial file to the final name. On a
 * mismatch the partial file is removed and LADING_ERR_SIGNATURE names the digest.
 */
int store_partial_finish(struct store_partial *p, struct lerr *err);
/* Removes the partial file (its bytes are known bad); close still needed. */
void store_partial_discard(struct store_partial *p);
/* Closes (keeping the partial file for a later resume) and frees; safe after finish. */
void store_partial_close(struct store_partial *p);

#endif
