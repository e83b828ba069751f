#ifndef LADING_BUNDLE_FILES_H
#define LADING_BUNDLE_FILES_H

/*
 * The `files:` of lading.yaml: plain files from http://, https:// or file://
 * URLs, each pinned by a sha256, brought into the content-addressed store
 * (the same shape as images_fetch). The bundle carries them as files/<name>.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/hostcfg.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/log.h"

#define BUNDLE_KIND_FILE "file"
/* Longest accepted name (a relative path under files/). */
#define FILE_NAME_MAX 255

struct file_request {
	const char *url;    /* http://, https:// or file:///abs/path */
	const char *sha256; /* 64 lowercase hex digits, or NULL (then update_hashes must be set) */
	const char *name;   /* relative path under files/; NULL = last component of the URL path */
};

struct file_result {
	char *name;			 /* checked relative path */
	char *url;			 /* as requested */
	char sha256[SHA256_HEX_LEN + 1]; /* of the bytes fetched */
	uint64_t size;
	int hash_was_missing; /* the request had no sha256 (update_hashes): write this one into the spec */
};

struct file_fetch_opts {
	const char *store_dir;		   /* content-addressed store root */
	const struct host_set *registries; /* ca_file / insecure_skip_verify per host; may be NULL */
	int update_hashes;		   /* a request without sha256 is fetched and its hash reported */
	const struct logger *lg;	   /* may be NULL */
};

/*
 * Fetches every request; results[i] answers reqs[i]. Fails on the first file
 * that cannot be fetched, naming it: missing sha256 (without update_hashes),
 * bad name, duplicate name, hash mismatch (nothing stored), HTTP errors.
 * *results (free with file_results_free) is set only on success.
 */
int files_fetch(const struct file_fetch_opts *opts, const struct file_request *reqs, size_t count,
		struct file_result **results, struct lerr *err);

void file_results_free(struct file_result *results, size_t count);

/*
 * The name a file gets: name when given, else the last component of the URL
 * path. Fails with LADING_ERR_USAGE unless it is a safe relative path (no
 * leading '/', no '.', '..' or empty components, no control characters or
 * backslashes, at most FILE_NAME_MAX bytes). *out is newly allocated.
 */
int file_name_resolve(const char *url, const char *name, char **out, struct lerr *err);

#endif
