#ifndef LADING_BUNDLE_SOURCES_APT_H
#define LADING_BUNDLE_SOURCES_APT_H

/*
 * bundle create for packages:: each apt source fetched and resolved
 * (packages/), pinned by lading.lock, and laid out under apt/<name>/ at the
 * archive's own paths, so the upstream InRelease still signs what the nodes
 * read.
 */
#include <jansson.h>
#include <stddef.h>

#include "bundle/spec_sources.h"
#include "lib/err.h"
#include "packages/apt.h"

#define BUNDLE_KIND_PACKAGE "package"	  /* a .deb; ref "NAME VERSION ARCH" */
#define BUNDLE_KIND_APT_INDEX "apt-index" /* InRelease and the Packages files it signs */

/* The request packages/ takes for one spec source; pins (from the lock) may be NULL. Free with apt_request_free. */
void apt_request_from_spec(const struct spec_apt *a, struct apt_source_request *req);
void apt_request_free(struct apt_source_request *req);

/*
 * Fetches every source of src into store_dir; results[i] answers src->apts[i].
 * With locked, each source's packages come from lock (the parsed lading.lock)
 * exactly, and a source missing from it is an error naming spec_path:line:col.
 */
int bundle_apt_fetch(const char *spec_path, const struct spec_sources *src, const struct apt_fetch_opts *opts,
		     json_t *lock, int locked, struct apt_source_result **results, struct lerr *err);

/* The "packages" section of lading.lock. */
json_t *bundle_apt_lock_section(const struct spec_sources *src, const struct apt_source_result *results);

void bundle_apt_results_free(struct apt_source_result *results, size_t count);

#endif
