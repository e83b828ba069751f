#ifndef LADING_BUNDLE_FORMAT_PATH_H
#define LADING_BUNDLE_FORMAT_PATH_H

/* Longest entry path a bundle may hold (bytes, without NUL). */
#define BUNDLE_PATH_MAX 1024

/*
 * True when path may name an entry of a bundle: relative, '/'-separated, no
 * empty, "." or ".." component, no trailing '/', no backslash or control
 * character, at most BUNDLE_PATH_MAX bytes. Everything extract writes passes this.
 */
int bundle_path_is_safe(const char *path);

/*
 * Copies a tar entry name into out without "./" prefixes and with a trailing
 * '/' dropped (directories), so it can be compared with lading.json paths.
 * Returns -1 when it does not fit in out_len.
 */
int bundle_path_normalise(const char *name, char *out, size_t out_len);

#endif
