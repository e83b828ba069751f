#ifndef LADING_BUNDLE_CACHE_H
#define LADING_BUNDLE_CACHE_H

/*
 * The content-addressed cache blobs are fetched into before a bundle is
 * written: $LADING_CACHE, default ~/.cache/lading, holding blobs/sha256/<hex>.
 * images_fetch() fills it (it is its store_dir); the writer streams from it.
 */
#include "lib/err.h"

/* The cache directory's path, not created ($LADING_CACHE, else ~/.cache/lading). *out is the caller's. */
int bundle_cache_path(char **out, struct lerr *err);

/* The cache directory (created with blobs/sha256 inside). *out is the caller's. */
int bundle_cache_dir(char **out, struct lerr *err);

/* "<cache>/blobs/sha256/<hex>" for a "sha256:<hex>" digest; NULL when digest is not sha256. Caller frees. */
char *bundle_cache_blob_path(const char *cache_dir, const char *digest);

#endif
