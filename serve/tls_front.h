#ifndef LADING_SERVE_TLS_FRONT_H
#define LADING_SERVE_TLS_FRONT_H

/*
 * HTTPS for `lading serve` through OpenSSL, in front of libmicrohttpd. An
 * accept thread takes each TCP connection; a thread per connection does the
 * TLS handshake (bounded by handshake_timeout), then hands one end of a
 * socket pair to libmicrohttpd (MHD_add_connection, with the client's
 * address) and moves bytes between the TLS session and the other end.
 * libmicrohttpd speaks plain HTTP on the pair and keeps its per-address
 * limits, deadlines and access log.
 *
 * Why not libmicrohttpd's own TLS: it is GnuTLS, a second TLS stack beside
 * the OpenSSL every client of lading uses, and one the static release binary
 * would have to carry (with nettle and gmp) for this one server.
 */
#include <microhttpd.h>

#include "lib/err.h"
#include "lib/log.h"

struct tls_front_opts {
	int listen_fd;		    /* bound and listening; stays the caller's to close */
	const char *cert_pem;	    /* the certificate, then its chain, PEM */
	const char *key_pem;	    /* its private key, PEM (secret; read, not kept) */
	struct MHD_Daemon *daemon;  /* started with MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC */
	unsigned handshake_timeout; /* seconds from accept to a finished handshake */
	unsigned max_connections;   /* TLS connections at most, handshakes included */
	unsigned max_per_client;    /* of those, from one IP address at most */
	const struct logger *lg;    /* handshake failures at LOG_VERBOSE */
};

struct tls_front;

/*
 * Loads the certificate and key (a key that does not match the certificate,
 * or one with a passphrase, fails with LADING_ERR_USAGE) and starts the
 * accept thread. *out is set on success; free with tls_front_stop.
 */
int tls_front_start(const struct tls_front_opts *opts, struct tls_front **out, struct lerr *err);

/* Stops accepting connections; those open go on. */
void tls_front_quiesce(struct tls_front *front);

/*
 * Ends every connection, waits for their threads and frees front (call after
 * MHD_stop_daemon, so no request is cut short). Accepts NULL.
 */
void tls_front_stop(struct tls_front *front);

#endif
