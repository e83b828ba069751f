#ifndef LADING_BUNDLE_GITCARRY_H
#define LADING_BUNDLE_GITCARRY_H

/*
 * git: repositories carried as git bundles (issue 20): the upstream's refs (git ls-remote), a bare mirror
 * in the cache (<cache>/git/<sha256 of url>.git, git fetch --prune of the carried refs), and a bundle of
 * exactly those refs written by lading itself: the "# v2 git bundle" header and a pack from
 * `git pack-objects --revs --no-reuse-delta --no-reuse-object --threads=1`, so its bytes depend only on
 * the carried commits and not on how the mirror or the upstream happen to be packed (a rebuild from
 * lading.lock is byte-identical). `git bundle verify` checks it before it enters the content store.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"
#include "lib/hostcfg.h"
#include "lib/log.h"

#define GIT_OID_MAX 64 /* a SHA-256 repository's object ids */

struct git_ref_id {
	char *ref;		  /* "refs/heads/main", "refs/tags/v1" */
	char id[GIT_OID_MAX + 1]; /* the object it names (a tag object for annotated tags) */
};

struct git_request {
	const char *url, *name;
	const char *const *refs; /* as in lading.yaml; none = every branch and tag */
	size_t ref_count;
	const struct git_ref_id *locked; /* from lading.lock (create --locked), or NULL */
	size_t locked_count;
	const char *locked_sha256; /* the bundle's sha256 from lading.lock, or NULL */
	const char *locked_head;   /* HEAD's branch from lading.lock, or NULL */
};

struct git_result {
	char *url, *name;
	struct git_ref_id *refs; /* sorted by ref */
	size_t ref_count;
	char *head;			 /* the carried branch upstream HEAD points at, or NULL */
	char sha256[SHA256_HEX_LEN + 1]; /* the bundle in the content store */
	uint64_t size;
};

struct git_fetch_opts {
	const char *store_dir;		   /* the cache: content store and git/ mirrors */
	const struct host_set *registries; /* ca_file, insecure_skip_verify, username/password per host; may be NULL */
	const struct logger *lg;
};

/*
 * Fetches every request into a bundle in the store; results[i] answers reqs[i]. With locked refs, exactly
 * those are carried and each must still have its locked id upstream (else LADING_ERR_USAGE naming the
 * repository, the ref, the locked id and the upstream one); a locked bundle already in the store is reused.
 * Fails on the first repository that cannot be carried, naming it. *results (git_results_free) only on
 * success.
 */
int git_fetch_all(const struct git_fetch_opts *opts, const struct git_request *reqs, size_t count,
		  struct git_result **results, struct lerr *err);

void git_results_free(struct git_result *results, size_t count);

/*
 * A git:: module location's tree (providers/module.h's module_git_tree_fn; ctx: a struct git_fetch_opts): ref
 * of url (a branch or tag name, "refs/…", a full commit id on a branch or tag, or NULL for upstream HEAD's
 * branch) fetched into url's mirror in the cache and pinned to its commit, which must equal locked_commit when
 * given (else LADING_ERR_USAGE naming both); then `git archive --format=tar` of that commit into a temporary
 * file of the store, *tar_path (newly allocated; the caller removes it).
 */
int git_module_tree(void *ctx, const char *url, const char *ref, const char *locked_commit, const char *what,
		    char commit[GIT_OID_MAX + 1], char **tar_path, struct lerr *err);

/* Frees what one result holds (not the result itself) and zeroes it. */
void git_result_clear(struct git_result *res);

/* The row ref of git/<name>.bundle: "URL [HEAD=REF] REF=ID…" (no spaces in either); newly allocated. */
char *git_row_ref(const struct git_result *res);

/*
 * Parses a row ref made by git_row_ref into res (url, head, refs; name and sha256 left empty).
 * LADING_ERR_FORMAT when malformed; fills res (git_result_clear) only on success.
 */
int git_row_parse(const char *ref, struct git_result *res, struct lerr *err);

#endif
