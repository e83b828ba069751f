/*
 * OpenSSL TLS in front of libmicrohttpd (see tls_front.h): the accept thread,
 * the handshake and the relay of each connection.
 */
#define _GNU_SOURCE
#include "serve/tls_front.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/xmalloc.h"

/* Bytes in flight per direction per connection: one TLS record's plaintext. */
#define RELAY_BUF 16384
/* Each connection's thread needs little: OpenSSL's handshake is the deepest user. */
#define CONN_STACK (256 * 1024)

struct tls_front {
	SSL_CTX *ctx;
	struct MHD_Daemon *daemon;
	int listen_fd;
	int quiesce_fd; /* eventfd: readable once the accept thread is to end */
	int stop_fd;	/* eventfd: readable once every connection is to end */
	unsigned handshake_timeout, max_connections, max_per_client;
	const struct logger *lg;
	pthread_t acceptor;
	int accepting; /* the accept thread runs (joined by quiesce) */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct conn *open; /* the connection of each thread running, under lock */
};

struct conn {
	struct conn *prev, *next; /* in front->open */
	struct tls_front *front;
	int tcp;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char name[88]; /* "address:port" for the log */
};

/* One direction of the relay: bytes read and not yet written on. */
struct relay_buf {
	char data[RELAY_BUF];
	size_t off, len;
};

static const char *ssl_reason(void)
{
	unsigned long code = ERR_peek_last_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;

	return reason ? reason : "connection closed";
}

/* A key with a passphrase cannot be asked for in a server: fail, never prompt. */
static int no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return -1;
}

static int ctx_load(SSL_CTX *ctx, const char *cert_pem, const char *key_pem, struct lerr *err)
{
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (bio == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "serve: out of memory reading --tls-cert");
	cert = PEM_read_bio_X509_AUX(bio, NULL, no_passphrase, NULL);
	if (cert == NULL || SSL_CTX_use_certificate(ctx, cert) != 1) {
		lerr_set(err, LADING_ERR_USAGE, "serve: --tls-cert holds no usable PEM certificate (%s)", ssl_reason());
		goto out;
	}
	/* The rest of the file is the chain sent with it, issuer after issuer. */
	for (;;) {
		X509 *issuer = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);

		if (issuer == NULL)
			break;
		if (SSL_CTX_add0_chain_cert(ctx, issuer) != 1) {
			X509_free(issuer);
			lerr_set(err, LADING_ERR_USAGE, "serve: --tls-cert: a chain certificate is refused (%s)",
				 ssl_reason());
			goto out;
		}
	}
	ERR_clear_error(); /* the loop ends on "no start line" at the end of the file */
	BIO_free(bio);
	bio = BIO_new_mem_buf(key_pem, -1);
	if (bio == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "serve: out of memory reading --tls-key");
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (key == NULL && strstr(key_pem, "ENCRYPTED") != NULL) {
		lerr_set(err, LADING_ERR_USAGE,
			 "serve: --tls-key has a passphrase, which a server cannot ask for: decrypt it "
			 "(openssl pkey -in KEY -out KEY.plain) into a file only the server's user can read");
		goto out;
	}
	if (key == NULL) {
		lerr_set(err, LADING_ERR_USAGE, "serve: --tls-key holds no private key lading can read (%s)",
			 ssl_reason());
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		lerr_set(err, LADING_ERR_USAGE, "serve: --tls-key is not the key of the certificate in --tls-cert");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/*
 * Waits until fd is ready for events, stop_fd is readable, or timeout_ms
 * passes (-1: no limit). Returns 1 when fd is ready, 0 otherwise.
 */
static int wait_ready(int fd, short events, int stop_fd, int timeout_ms)
{
	struct pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
	int n;

	do
		n = poll(fds, 2, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 && fds[1].revents == 0 && fds[0].revents != 0;
}

/* What SSL_get_error asks to wait for; 0 for an error or the end of the session. */
static short ssl_wants(SSL *ssl, int ret)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	default:
		return 0;
	}
}

static int handshake(struct conn *c, SSL *ssl)
{
	struct tls_front *front = c->front;
	double deadline = log_now() + front->handshake_timeout;
	short wants;
	int ret;

	for (;;) {
		ERR_clear_error();
		ret = SSL_accept(ssl);
		if (ret == 1)
			return 0;
		wants = ssl_wants(ssl, ret);
		if (wants == 0) {
			log_msg(front->lg, LOG_VERBOSE, "https: %s: handshake failed: %s", c->name, ssl_reason());
			return -1;
		}
		if (log_now() >= deadline ||
		    !wait_ready(c->tcp, wants, front->stop_fd, (int)((deadline - log_now()) * 1000) + 1)) {
			log_msg(front->lg, LOG_VERBOSE, "https: %s: no handshake within %u s", c->name,
				front->handshake_timeout);
			return -1;
		}
	}
}

