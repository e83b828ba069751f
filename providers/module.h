#ifndef LADING_PROVIDERS_MODULE_H
#define LADING_PROVIDERS_MODULE_H

/*
 * Terraform modules through the module registry protocol (SPECS-2 §7):
 * service discovery (modules.v1), versions, download (204 + X-Terraform-Get),
 * the archive the location names fetched into the content-addressed store,
 * and a normalized .tar.gz of it (module_archive.c) that serve hands out.
 * A git:: location is handed to the caller's git_tree (providers/ runs no
 * git itself: bundle/gitcarry.c does), which pins its ref to a commit.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"
#include "lib/hostcfg.h"
#include "lib/log.h"

/* An upstream module archive is streamed; this only guards against endless replies. */
#define MODULE_ARCHIVE_MAX (1ull << 30)
/* The unpacked tree of one module: bytes and entries (zip bombs). */
#define MODULE_TREE_MAX (1ull << 30)
#define MODULE_ENTRIES_MAX 100000u
#define MODULE_COMMIT_MAX 64 /* a SHA-256 repository's object ids */

struct module_request {
	const char *source;	    /* "HOST[:PORT]/NAMESPACE/NAME/SYSTEM" */
	const char *version;	    /* Terraform constraint; NULL or "" = newest without prerelease */
	const char *locked_version; /* from lading.lock, or NULL */
	const char *locked_sha256;  /* upstream archive sha256 from lading.lock, or NULL */
	const char *locked_commit;  /* a git:: location's commit from lading.lock, or NULL */
};

struct module_result {
	char *host, *namespace, *name, *system; /* lowercase */
	char *version;				/* exact version fetched */
	char *location;				/* the archive URL (after relative resolution, no //subdir) */
	char *subdir;				/* "//subdir" of the location, or NULL */
	char sha256[SHA256_HEX_LEN + 1];	/* the upstream archive, as recorded in lading.lock ("" for git) */
	char commit[MODULE_COMMIT_MAX + 1];	/* a git:: location's commit id, or "" */
	uint64_t size;
	char tgz_sha256[SHA256_HEX_LEN + 1]; /* the normalized .tar.gz in the store */
	uint64_t tgz_size;
};

/*
 * The tree of a git:: location: url (https, no "git::", no //subdir, no ref=)
 * at ref (branch, tag or commit id; NULL = upstream HEAD) as a tar file that
 * git archive wrote; with locked_commit the ref must still name that commit.
 * Fills commit and *tar_path (newly allocated; the caller removes the file).
 */
typedef int (*module_git_tree_fn)(void *ctx, const char *url, const char *ref, const char *locked_commit,
				  const char *what, char commit[MODULE_COMMIT_MAX + 1], char **tar_path,
				  struct lerr *err);

struct module_fetch_opts {
	const char *store_dir;		   /* content-addressed store root */
	const struct host_set *registries; /* plain_http / ca_file per host; may be NULL */
	int locked;			   /* refuse a request without locked_version */
	const struct logger *lg;	   /* -v messages; may be NULL */
	module_git_tree_fn git_tree;	   /* NULL: git:: locations are refused */
	void *git_ctx;
};

/*
 * Fetches every request; results[i] answers reqs[i]. Fails on the first
 * module that cannot be fetched, naming it: no version matches (listing those
 * there are), a location that is neither an http(s) archive nor git:: https, an
 * archive whose sha256 differs from the locked one (LADING_ERR_SIGNATURE), an
 * entry escaping the archive's root, HTTP errors. *results (free with
 * module_results_free) is set only on success.
 */
int modules_fetch(const struct module_fetch_opts *opts, const struct module_request *reqs, size_t count,
		  struct module_result **results, struct lerr *err);

void module_results_free(struct module_result *results, size_t count);

/* Splits "HOST/NS/NAME/SYSTEM" into lowercase parts (newly allocated); LADING_ERR_USAGE when malformed. */
int module_source_parse(const char *source, char **host, char **namespace, char **name, char **system,
			struct lerr *err);

/* An X-Terraform-Get location taken apart (module_location_parse). */
struct module_location {
	char *url;     /* absolute http(s) URL of the archive, "archive" query parameter removed */
	char *subdir;  /* "a/b" from "//a/b", or NULL */
	char *archive; /* "tar.gz", "tgz", "zip", "tar.bz2", "tar.xz", "tar"; NULL for git */
	int git;       /* a git:: location: url is the repository's https URL */
	char *ref;     /* git: the ref= query parameter, or NULL (upstream HEAD) */
};

/*
 * Resolves location (an X-Terraform-Get value) against download_url as
 * Terraform does ("/x", "./x", "../x" are relative; any other must be an
 * absolute URL), splits off "//subdir" (go-getter's rule) and "?archive=".
 * "git::https://…//sub?ref=R" sets git and ref (depth= is dropped: the ref's
 * whole tree is taken anyway). Fails with LADING_ERR_FORMAT naming what:
 * other forced getters, git over SSH or a non-http(s) scheme, non-http(s)
 * schemes, a subdir with ".." or an absolute one, no archive type.
 * Fills out (module_location_free) only on success.
 */
int module_location_parse(const char *download_url, const char *location, const char *what, struct module_location *out,
			  struct lerr *err);
void module_location_free(struct module_location *loc);

/*
 * Normalizes the archive at path (any tar compression or zip) into a .tar.gz
 * in the store: only the subdir's subtree (or all), entries sorted, mode
 * 0644/0755, uid/gid 0, mtime 0, no gzip timestamp, so the same input gives
 * the same bytes. Refuses (LADING_ERR_FORMAT naming what and the entry) an
 * absolute name or one with "..", links and special files, and caps the tree
 * (LADING_ERR_LIMIT). Fills hex and *size of the stored result.
 */
int module_archive_normalize(const char *path, const char *subdir, const char *store, const char *what,
			     char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err);

/*
 * Where an archive entry goes in the normalized tree: 1 with *out (newly
 * allocated, "./" and trailing '/' removed, the subdir prefix stripped); 0
 * when it is outside subdir or is the root itself; -1 when the name is
 * absolute or has a ".." component.
 */
int module_entry_path(const char *name, const char *subdir, char **out);

#endif
