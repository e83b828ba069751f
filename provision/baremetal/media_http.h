#ifndef LADING_PROVISION_BAREMETAL_MEDIA_HTTP_H
#define LADING_PROVISION_BAREMETAL_MEDIA_HTTP_H

/*
 * The small HTTP server that hands boot ISOs to BMCs during `lading baremetal up`:
 * a node's BMC is told (Redfish VirtualMedia.InsertMedia) to fetch
 * http://HOST:PORT/<name>.iso, and reads it whole or by byte ranges (iDRAC, iLO).
 * Only the paths published with bm_media_add are served, each from its own file,
 * opened per request and streamed from the descriptor: the ISOs carry the nodes'
 * private host keys, so nothing else of the filesystem is reachable (no listing,
 * no traversal). GET and HEAD only; plain HTTP.
 */
#include "lib/err.h"
#include "lib/log.h"

struct bm_media_server;

/*
 * Starts serving on listen ("HOST:PORT", "[v6]:PORT", ":PORT" for every address;
 * PORT digits 0-65535, 0 = any free port) until bm_media_stop. lg (may be NULL) gets one
 * LOG_VERBOSE line per request and must outlive the server. Fills *out; fails
 * with "cannot listen on LISTEN: reason".
 */
int bm_media_start(const char *listen, const struct logger *lg, struct bm_media_server **out, struct lerr *err);

/* The port actually bound (the one chosen for PORT 0). */
int bm_media_port(const struct bm_media_server *srv);

/*
 * Publishes the local file path under url_path (e.g. "/n1.iso"), replacing an
 * earlier publication of the same url_path. Thread-safe; the file is opened per
 * request, so it may be written before the first fetch. Returns 0, or -1 when
 * url_path is not "/" followed by [A-Za-z0-9._-]+ (or is "/." or "/..").
 */
int bm_media_add(struct bm_media_server *srv, const char *url_path, const char *path, struct lerr *err);

/* How many GET requests fetched url_path completely or partly (200 or 206) so far; 0 when unpublished. */
unsigned long bm_media_requests(struct bm_media_server *srv, const char *url_path);

/* Stops serving, closes the socket and frees srv. Accepts NULL. */
void bm_media_stop(struct bm_media_server *srv);

#endif
