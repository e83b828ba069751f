#ifndef LADING_URLSTORE_H
#define LADING_URLSTORE_H

/*
 * Plain URLs (http://, https://, file://) fetched into a content-addressed
 * store directory (STORE/blobs/sha256/<hex>, the layout images/store.h uses):
 * streamed to a temporary file in the store, hashed on the way, renamed only
 * when the expected sha256 (if any) matched. Used for chart archives,
 * provider zips and plain files; nothing here knows what they are.
 */
#include <stdint.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/http.h"

/*
 * Fetches url into store. what names the subject in messages ("chart demo
 * 1.2.3"). expect_hex (64 lowercase hex, or NULL) must equal the sha256 of
 * the bytes (else LADING_ERR_SIGNATURE naming what, nothing stored); when the
 * store already has it nothing is fetched. max_bytes > 0 caps the size
 * (LADING_ERR_LIMIT). HTTP 404/410 is LADING_ERR_NOTFOUND, other non-2xx
 * LADING_ERR_NETWORK, both naming the URL and status. Fills hex and *size.
 * An http(s) download with expect_hex resumes: its bytes go to
 * STORE/blobs/sha256/<expect_hex>.partial, kept when the connection breaks,
 * and the next try asks for the rest with a Range request (a server that
 * answers 200 instead is read from the start); the whole file is hashed.
 */
int urlstore_fetch(struct http_session *s, const char *url, const char *store, const char *expect_hex,
		   uint64_t max_bytes, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
		   struct lerr *err);

/*
 * GETs a small document (JSON, YAML, SHA256SUMS) into body, whose cap bounds
 * it. Status errors as for urlstore_fetch. *final_url (may be NULL) gets the
 * URL after redirects, for resolving relative links; the caller frees it.
 */
int urlstore_get(struct http_session *s, const char *url, const char *what, struct buf *body, char **final_url,
		 struct lerr *err);

/* STORE/blobs/sha256/<hex>; newly allocated. */
char *urlstore_path(const char *store, const char *hex);

#endif
