#ifndef LADING_BUNDLE_SOURCES_GIT_H
#define LADING_BUNDLE_SOURCES_GIT_H

/*
 * git: repositories of lading.yaml (issue 20): the checks made on what the spec names before any git
 * command sees it. git is run later with argv only (never a shell), so these checks are what stands
 * between the spec's text and git's option parser and remote helpers (ext::, fd::, --upload-pack=).
 */
#include "lib/err.h"

/* 0 when url is an https://, http:// or file:// URL git may be given as a plain argument. */
int git_url_check(const char *url, struct lerr *err);

/* The repository's default name: the URL's last path component without ".git" (a valid source name). */
int git_name_from_url(const char *url, char **out, struct lerr *err);

/* 0 when ref names a branch or tag lading can carry ("main", "v1.2.0", "refs/tags/v1"; no options, no "..",
 * no wildcards, no control characters). */
int git_ref_check(const char *ref, struct lerr *err);

#endif
