#ifndef LADING_UTCTIME_H
#define LADING_UTCTIME_H

/*
 * UTC times as lading writes them (RFC 3339, "2026-11-23T09:00:00Z", the form of
 * lading.json's "created" and of signature expiry) and durations as users type
 * them ("90d", "12h", "2w").
 */
#include <stdint.h>

#define UTC_TIME_MAX 32

/* Formats seconds since the epoch; out of range gives 1970-01-01T00:00:00Z. */
void utc_time_format(int64_t seconds, char out[UTC_TIME_MAX]);
/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ"; returns 0, or -1 when text is anything else. */
int utc_time_parse(const char *text, int64_t *seconds);
/*
 * Parses a positive duration: a number and one unit of s, m, h, d or w ("90d"); returns
 * 0, or -1 for anything else (no unit, zero, overflow past year 9999).
 */
int duration_parse(const char *text, int64_t *seconds);

#endif
