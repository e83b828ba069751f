#ifndef LADING_SIGN_FRESHNESS_H
#define LADING_SIGN_FRESHNESS_H

/*
 * Rollback protection for the isolated side: per bundle name, the creation time
 * of the newest bundle accepted here, kept in $LADING_STATE/bundles/ (default
 * /var/lib/lading). A verified bundle older than that record is refused unless
 * the user allows a downgrade, as TUF refuses an older snapshot.
 */
#include <stdint.h>

#include "lib/err.h"

#define FRESH_STATE_DEFAULT "/var/lib/lading"

/* $LADING_STATE when set and not empty, else FRESH_STATE_DEFAULT. */
const char *fresh_state_dir(void);

/*
 * Fails (LADING_ERR_SIGNATURE, naming what, both times and the record's path) when the
 * record for name is newer than created. No record, or one for an equal or older time,
 * passes. An unreadable or damaged record fails too: it names the file to fix.
 */
int fresh_check(const char *state_dir, const char *name, int64_t created, const char *what, struct lerr *err);

/*
 * Records created (and the sha256 of lading.json) for name unless the record already holds
 * a newer time; written atomically. Creates state_dir/bundles/ when missing.
 */
int fresh_record(const char *state_dir, const char *name, int64_t created, const char *json_sha256, struct lerr *err);

#endif
