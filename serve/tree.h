#ifndef LADING_SERVE_TREE_H
#define LADING_SERVE_TREE_H

/*
 * An allow-list of the regular files under one directory (charts/, providers/,
 * files/), built by walking it once at start. Requests are answered only by an
 * exact match of their relative path against this list: no request text ever
 * becomes a filesystem path, so "..", "%2e%2e", absolute paths and encoded
 * slashes cannot reach anything outside. Symbolic links are not followed.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/log.h"
#include "serve/blob.h"

struct serve_tree;

/*
 * Walks dir (a missing dir gives an empty tree). Skips, with a warning, what
 * is not a regular file or directory. *out is set on success (free with
 * serve_tree_free); fails with LADING_ERR_SYSTEM or LADING_ERR_LIMIT.
 */
int serve_tree_load(const char *dir, const struct logger *lg, struct serve_tree **out, struct lerr *err);
/* The same over the entries of bf (which must outlive the tree) under part/ ("files"): nothing is read. */
int serve_tree_load_bundle(const struct bundle_view *bf, const char *part, struct serve_tree **out, struct lerr *err);
void serve_tree_free(struct serve_tree *tree);

/* Number of files in the list. */
size_t serve_tree_count(const struct serve_tree *tree);

/* Calls fn with every listed path (in no set order) until it returns non-zero, which is returned. */
int serve_tree_each(const struct serve_tree *tree, int (*fn)(void *ctx, const char *rel), void *ctx);

/* True when rel ("a/b.zip", no leading '/') is in the list. */
int serve_tree_has(const struct serve_tree *tree, const char *rel);

/*
 * Opens the listed file rel read-only (no symlink followed); sets *fd (caller
 * closes) and *size. Fails with LADING_ERR_NOTFOUND when rel is not listed.
 */
int serve_tree_open(const struct serve_tree *tree, const char *rel, int *fd, uint64_t *size, struct lerr *err);

/*
 * The listed rel as a blob: an open file of the directory (b->fd, the caller
 * closes it) or an entry of the bundle file. Fails with LADING_ERR_NOTFOUND.
 */
int serve_tree_blob(const struct serve_tree *tree, const char *rel, struct serve_blob *b, struct lerr *err);

#endif
