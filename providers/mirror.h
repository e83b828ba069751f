#ifndef LADING_PROVIDERS_MIRROR_H
#define LADING_PROVIDERS_MIRROR_H

/*
 * The Terraform/OpenTofu mirror layouts (SPECS §4.3, §4.4): packed zips under
 * HOST/NS/TYPE/ plus the network-mirror JSON (index.json, VERSION.json with
 * h1: and zh: hashes) beside them, so one directory serves both ways.
 */
#include <stddef.h>

#include "lib/err.h"

/* "terraform-provider-TYPE_VERSION_OS_ARCH.zip" -> version and "os_arch"; -1 when the name does not fit. */
int provider_zip_name_parse(const char *file_name, const char *type, char *version, size_t version_len, char *platform,
			    size_t platform_len);

/*
 * Scans DIR (= ROOT/HOST/NS/TYPE) for provider zips of type and writes
 * index.json and one VERSION.json per version, atomically, in the format
 * `terraform providers mirror` writes (2-space indent, sorted keys).
 */
int provider_mirror_write_json(const char *dir, const char *type, struct lerr *err);

#endif
