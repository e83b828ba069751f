#ifndef LADING_IMAGES_REGISTRY_TAGS_H
#define LADING_IMAGES_REGISTRY_TAGS_H

#include <stddef.h>

#include "images/registry.h"

/* Tag lists are read into memory page by page: this caps all pages together. */
#define REGISTRY_TAGS_MAX_BYTES (8u << 20)

/*
 * Lists every tag of the client's repository (OCI distribution §1.5),
 * following Link rel="next" pages. *tags (free each and the array) is set
 * only on success; an unknown repository is LADING_ERR_NOTFOUND.
 */
int registry_tags_list(struct registry_client *c, char ***tags, size_t *count, struct lerr *err);

#endif
