#ifndef LADING_PROVIDERS_DIRHASH_H
#define LADING_PROVIDERS_DIRHASH_H

/*
 * Terraform's package hashes (SPECS §4.5): "h1:" is Go's dirhash.Hash1 over
 * the files of a provider zip (or an unpacked directory); "zh:" is the sha256
 * of the zip bytes.
 */
#include "lib/err.h"

/* "h1:" + base64 = 48 chars + NUL */
#define DIRHASH_H1_MAX 64

/* h1 of a zip: every central-directory entry by its stored name (directories hash as empty). */
int dirhash_h1_zip(const char *zip_path, char out[DIRHASH_H1_MAX], struct lerr *err);

/* h1 of an unpacked directory: every non-directory, found without following links. */
int dirhash_h1_dir(const char *dir, char out[DIRHASH_H1_MAX], struct lerr *err);

/* "zh:" + hex sha256 of the file. */
int dirhash_zh(const char *zip_path, char out[DIRHASH_H1_MAX + 16], struct lerr *err);

#endif
