#ifndef LADING_BUNDLE_SPLIT_H
#define LADING_BUNDLE_SPLIT_H

/*
 * `bundle split` and `bundle create --volume-size`: a bundle cut into a set
 * of volumes (bundle/format/volume.h), "SET.001.tar.zst" … in one pass over
 * the bundle, every entry checked against lading.json as it is read. A volume
 * already there with the same head (a run killed and started again) is kept,
 * not rewritten; each new one goes to a temporary name and is renamed only
 * once whole, and only after every entry it holds was checked.
 */
#include <stddef.h>
#include <stdint.h>

#include "bundle/format/reader.h"
#include "lib/err.h"
#include "lib/log.h"

struct bundle_split_opts {
	uint64_t volume_size; /* the most bytes of one volume file */
	const char *out_dir;  /* NULL: the bundle's directory */
	const char *set;      /* the set's name; NULL: the bundle's file name without .tar.zst */
	int level;	      /* zstd level; 0 = default */
	bundle_head_fn head;  /* the signature check on lading.json; may be NULL */
	void *head_ctx;
	const struct logger *lg;
};

struct bundle_split_result {
	size_t volumes; /* in the set */
	size_t written; /* written by this run */
	size_t kept;	/* already there, whole, from an earlier run */
	uint64_t bytes; /* the volumes' sizes together */
	char *first;	/* the first volume's path (the caller frees with bundle_split_result_free) */
};

int bundle_split(const char *path, const struct bundle_split_opts *opts, struct bundle_split_result *result,
		 struct lerr *err);
void bundle_split_result_free(struct bundle_split_result *result);

/* The set's default name for path: its file name without ".tar.zst" (or ".tzst"); the caller frees. */
char *bundle_split_set_name(const char *path);

#endif
