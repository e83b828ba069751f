#ifndef LADING_BUNDLE_PUSH_GIT_H
#define LADING_BUNDLE_PUSH_GIT_H

/*
 * bundle push --git-url (issue 20): each carried git/NAME.bundle into URL/NAME.git on the site's Git server
 * with `git push` of the carried refs only (explicit REF:REF refspecs, never --mirror, --prune or --force,
 * so other refs there are left alone and a non-fast-forward is refused, naming the ref). Credentials go to
 * git through an askpass helper reading the environment, never on a command line.
 */
#include <stddef.h>

#include "bundle/format/reader.h"
#include "lib/err.h"
#include "lib/log.h"

struct git_push_opts {
	const char *url;      /* the base URL: http(s):// or file:// */
	const char *ca_file;  /* http.sslCAInfo, or NULL */
	int insecure;	      /* http.sslVerify=false */
	const char *username; /* or NULL: no credentials */
	const char *password;
	const char *tmp_dir; /* NULL: $TMPDIR or /var/tmp */
	int dry_run;	     /* verify and list, push nothing */
	bundle_head_fn head; /* signature check on lading.json; may be NULL */
	void *head_ctx;
	const struct logger *lg;
};

struct git_push_target {
	char *name;   /* NAME of git/NAME.bundle */
	char *target; /* URL/NAME.git */
	size_t ref_count;
};

struct git_push_result {
	struct git_push_target *targets; /* every carried repository (also with dry_run) */
	size_t target_count;
	size_t repositories; /* pushed */
	size_t refs_updated; /* new or fast-forwarded */
	size_t refs_current; /* the site already had the id */
};

/*
 * Reads the bundle (every entry verified), then pushes each repository it carries. Fails naming the
 * repository and the URL: a rejected ref (non-fast-forward: not forced), credentials refused (git's
 * message, which holds no password), TLS. LADING_ERR_USAGE when the bundle carries no repository.
 */
int git_push_bundle(const char *bundle_path, const struct git_push_opts *opts, struct git_push_result *res,
		    struct lerr *err);

/* Frees what res holds; accepts a zeroed res. */
void git_push_result_free(struct git_push_result *res);

#endif
