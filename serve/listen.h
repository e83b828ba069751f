#ifndef LADING_SERVE_LISTEN_H
#define LADING_SERVE_LISTEN_H

#include <stddef.h>

#include "lib/err.h"

/*
 * Opens a listening TCP socket (non-blocking, close-on-exec) for "HOST:PORT",
 * "[IPV6]:PORT" or ":PORT" (":PORT" = every interface, only when asked for).
 * Sets *fd and writes the bound address as "host:port" into bound (so port 0
 * shows the port the kernel chose). Fails with LADING_ERR_USAGE for a bad
 * address, LADING_ERR_SYSTEM when bind or listen fails.
 */
int serve_listen_open(const char *address, int *fd, char *bound, size_t bound_len, struct lerr *err);

#endif
