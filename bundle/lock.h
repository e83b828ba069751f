#ifndef LADING_BUNDLE_LOCK_H
#define LADING_BUNDLE_LOCK_H

/*
 * lading.lock, next to lading.yaml: the exact digest every image reference
 * resolved to. `create --locked` fetches exactly these and resolves nothing.
 */
#include <stddef.h>

#include "lib/err.h"

#define BUNDLE_LOCK_NAME "lading.lock"
#define BUNDLE_LOCK_VERSION 1
#define BUNDLE_LOCK_MAX (8u << 20)

struct bundle_lock_image {
	char *ref;    /* as written in lading.yaml */
	char *digest; /* "sha256:…" it resolved to upstream */
};

struct bundle_lock {
	struct bundle_lock_image *images;
	size_t count;
};

/* "<dir of spec_path>/lading.lock"; the caller frees it. */
char *bundle_lock_path(const char *spec_path);

/*
 * Reads a lock file. A missing file gives an empty lock, unless must_exist
 * (then LADING_ERR_NOTFOUND). Malformed content is LADING_ERR_FORMAT naming
 * the file. Fills lock (bundle_lock_free) only on success.
 */
int bundle_lock_load(const char *path, int must_exist, struct bundle_lock *lock, struct lerr *err);

/* The digest locked for ref, or NULL; owned by lock. */
const char *bundle_lock_find(const struct bundle_lock *lock, const char *ref);

/* Sets (adds or replaces) the digest for ref. */
void bundle_lock_set(struct bundle_lock *lock, const char *ref, const char *digest);

/* Writes the lock atomically, entries sorted by ref, so equal locks are equal bytes. */
int bundle_lock_save(const char *path, const struct bundle_lock *lock, struct lerr *err);

void bundle_lock_free(struct bundle_lock *lock);

#endif
