#ifndef LADING_INVENTORY_RANGE_H
#define LADING_INVENTORY_RANGE_H

/*
 * Host patterns as Ansible's inventory plugins read them: an optional ":port"
 * and ranges "[01:16]", "[a:f]", "[0:30:10]" expanded in place.
 */
#include <stddef.h>

#include "lib/err.h"

/* Most names one pattern may expand to ("h[1:1000][1:1000]" multiplies); lading-inventory(5). */
#define INV_RANGE_MAX 100000

/*
 * Expands every [begin:end[:step]] in pattern (zero padding kept when begin has a
 * leading zero, letters over a-zA-Z). *names is an allocated array of allocated
 * strings (free with inv_range_free). On a bad range, fails with a message
 * without position and sets *bad_offset to the offset of its '['.
 */
int inv_range_expand(const char *pattern, char ***names, size_t *count, size_t *bad_offset, struct lerr *err);
void inv_range_free(char **names, size_t count);

/*
 * Splits "host:port", "[v6addr]:port" (ranges in host allowed) into an allocated
 * host part and a port (0 when absent). Fails on a port outside 1..65535.
 */
int inv_host_port(const char *pattern, char **host, int *port, struct lerr *err);

#endif
