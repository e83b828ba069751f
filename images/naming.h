#ifndef LADING_IMAGES_NAMING_H
#define LADING_IMAGES_NAMING_H

/*
 * Where a source image lands on the far side: the one mapping shared by
 * `lading bundle push` and `lading serve`, so a node pulls the same name from
 * either. Digests never change; only the repository name does.
 *
 *   docker.io/library/nginx:1.27      -> library/nginx           tag 1.27
 *   with prefix "mirror/"              -> mirror/library/nginx
 *   with keep_host                     -> docker.io/library/nginx
 *   keep_host, host with a port        -> registry-5000/team/app  (':' becomes '-')
 */
#include "lib/digest.h"
#include "lib/err.h"

/* Longest repository name accepted (OCI distribution spec, §Pulling: 255 with the host). */
#define NAMING_REPO_MAX 255

struct naming_opts {
	const char *prefix; /* "mirror" or "mirror/" or "a/b/"; NULL or "" = none */
	int keep_host;	    /* keep the source host as the first path element */
};

/* A target name: repository plus the tag (may be NULL) and digest (may be "") of the source. */
struct naming_target {
	char *repository; /* "mirror/library/nginx" */
	char *tag;
	char digest[DIGEST_STR_MAX];
};

/*
 * Maps a source ref to its target repository and tag under opts. Fails with
 * LADING_ERR_FORMAT (ref malformed) or LADING_ERR_USAGE (prefix invalid, or the
 * result is not a valid repository name). Free out with naming_target_free.
 */
int naming_map(const char *ref, const struct naming_opts *opts, struct naming_target *out, struct lerr *err);
void naming_target_free(struct naming_target *target);

/* True when name is a valid repository name (OCI distribution spec grammar, ≤ NAMING_REPO_MAX). */
int naming_repo_valid(const char *name);

/* True when tag matches [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
int naming_tag_valid(const char *tag);

/* Checks a --prefix value: path components of the repository grammar, optional trailing '/'. */
int naming_prefix_check(const char *prefix, struct lerr *err);

#endif
