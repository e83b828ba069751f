#ifndef LADING_LIB_CAFIND_H
#define LADING_LIB_CAFIND_H

/*
 * Which CA bundle verifies TLS peers when no ca_file is configured. The
 * static release binary carries no distribution's CA path (issue 18), so it
 * looks where each family keeps its bundle.
 */

/* Bundles probed in order: Debian/Ubuntu, RHEL/Fedora (two), SUSE, Alpine and OpenSSL's default. */
extern const char *const cafind_paths[];

/*
 * The bundle libcurl should use, or NULL to leave libcurl's own default:
 * env_cert_file (the value of SSL_CERT_FILE) when set and not empty; else
 * NULL when builtin (libcurl's compiled-in CA file, may be NULL) is a readable
 * file under root; else the first readable regular file of cafind_paths under
 * root ("" or NULL for /); else NULL. Caller frees the result.
 */
char *cafind_bundle(const char *root, const char *env_cert_file, const char *builtin);

#endif
