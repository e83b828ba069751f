/*
 * Head and request deadlines enforced from a watchdog thread (see deadline.h).
 *
 * Why shutdown() from another thread is safe: the socket of a tracked
 * connection is only shut down while its entry is in the list, under the
 * mutex, and libmicrohttpd calls MHD_CONNECTION_NOTIFY_CLOSED (which removes
 * the entry under the same mutex) before it closes the socket. So the
 * descriptor cannot have been closed and reused for something else.
 */
#define _GNU_SOURCE
#include "serve/deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/xmalloc.h"

/* How often the watchdog looks: deadlines are kept to within this. */
#define DEADLINE_TICK_MS 250

struct tracked {
	struct tracked *prev, *next;
	int fd;
	double waiting_since; /* when this connection began waiting for a request head */
	double request_since; /* when the request being answered began (its head's wait) */
	int in_request;	      /* the head arrived; the answer is not complete */
	int shut;	      /* already shut down by the watchdog */
};

struct serve_deadlines {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct tracked *head; /* every open connection */
	int stopping;
	unsigned header_timeout, request_timeout;
	const struct logger *lg;
};

/* Shuts down every connection past a deadline; returns how many (head, request) by pointer. */
static void sweep(struct serve_deadlines *dl, double now, unsigned *late_heads, unsigned *late_requests)
{
	struct tracked *t;

	for (t = dl->head; t != NULL; t = t->next) {
		if (t->shut)
			continue;
		if (!t->in_request && now - t->waiting_since > dl->header_timeout)
			(*late_heads)++;
		else if (t->in_request && dl->request_timeout != 0 && now - t->request_since > dl->request_timeout)
			(*late_requests)++;
		else
			continue;
		/* The event loop sees end-of-file or EPIPE and closes it as a dropped connection. */
		(void)shutdown(t->fd, SHUT_RDWR);
		t->shut = 1;
	}
}

static void *watchdog(void *arg)
{
	struct serve_deadlines *dl = arg;
	struct timespec until;
	unsigned late_heads, late_requests;

	pthread_mutex_lock(&dl->lock);
	while (!dl->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += DEADLINE_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!dl->stopping && pthread_cond_timedwait(&dl->wake, &dl->lock, &until) != ETIMEDOUT)
			;
		late_heads = late_requests = 0;
		sweep(dl, log_now(), &late_heads, &late_requests);
		if (late_heads != 0)
			log_msg(dl->lg, LOG_VERBOSE,
				"http: closed %u connections whose request head was not complete "
				"within --header-timeout %us",
				late_heads, dl->header_timeout);
		if (late_requests != 0)
			log_msg(dl->lg, LOG_VERBOSE,
				"http: closed %u connections whose answer was not complete within "
				"--request-timeout %us",
				late_requests, dl->request_timeout);
	}
	pthread_mutex_unlock(&dl->lock);
	return NULL;
}

int serve_deadlines_start(unsigned header_timeout, unsigned request_timeout, const struct logger *lg,
			  struct serve_deadlines **out, struct lerr *err)
{
	struct serve_deadlines *dl = xcalloc(1, sizeof(*dl));
	pthread_condattr_t attr;
	int rc;

	dl->header_timeout = header_timeout;
	dl->request_timeout = request_timeout;
	dl->lg = lg;
	pthread_mutex_init(&dl->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* log_now() and the waits share one clock */
	pthread_cond_init(&dl->wake, &attr);
	pthread_condattr_destroy(&attr);
	rc = pthread_create(&dl->thread, NULL, watchdog, dl);
	if (rc != 0) {
		pthread_cond_destroy(&dl->wake);
		pthread_mutex_destroy(&dl->lock);
		free(dl);
		errno = rc;
		return lerr_sys(err, "cannot start the connection watchdog thread");
	}
	*out = dl;
	return 0;
}

void serve_deadlines_stop(struct serve_deadlines *dl)
{
	struct tracked *t, *next;

	if (dl == NULL)
		return;
	pthread_mutex_lock(&dl->lock);
	dl->stopping = 1;
	pthread_cond_signal(&dl->wake);
	pthread_mutex_unlock(&dl->lock);
	pthread_join(dl->thread, NULL);
	for (t = dl->head; t != NULL; t = next) { /* none once the daemon stopped; kept for safety */
		next = t->next;
		free(t);
	}
	pthread_cond_destroy(&dl->wake);
	pthread_mutex_destroy(&dl->lock);
	free(dl);
}

void serve_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	struct serve_deadlines *dl = cls;
	const union MHD_ConnectionInfo *info;
	struct tracked *t;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (info == NULL || info->connect_fd == MHD_INVALID_SOCKET)
			return;
		t = xcalloc(1, sizeof(*t));
		t->fd = info->connect_fd;
		t->waiting_since = log_now();
		pthread_mutex_lock(&dl->lock);
		t->next = dl->head;
		if (dl->head != NULL)
			dl->head->prev = t;
		dl->head = t;
		pthread_mutex_unlock(&dl->lock);
		*socket_context = t;
		return;
	}
	t = *socket_context;
	if (t == NULL) /* a connection MHD dropped before it started */
		return;
	pthread_mutex_lock(&dl->lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		dl->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&dl->lock);
	free(t);
	*socket_context = NULL;
}

static struct tracked *tracked_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info != NULL ? info->socket_context : NULL;
}

void serve_deadlines_request_begin(struct serve_deadlines *dl, struct MHD_Connection *conn)
{
	struct tracked *t = tracked_of(conn);

	if (t == NULL)
		return;
	pthread_mutex_lock(&dl->lock);
	t->in_request = 1;
	t->request_since = t->waiting_since;
	pthread_mutex_unlock(&dl->lock);
}

void serve_deadlines_request_end(struct serve_deadlines *dl, struct MHD_Connection *conn)
{
	struct tracked *t = tracked_of(conn);

	if (t == NULL)
		return;
	pthread_mutex_lock(&dl->lock);
	t->in_request = 0;
	t->waiting_since = log_now();
	pthread_mutex_unlock(&dl->lock);
}