/*
 * Moves bytes both ways between the TLS session and libmicrohttpd's end of the
 * pair until either side closes or the front stops. Ends of stream: a client's
 * close_notify becomes a half-close towards libmicrohttpd; libmicrohttpd
 * closing (after an answer, on a deadline or at stop) ends the session.
 */
static void relay(struct conn *c, SSL *ssl, int pair)
{
	struct relay_buf *down = xcalloc(1, sizeof(*down)); /* client -> server */
	struct relay_buf *up = xcalloc(1, sizeof(*up));	    /* server -> client */
	int tls_eof = 0, pair_shut = 0, ret;
	ssize_t n;

	for (;;) {
		struct pollfd fds[3] = {{c->tcp, 0, 0}, {pair, 0, 0}, {c->front->stop_fd, POLLIN, 0}};
		int progress = 0;

		if (!tls_eof && down->len == 0) {
			ERR_clear_error();
			ret = SSL_read(ssl, down->data, sizeof(down->data));
			if (ret > 0) {
				down->off = 0;
				down->len = (size_t)ret;
				progress = 1;
			} else if ((fds[0].events |= ssl_wants(ssl, ret)) == 0) {
				/* close_notify, or a client gone without one: nothing more comes */
				tls_eof = 1;
			}
		}
		if (down->len > 0) {
			n = send(pair, down->data + down->off, down->len, MSG_NOSIGNAL);
			if (n > 0) {
				down->off += (size_t)n;
				down->len -= (size_t)n;
				progress = 1;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				fds[1].events |= POLLOUT;
			} else {
				break;
			}
		}
		if (tls_eof && down->len == 0 && !pair_shut) {
			(void)shutdown(pair, SHUT_WR);
			pair_shut = 1;
		}
		if (up->len == 0) {
			n = recv(pair, up->data, sizeof(up->data), 0);
			if (n > 0) {
				up->off = 0;
				up->len = (size_t)n;
				progress = 1;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				fds[1].events |= POLLIN;
			} else {
				/* libmicrohttpd closed the connection: everything it sent is out */
				ERR_clear_error();
				(void)SSL_shutdown(ssl);
				break;
			}
		}
		if (up->len > 0) {
			ERR_clear_error();
			ret = SSL_write(ssl, up->data + up->off, (int)up->len);
			if (ret > 0) {
				up->off += (size_t)ret;
				up->len -= (size_t)ret;
				progress = 1;
			} else if ((fds[0].events |= ssl_wants(ssl, ret)) == 0) {
				break; /* the client is gone */
			}
		}
		if (progress)
			continue;
		/* a socket waited on for nothing is left out: its hang-up alone would wake poll at once, again and
		 * again */
		for (int i = 0; i < 2; i++)
			if (fds[i].events == 0)
				fds[i].fd = -1;
		if (fds[0].fd < 0 && fds[1].fd < 0)
			break; /* nothing left to wait for */
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[2].revents != 0)
			break;
	}
	free(down);
	free(up);
}

static void conn_serve(struct conn *c)
{
	struct tls_front *front = c->front;
	SSL *ssl = SSL_new(front->ctx);
	int pair[2] = {-1, -1};

	if (ssl == NULL || SSL_set_fd(ssl, c->tcp) != 1) {
		log_msg(front->lg, LOG_WARN, "https: %s: cannot start a TLS session: %s", c->name, ssl_reason());
		goto out;
	}
	if (handshake(c, ssl) != 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) {
		log_msg(front->lg, LOG_WARN, "https: %s: socketpair: %s", c->name, strerror(errno));
		goto out;
	}
	/* MHD owns (and closes) pair[1] from here on, even when it refuses it */
	if (MHD_add_connection(front->daemon, pair[1], (const struct sockaddr *)&c->peer, c->peer_len) != MHD_YES) {
		log_msg(front->lg, LOG_VERBOSE, "https: %s: the HTTP server refused the connection (%s)", c->name,
			strerror(errno));
		goto out;
	}
	relay(c, ssl, pair[0]);
out:
	if (pair[0] >= 0)
		close(pair[0]);
	SSL_free(ssl);
	close(c->tcp);
}

/* Takes c out of front->open; under the lock. */
static void conn_unlink(struct tls_front *front, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		front->open = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct tls_front *front = c->front;

	conn_serve(c);
	pthread_mutex_lock(&front->lock);
	conn_unlink(front, c);
	pthread_cond_broadcast(&front->idle);
	pthread_mutex_unlock(&front->lock);
	free(c);
	return NULL;
}

