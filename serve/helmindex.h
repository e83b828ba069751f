#ifndef LADING_SERVE_HELMINDEX_H
#define LADING_SERVE_HELMINDEX_H

/*
 * A Helm repository index.yaml with every chart URL pointed at this server:
 * entries.<name>[i].urls[j] becomes BASE/charts/<file>, where <file> is the
 * last path element of the old URL. Everything else passes through libyaml
 * event by event, so the document keeps its keys, tags and scalar styles.
 */
#include <stddef.h>

#include "lib/buf.h"
#include "lib/err.h"

/*
 * Rewrites the index text (name is used in messages) into out (appended,
 * caller frees). base is "https://host:port" without trailing '/'. Fails with
 * LADING_ERR_FORMAT and name:line:col when the text is not YAML.
 */
int helm_index_rewrite(const char *name, const char *text, size_t len, const char *base, struct buf *out,
		       struct lerr *err);

/*
 * Calls fn(file, arg) for the file name of every chart URL in the index (the
 * same element the rewrite uses); lets the caller check them against the files
 * it serves. Fails as helm_index_rewrite, or when fn returns -1.
 */
int helm_index_each_file(const char *name, const char *text, size_t len, int (*fn)(const char *file, void *arg),
			 void *arg, struct lerr *err);

#endif
