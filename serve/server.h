#ifndef LADING_SERVE_SERVER_H
#define LADING_SERVE_SERVER_H

/*
 * serve/: `lading serve`, the embedded read-only server: the OCI distribution
 * API, the Helm repository, the provider network mirror and plain files,
 * from a directory or a verified bundle (extracted once into the cache).
 * May include: bundle/format/, bundle/, sign/, images/, lib/
 */

/*
 * The HTTP(S) server of `lading serve` on libmicrohttpd: a pool of threads
 * answering the read-only OCI distribution API, the Helm repository, the
 * provider network mirror and plain files from a loaded serve_content.
 */
#include "lib/err.h"
#include "lib/log.h"
#include "serve/content.h"

struct serve_server_opts {
	const struct serve_content *content; /* borrowed; must outlive the server */
	int listen_fd;			     /* bound, listening, non-blocking; the server closes it on stop */
	const char *tls_cert_pem;	     /* PEM text, or NULL for plain HTTP */
	const char *tls_key_pem;	     /* PEM text (secret: the caller wipes it after stop) */
	const char *base_url;		     /* advertised "https://host:port" for Helm URLs; NULL = from Host */
	unsigned threads;		     /* worker threads (>= 1) */
	unsigned max_connections;	     /* open connections at most, all clients together */
	unsigned max_per_client;	     /* open connections at most from one IP address */
	unsigned header_timeout;	     /* seconds for a whole request head (see deadline.h) */
	unsigned request_timeout;	     /* seconds for a whole request and its answer; 0 = none */
	const struct logger *lg;	     /* access log: one line per request on lg->out, or JSON on stdout */
};

struct serve_server;

/*
 * Starts the daemon threads and the deadline watchdog. *out is set on success;
 * fails with LADING_ERR_SYSTEM.
 */
int serve_server_start(const struct serve_server_opts *opts, struct serve_server **out, struct lerr *err);

/*
 * Stops accepting connections, lets requests in flight finish for at most
 * grace_seconds, then stops every thread, closes the listening socket and frees srv.
 */
void serve_server_stop(struct serve_server *srv, unsigned grace_seconds);

#endif
