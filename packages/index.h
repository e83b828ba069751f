#ifndef LADING_PACKAGES_INDEX_H
#define LADING_PACKAGES_INDEX_H

/*
 * The binary packages of Packages indexes (SPECS-2 §1.2) for the requested
 * architectures plus Architecture: all, kept with only the fields resolving
 * and fetching need, looked up by name and by provided name. The deb822
 * parser streams: a Packages file is never held whole in memory.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "packages/debversion.h"
#include "packages/namemap.h"

enum apt_multi_arch {
	APT_MA_NO = 0,
	APT_MA_SAME,
	APT_MA_FOREIGN,
	APT_MA_ALLOWED,
};

/* One stanza of a Packages index. Every string is owned by the index; the optional ones are NULL when absent. */
struct apt_pkg {
	const char *name, *version, *arch;
	enum apt_multi_arch multi_arch;
	const char *filename; /* relative to the archive root, or NULL */
	const char *sha256;   /* as written (should be 64 hex), or NULL */
	uint64_t size;
	const char *priority; /* "required", "important", … or NULL */
	int essential;	      /* Essential: yes */
	const char *source;   /* Source field, or NULL */
	/* Relationship fields as written (continuation lines joined); parse with deb_depends_parse. */
	const char *depends, *pre_depends, *provides, *conflicts, *breaks;
};

/* One Provides entry: pkg provides the name, at version (op '=') or unversioned (version NULL). */
struct apt_provide {
	const struct apt_pkg *pkg;
	const char *version;
};

struct apt_name_entry;	/* internal: the packages and Provides entries of one name */
struct apt_arena_chunk; /* internal: the memory every string and apt_pkg lives in */

/* Initialise with apt_index_init; the fields are read-only to callers. */
struct apt_index {
	const struct apt_pkg **pkgs; /* every kept stanza, in load order */
	size_t count;
	/* internal */
	struct apt_name_entry *names;
	size_t name_count;
	struct name_map by_name; /* name -> names[] */
	struct apt_arena_chunk *arena;
};

/*
 * Reads up to len bytes into buf: returns the count, 0 at the end, or -1 with
 * err filled. The caller's stream (a plain file, a decompressor) sits behind
 * ctx.
 */
typedef long (*apt_read_fn)(void *ctx, char *buf, size_t len, struct lerr *err);

void apt_index_init(struct apt_index *idx);

/*
 * Adds the stanzas read from rd to idx: those whose Architecture is one of
 * archs[0..narch-1] or "all". Callable several times on one index (one call
 * per component); a stanza already present (same name, version and
 * architecture) is kept once, the first. what names the stream in errors,
 * which give its line: "main/binary-amd64/Packages:1234: line without ':'"
 * (LADING_ERR_FORMAT), or LADING_ERR_LIMIT for a field over 16 MiB. On
 * failure the stanzas already added stay; free idx as usual.
 */
int apt_index_load(struct apt_index *idx, apt_read_fn rd, void *ctx, const char *what, const char *const *archs,
		   size_t narch, struct lerr *err);

/* apt_index_load on a plain (uncompressed) file; what names it in errors (path when NULL). */
int apt_index_load_file(struct apt_index *idx, const char *path, const char *what, const char *const *archs,
			size_t narch, struct lerr *err);

/*
 * Like apt_index_load, for a dpkg status file (dpkg(1): /var/lib/dpkg/status):
 * keeps the stanzas of packages on the node (a Status state other than
 * not-installed or config-files), of every architecture.
 */
int apt_index_load_status(struct apt_index *idx, apt_read_fn rd, void *ctx, const char *what, struct lerr *err);

/* apt_index_load_status on a plain file; errors name path. */
int apt_index_load_status_file(struct apt_index *idx, const char *path, struct lerr *err);

/* Every stanza of that name (any version, any kept architecture); *count 0 and NULL when none. Owned by idx. */
const struct apt_pkg *const *apt_index_find(const struct apt_index *idx, const char *name, size_t *count);

/* Every Provides entry naming name; *count 0 and NULL when none. Owned by idx. */
const struct apt_provide *apt_index_providers(const struct apt_index *idx, const char *name, size_t *count);

/* Frees everything idx holds (every apt_pkg with it); accepts an initialised, unused index. */
void apt_index_free(struct apt_index *idx);

#endif
