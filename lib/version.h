#ifndef LADING_LIB_VERSION_H
#define LADING_LIB_VERSION_H

#include <stdio.h>

/*
 * The version printed by `lading --version`, sent as the HTTP User-Agent and
 * recorded in every bill of lading. Kept in lib/ so every layer can read it
 * without including anything above lib/.
 */
#define LADING_VERSION "0.1.0"

/* The commit built from ("unknown" outside a git checkout), static storage. */
const char *version_commit(void);

/*
 * Writes `lading --version`: "lading X.Y.Z" on the first line, then the
 * commit and each library linked in with its run-time version, one per line.
 * Returns 0, or -1 when out cannot be written.
 */
int version_print(FILE *out);

#endif