static void conn_name(struct conn *c)
{
	char host[64], port[16];

	if (getnameinfo((struct sockaddr *)&c->peer, c->peer_len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(c->name, sizeof(c->name), "client");
	else if (c->peer.ss_family == AF_INET6)
		snprintf(c->name, sizeof(c->name), "[%s]:%s", host, port);
	else
		snprintf(c->name, sizeof(c->name), "%s:%s", host, port);
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
			      sizeof(struct in_addr)) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return 0;
}

/*
 * The limits libmicrohttpd keeps for the connections it holds, kept here too
 * for handshakes, which it never sees: one address holding max_per_client
 * connections cannot crowd out others. Called under the lock; names the limit
 * reached, or returns NULL.
 */
static const char *over_limit(struct tls_front *front, const struct conn *c)
{
	const struct conn *o;
	unsigned all = 0, same = 0;

	for (o = front->open; o != NULL; o = o->next) {
		all++;
		same += same_address(&o->peer, &c->peer);
	}
	if (all >= front->max_connections)
		return "--max-connections";
	return same >= front->max_per_client ? "--max-conns-per-client" : NULL;
}

/* Starts the thread of one accepted connection, or closes it past a limit. */
static void conn_start(struct tls_front *front, struct conn *c, const pthread_attr_t *attr)
{
	const char *limit;
	pthread_t thread;

	conn_name(c);
	pthread_mutex_lock(&front->lock);
	limit = over_limit(front, c);
	if (limit == NULL) {
		c->next = front->open;
		if (front->open != NULL)
			front->open->prev = c;
		front->open = c;
		/* the thread may end at once: c is not touched here after this */
		if (pthread_create(&thread, attr, conn_main, c) == 0) {
			pthread_mutex_unlock(&front->lock);
			return;
		}
		conn_unlink(front, c);
		limit = "threads";
	}
	pthread_mutex_unlock(&front->lock);
	log_msg(front->lg, LOG_VERBOSE, "https: %s: closed at once (%s reached)", c->name, limit);
	close(c->tcp);
	free(c);
}

static void *accept_main(void *arg)
{
	struct tls_front *front = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONN_STACK);
	while (wait_ready(front->listen_fd, POLLIN, front->quiesce_fd, -1)) {
		struct conn *c = xcalloc(1, sizeof(*c));

		c->front = front;
		c->peer_len = sizeof(c->peer);
		c->tcp =
		    accept4(front->listen_fd, (struct sockaddr *)&c->peer, &c->peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->tcp < 0) {
			/* EAGAIN: another took it; EMFILE and the like: wait for a close */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
				log_msg(front->lg, LOG_WARN, "https: accept: %s", strerror(errno));
				(void)wait_ready(front->quiesce_fd, POLLIN, -1, 100);
			}
			free(c);
			continue;
		}
		conn_start(front, c, &attr);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int tls_front_start(const struct tls_front_opts *opts, struct tls_front **out, struct lerr *err)
{
	struct tls_front *front = xcalloc(1, sizeof(*front));

	front->ctx = SSL_CTX_new(TLS_server_method());
	if (front->ctx == NULL) {
		free(front);
		return lerr_set(err, LADING_ERR_SYSTEM, "serve: cannot set up TLS: %s", ssl_reason());
	}
	SSL_CTX_set_min_proto_version(front->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(front->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(front->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (ctx_load(front->ctx, opts->cert_pem, opts->key_pem, err) != 0)
		goto fail;
	front->daemon = opts->daemon;
	front->listen_fd = opts->listen_fd;
	front->handshake_timeout = opts->handshake_timeout;
	front->max_connections = opts->max_connections;
	front->max_per_client = opts->max_per_client;
	front->lg = opts->lg;
	pthread_mutex_init(&front->lock, NULL);
	pthread_cond_init(&front->idle, NULL);
	front->quiesce_fd = eventfd(0, EFD_CLOEXEC);
	front->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (front->quiesce_fd < 0 || front->stop_fd < 0) {
		lerr_sys(err, "serve: eventfd");
		goto fail_fds;
	}
	if (pthread_create(&front->acceptor, NULL, accept_main, front) != 0) {
		lerr_set(err, LADING_ERR_SYSTEM, "serve: cannot start the TLS accept thread");
		goto fail_fds;
	}
	front->accepting = 1;
	*out = front;
	return 0;
fail_fds:
	if (front->quiesce_fd >= 0)
		close(front->quiesce_fd);
	if (front->stop_fd >= 0)
		close(front->quiesce_fd);
	close(front->stop_fd);
	pthread_cond_destroy(&front->idle);
	pthread_mutex_destroy(&front->lock);
fail:
	SSL_CTX_free(front->ctx);
	free(front);
	return -1;
}

/* Makes an eventfd readable for good: every poll on it wakes. */
static void signal_fd(int fd)
{
	uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void tls_front_quiesce(struct tls_front *front)
{
	if (front == NULL || !front->accepting)
		return;
	signal_fd(front->quiesce_fd);
	pthread_join(front->acceptor, NULL);
	front->accepting = 0;
}

void tls_front_stop(struct tls_front *front)
{
	if (front == NULL)
		return;
	tls_front_quiesce(front);
	signal_fd(front->stop_fd);
	pthread_mutex_lock(&front->lock);
	while (front->open != NULL)
		pthread_cond_wait(&front->idle, &front->lock);
	pthread_mutex_unlock(&front->lock);
	close(front->quiesce_fd);
	close(front->stop_fd);
	pthread_cond_destroy(&front->idle);
	pthread_mutex_destroy(&front->lock);
	SSL_CTX_free(front->ctx);
	free(front);
}
