#ifndef LADING_PACKAGES_DEBS_H
#define LADING_PACKAGES_DEBS_H

/*
 * The .deb files of a resolved closure, checked and brought into the store
 * (internal to packages/: source.c calls it).
 */
#include <stddef.h>

#include "lib/err.h"
#include "packages/apt.h"

/*
 * True when filename is a safe path relative to the archive root: no leading
 * '/', no empty, "." or ".." component, no backslash or control character.
 */
int apt_filename_safe(const char *filename);

/*
 * Downloads every package's Filename below base_url into the store, in
 * parallel (opts->workers), each checked against its signed sha256 and size
 * (a mismatch is LADING_ERR_SIGNATURE naming source and the package; nothing
 * is stored). The first failure stops the rest.
 */
int apt_debs_fetch(const struct apt_fetch_opts *opts, const char *source, const char *base_url,
		   const struct apt_package *pkgs, size_t count, struct lerr *err);

#endif
