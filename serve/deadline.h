#ifndef LADING_SERVE_DEADLINE_H
#define LADING_SERVE_DEADLINE_H

/*
 * Absolute deadlines for the connections of `lading serve`. libmicrohttpd's
 * own timeout is one of inactivity: a client that sends one byte every few
 * seconds never trips it. Here every connection is tracked from the moment it
 * opens (MHD_OPTION_NOTIFY_CONNECTION): the whole request head must arrive
 * within header_timeout seconds of the connection opening (or of the previous
 * answer on a kept-alive one), and a request must be answered completely
 * within request_timeout seconds of its head starting. A watchdog thread
 * shuts down the socket of a connection past either deadline, and the
 * server's event loop then closes it as it closes any connection the client
 * dropped.
 */
#include <microhttpd.h>

#include "lib/err.h"
#include "lib/log.h"

struct serve_deadlines;

/*
 * Starts the watchdog thread. request_timeout 0 = no total deadline. Fails with
 * LADING_ERR_SYSTEM when the thread cannot start. Free with serve_deadlines_stop.
 */
int serve_deadlines_start(unsigned header_timeout, unsigned request_timeout, const struct logger *lg,
			  struct serve_deadlines **out, struct lerr *err);

/* Stops and joins the watchdog and frees dl; call after MHD_stop_daemon. Accepts NULL. */
void serve_deadlines_stop(struct serve_deadlines *dl);

/* The MHD_OPTION_NOTIFY_CONNECTION callback (cls is the struct serve_deadlines). */
void serve_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code);

/* The head of a request on conn is complete (first call of the access handler). */
void serve_deadlines_request_begin(struct serve_deadlines *dl, struct MHD_Connection *conn);

/* The request on conn is over; a kept-alive connection waits for its next head from now. */
void serve_deadlines_request_end(struct serve_deadlines *dl, struct MHD_Connection *conn);

#endif
