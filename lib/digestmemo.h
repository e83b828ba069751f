#ifndef LADING_DIGESTMEMO_H
#define LADING_DIGESTMEMO_H

/*
 * File digests computed once per run and shared by every thread: a site that
 * copies one 2 GiB driver package to 500 hosts hashes it once, not 500 times.
 * An entry is keyed by the file's device, inode, size, mtime and ctime, so a
 * file changed between hosts is hashed again; a change that keeps all five
 * (same size within one timestamp tick) is caught by the host, which checks
 * what it received against the digest before renaming (ssh_upload). Threads
 * asking for a file being hashed wait for it instead of hashing it too.
 */
#include <stdint.h>

#include "lib/digest.h"
#include "lib/err.h"

struct digest_memo;

/* A new, empty memo (caller frees with digest_memo_free). */
struct digest_memo *digest_memo_new(void);
void digest_memo_free(struct digest_memo *m);

/*
 * The sha256 (hex) and size of the file at path, from the memo when the file
 * is unchanged since it was hashed. m NULL: hashed every time. Returns 0 or -1
 * with err naming the file; a failure is not remembered.
 */
int digest_memo_file(struct digest_memo *m, const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
		     struct lerr *err);

/* How many files were hashed and how many answers came from the memo (tests, --json). */
void digest_memo_counts(struct digest_memo *m, uint64_t *hashed, uint64_t *reused);

#endif
