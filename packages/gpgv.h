#ifndef LADING_PACKAGES_GPGV_H
#define LADING_PACKAGES_GPGV_H

/*
 * An InRelease checked the way apt checks it (SPECS-2 §1.4): gpgv with the
 * source's keyring and --status-fd, GOODSIG and VALIDSIG required. gpgv
 * writes the signed text out; that, never the cleartext of the file itself,
 * is what the caller parses, so nothing unsigned can slip in around the
 * signature.
 */
#include "lib/err.h"

/*
 * Verifies inrelease (a cleartext-signed file) with the program gpgv against
 * keyring (binary, or ASCII-armored: then dearmored into tmp_dir first) and
 * writes the signed text to out_path (which must not exist). what names the
 * file in messages. Fails with LADING_ERR_SIGNATURE naming what, the keyring
 * and gpgv's reason ("not signed by a key in KEYRING (NO_PUBKEY 1234ABCD)"),
 * LADING_ERR_SYSTEM when gpgv cannot be run or the keyring read.
 */
int apt_gpgv_verify(const char *gpgv, const char *keyring, const char *inrelease, const char *out_path,
		    const char *tmp_dir, const char *what, struct lerr *err);

#endif
