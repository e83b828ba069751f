#ifndef LADING_CHARTS_REPO_WRITE_H
#define LADING_CHARTS_REPO_WRITE_H

/*
 * Writing a Helm chart repository (SPECS §3.1): index.yaml with one entry per
 * chart archive, urls relative to the index ("<name>-<version>.tgz") and the
 * hex sha256 digest, so any static server (or `lading serve`) can serve the
 * directory as is.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/err.h"

struct chart_repo_entry {
	const char *name;
	const char *version;
	const char *app_version; /* or NULL */
	const char *api_version; /* or NULL (v2) */
	const char *description; /* or NULL */
	const char *digest_hex;	 /* sha256 of the .tgz */
};

/*
 * Renders index.yaml for entries into out (generated = seconds since the
 * epoch, for a deterministic file): charts sorted by name, versions newest
 * first, every string double-quoted.
 */
void chart_repo_index_render(const struct chart_repo_entry *entries, size_t count, int64_t generated, struct buf *out);

/* "<name>-<version>.tgz", the archive name Helm uses; newly allocated. */
char *chart_repo_archive_name(const char *name, const char *version);

/*
 * Scans dir for *.tgz chart archives (each read with chart_archive_read and
 * hashed) and writes dir/index.yaml atomically. Fails naming an archive that
 * is not a chart or whose file name is not <name>-<version>.tgz.
 */
int chart_repo_write_index(const char *dir, int64_t generated, struct lerr *err);

#endif
