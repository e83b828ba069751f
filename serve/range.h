#ifndef LADING_SERVE_RANGE_H
#define LADING_SERVE_RANGE_H

#include <stdint.h>

/* What a Range header asks of a resource of a known size (RFC 9110 §14.2). */
enum http_range {
	HTTP_RANGE_NONE = 0,	      /* no header, a syntax we ignore, or several ranges: send it all (200) */
	HTTP_RANGE_OK = 1,	      /* one satisfiable range: *start, *length are set (206) */
	HTTP_RANGE_UNSATISFIABLE = 2, /* 416 with Content-Range: bytes * /size */
};

/*
 * Parses header (may be NULL) against size. Accepts one "bytes=first-last",
 * "bytes=first-" or "bytes=-suffix"; last is clamped to size - 1. Anything
 * malformed is ignored as the RFC allows; never fails.
 */
enum http_range http_range_parse(const char *header, uint64_t size, uint64_t *start, uint64_t *length);

#endif
