#ifndef LADING_SERVE_DIRSIG_H
#define LADING_SERVE_DIRSIG_H

/*
 * `lading serve DIR` on an extracted bundle: DIR/lading.json.minisig is checked
 * against the trust set exactly as a bundle's (sign/signature.h), and since it
 * signs only lading.json, every file served from DIR (under oci/, charts/,
 * providers/, files/, apt/) must then be listed there with its size and
 * sha256, and every listed one must be present. An unsigned directory is
 * refused like an unsigned bundle, unless --insecure-skip-signature.
 */
#include <stddef.h>

#include "serve/source.h"
#include "lib/err.h"
#include "lib/log.h"

/*
 * Checks dir's signature with the keys of opts->pubkeys (none = the trust directory),
 * its expiry and that it is not older than the bundle of its name accepted before,
 * and records it as accepted. Sets *verified when the signature verified and every
 * served file matched; with opts->insecure_skip_signature, an unsigned or untrusted
 * directory passes with a warning and *verified 0. Fails with LADING_ERR_SIGNATURE
 * naming the file or key, or LADING_ERR_FORMAT/SYSTEM.
 */
int serve_dirsig_check(const char *dir, const struct serve_source_opts *opts, int *verified, struct lerr *err);

#endif
