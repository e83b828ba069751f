#ifndef LADING_LIB_PGPARMOR_H
#define LADING_LIB_PGPARMOR_H

/*
 * OpenPGP ASCII armor (RFC 4880 §6.2) undone for gpgv, which reads binary
 * keyrings only: registries hand out armored keys and apt's Signed-By may
 * name an .asc file.
 */
#include <stddef.h>

#include "lib/buf.h"
#include "lib/err.h"

/* True when data (len bytes) starts, after blank space, with an armor header line. */
int pgp_is_armored(const char *data, size_t len);

/*
 * Appends the binary packets of every "PGP PUBLIC KEY BLOCK" in text (NUL-
 * terminated) to out. Fails with LADING_ERR_FORMAT naming what when there is
 * none or one is damaged.
 */
int pgp_dearmor_keys(const char *what, const char *text, struct buf *out, struct lerr *err);

#endif
