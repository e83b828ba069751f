#ifndef LADING_YAMLTREE_H
#define LADING_YAMLTREE_H

#include <stddef.h>

#include "err.h"

/*
 * A YAML document as a small tree that remembers where each node came from,
 * so config readers can report "file:line:col: message". Aliases are expanded;
 * depth and node count are capped (no billion laughs).
 */
enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode;

struct ypair {
	struct ynode *key;
	struct ynode *value;
};

struct ynode {
	enum ynode_type type;
	const char *file; /* owned by the ydoc */
	int line;	  /* 1-based */
	int col;	  /* 1-based */
	char *value;	  /* scalars: the text */
	int plain;	  /* scalars: written without quotes (so `yes`, `1` may be typed) */
	size_t count;	  /* items in a sequence or pairs in a map */
	struct ynode **items;
	struct ypair *pairs;
};

struct ydoc {
	char *file;
	struct ynode *root; /* NULL for an empty document */
};

/* Parses a file (at most max_bytes). Caller frees with ydoc_free. */
int ydoc_load_file(struct ydoc *doc, const char *path, size_t max_bytes, struct lerr *err);
/* Parses memory; name is used in messages. */
int ydoc_load_string(struct ydoc *doc, const char *name, const char *data, size_t len, struct lerr *err);
void ydoc_free(struct ydoc *doc);

/* "mapping", "sequence", "scalar". */
const char *ynode_type_name(enum ynode_type type);

/* The value for key in a map, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* Fails with "file:line:col: what: expected a TYPE" unless node has the type. */
int ynode_expect(const struct ynode *node, enum ynode_type type, const char *what, struct lerr *err);

/* Fails naming the first key of map not in the NULL-terminated allowed list. */
int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *where, struct lerr *err);

/* Reads a scalar as a string (any scalar), bool (true/false/yes/no), or integer in [min,max]. */
int ynode_string(const struct ynode *node, const char *what, const char **out, struct lerr *err);
int ynode_bool(const struct ynode *node, const char *what, int *out, struct lerr *err);
int ynode_int(const struct ynode *node, const char *what, long long min, long long max, long long *out,
	      struct lerr *err);

/* Sets err to "file:line:col: <message>" for node; returns -1. */
int ynode_error(const struct ynode *node, struct lerr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
