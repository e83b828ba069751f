/*
 * SSH sessions on libssh2 in non-blocking mode: every wait is a poll(2) with
 * a deadline, so connect, handshake, authentication and commands time out
 * instead of hanging on a dead host. Host keys are checked against
 * known_hosts before any credential is sent.
 */
#define _GNU_SOURCE
#include "provision/ssh/internal.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/xmalloc.h"
#include "provision/ssh/knownhosts.h"

/* Host key algorithms in OpenSSH's order of preference, so we see the key ssh(1) recorded. */
static const char *const ssh_hostkey_default_order[] = {
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    NULL,
};

void ssh_opts_defaults(const struct ssh_opts *in, struct ssh_opts *out)
{
	*out = *in;
	if (out->connect_timeout_ms <= 0)
		out->connect_timeout_ms = 10000;
	if (out->command_timeout_ms < 0)
		out->command_timeout_ms = 0;
	if (out->keepalive_s <= 0)
		out->keepalive_s = 15;
}

int ssh_session_error(struct ssh_session *ss, int code, const char *what, struct lerr *err)
{
	char *message = NULL;

	if (ss->session != NULL)
		libssh2_session_last_error(ss->session, &message, NULL, 0);
	return lerr_about(err, code, ss->name, "%s: %s", what,
			  message != NULL && message[0] != '\0' ? message : "ssh error");
}

int ssh_session_wait(struct ssh_session *ss, double deadline, const char *what, struct lerr *err)
{
	return ssh_session_wait_fd(ss, -1, 0, deadline, what, err);
}

int ssh_session_wait_fd(struct ssh_session *ss, int extra_fd, short extra_events, double deadline, const char *what,
			struct lerr *err)
{
	struct pollfd pfds[2] = {{.fd = ss->sock, .events = 0}, {.fd = extra_fd, .events = extra_events}};
	struct pollfd *pfd = &pfds[0];
	int directions = libssh2_session_block_directions(ss->session);
	int timeout_ms = -1;
	int next_keepalive = 0;

	if (directions & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd->events |= POLLIN;
	if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd->events |= POLLOUT;
	if (pfd->events == 0)
		pfd->events = POLLIN;
	if (deadline > 0) {
		double left = deadline - log_now();

		if (left <= 0)
			return lerr_about(err, LADING_ERR_NETWORK, ss->name, "%s timed out", what);
		timeout_ms = (int)(left * 1000) + 1;
	}
	if (libssh2_keepalive_send(ss->session, &next_keepalive) == 0 && next_keepalive > 0 &&
	    (timeout_ms < 0 || next_keepalive * 1000 < timeout_ms))
		timeout_ms = next_keepalive * 1000;
	if (poll(pfds, extra_fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR) {
		lerr_sys(err, "%s: poll", what);
		return lerr_prefix(err, "%s", ss->name);
	}
	return 0;
}

static void ssh_socket_options(int sock, int keepalive_s)
{
	int on = 1;
	int idle = keepalive_s;
	int count = 3;
	unsigned int user_timeout_ms = (unsigned int)keepalive_s * 4 * 1000;

	/* A dead peer is noticed by TCP (keepalive probes, unacknowledged data) even while idle. */
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(sock, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(sock, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	setsockopt(sock, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
	setsockopt(sock, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
}

/* One non-blocking connect attempt; returns the socket, or -1 with errno set. */
static int ssh_connect_addr(const struct addrinfo *ai, double deadline)
{
	struct pollfd pfd;
	int sock, rc, so_error = 0;
	socklen_t len = sizeof(so_error);

	sock = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (sock < 0)
		return -1;
	if (connect(sock, ai->ai_addr, ai->ai_addrlen) == 0)
		return sock;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = sock;
	pfd.events = POLLOUT;
	do {
		double left = deadline - log_now();

		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
		goto fail;
	if (so_error != 0) {
		errno = so_error;
		goto fail;
	}
	return sock;
fail:
	rc = errno;
	close(sock);
	errno = rc;
	return -1;
}

int ssh_tcp_connect(const char *name, const char *host, int port, int keepalive_s, double deadline, struct lerr *err)
{
	struct addrinfo hints, *list = NULL, *ai;
	char port_text[16];
	int rc, sock = -1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port_text, sizeof(port_text), "%d", port);
	if ((rc = getaddrinfo(host, port_text, &hints, &list)) != 0)
		return lerr_about(err, LADING_ERR_NETWORK, name, "cannot resolve '%s': %s", host, gai_strerror(rc));
	for (ai = list; ai != NULL && sock < 0; ai = ai->ai_next) {
		sock = ssh_connect_addr(ai, deadline);
		if (sock < 0)
			saved = errno;
	}
	freeaddrinfo(list);
	if (sock < 0) {
		if (saved == ETIMEDOUT)
			return lerr_about(err, LADING_ERR_NETWORK, name,
					  "cannot connect to %s port %d: connection timed out", host, port);
		return lerr_about(err, LADING_ERR_NETWORK, name, "cannot connect to %s port %d: %s", host, port,
				  strerror(saved));
	}
	ssh_socket_options(sock, keepalive_s);
	return sock;
}

/* Appends alg to the comma list when libssh2 supports it and it is not there yet. */
static void ssh_add_alg(struct buf *order, const char *alg, const char **supported, int supported_count)
{
	char *needle = xasprintf(",%s,", alg);
	char *haystack = xasprintf(",%s,", order->data != NULL ? order->data : "");
	int i;

	for (i = 0; i < supported_count; i++) {
		if (strcmp(supported[i], alg) == 0 && strstr(haystack, needle) == NULL) {
			buf_printf(order, "%s%s", order->len > 0 ? "," : "", alg);
			break;
		}
	}
	free(needle);
	free(haystack);
}

/* Prefers the key types known_hosts has for the host, then OpenSSH's order; only what libssh2 supports. */
static void ssh_set_hostkey_order(LIBSSH2_SESSION *session, const char *known_types)
{
	const char **supported = NULL;
	int count = libssh2_session_supported_algs(session, LIBSSH2_METHOD_HOSTKEY, &supported);
	struct buf order = BUF_INIT(0);
	char *known = xstrdup(known_types);
	char *item, *save = NULL;
	int i;

	if (count <= 0)
		goto out;
	for (item = strtok_r(known, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if (strcmp(item, "ssh-rsa") == 0) {
			ssh_add_alg(&order, "rsa-sha2-512", supported, count);
			ssh_add_alg(&order, "rsa-sha2-256", supported, count);
		}
		ssh_add_alg(&order, item, supported, count);
	}
	for (i = 0; ssh_hostkey_default_order[i] != NULL; i++)
		ssh_add_alg(&order, ssh_hostkey_default_order[i], supported, count);
	if (order.len > 0)
		libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, order.data);
out:
	if (supported != NULL)
		libssh2_free(session, supported);
	buf_free(&order);
	free(known);
}

static char *ssh_user_known_hosts(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.ssh/known_hosts", home);
}

static int ssh_load_known_hosts(const struct ssh_opts *opts, struct kh_file *kh, struct lerr *err)
{
	char *user_file;
	int rc;

	if (opts->known_hosts != NULL)
		return kh_load(kh, opts->known_hosts, 1, err);
	user_file = ssh_user_known_hosts();
	rc = kh_load(kh, user_file, 1, err);
	free(user_file);
	if (rc == 0)
		rc = kh_load(kh, "/etc/ssh/ssh_known_hosts", 1, err);
	return rc;
}

/* Compares the server's key with known_hosts; records it under accept-new when the host is unknown. */
static int ssh_check_host_key(struct ssh_session *ss, struct kh_file *kh, const char *host, int port,
			      const struct ssh_opts *opts, struct lerr *err)
{
	const unsigned char *blob;
	size_t blob_len = 0;
	int key_kind = 0;
	char type[64], fingerprint[80], *label, *file = NULL;
	int rc = -1;

	blob = (const unsigned char *)libssh2_session_hostkey(ss->session, &blob_len, &key_kind);
	if (blob == NULL || kh_blob_type(blob, blob_len, type, sizeof(type)) != 0)
		return ssh_session_error(ss, LADING_ERR_NETWORK, "no host key", err);
	kh_fingerprint(blob, blob_len, fingerprint, sizeof(fingerprint));
	label = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
	switch (kh_check(kh, host, port, blob, blob_len)) {
	case KH_MATCH:
		rc = 0;
		break;
	case KH_REVOKED:
		lerr_about(err, LADING_ERR_AUTH, ss->name, "host key %s %s of %s is marked @revoked in known_hosts",
			   type, fingerprint, label);
		break;
	case KH_MISMATCH:
		lerr_about(err, LADING_ERR_AUTH, ss->name,
			   "HOST KEY CHANGED for %s: now %s %s, known_hosts has another; refusing (possible "
			   "man-in-the-middle): if the change is expected, remove the old entry (ssh-keygen -R '%s')",
			   label, type, fingerprint, label);
		break;
	case KH_OTHER_TYPE:
		lerr_about(err, LADING_ERR_AUTH, ss->name,
			   "host key of %s is %s %s but known_hosts has only other key types for it; refusing: "
			   "check the host and add this key to known_hosts if it is right",
			   label, type, fingerprint);
		break;
	case KH_NOTFOUND:
		if (opts->host_key_policy != SSH_HOST_KEY_ACCEPT_NEW) {
			lerr_about(err, LADING_ERR_AUTH, ss->name,
				   "unknown host key for %s: %s %s; verify it and add it to known_hosts, or use "
				   "--host-key-policy accept-new",
				   label, type, fingerprint);
			break;
		}
		file = opts->known_hosts != NULL ? xstrdup(opts->known_hosts) : ssh_user_known_hosts();
		if (kh_append(file, host, port, blob, blob_len, err) != 0) {
			lerr_prefix(err, "%s", ss->name);
			break;
		}
		log_msg(opts->lg, LOG_INFO, "%s: recorded host key %s %s for %s in %s", ss->name, type, fingerprint,
			label, file);
		rc = 0;
		break;
	}
	free(label);
	free(file);
	return rc;
}

int ssh_session_start(struct ssh_session *ss, const char *host, int port, const char *user, const char *key_file,
		      const struct ssh_opts *opts, double deadline, struct lerr *err)
{
	struct kh_file *kh = kh_new();
	char *known_types = NULL;
	int rc = -1, r;

	ss->keepalive_s = opts->keepalive_s;
	if (ssh_load_known_hosts(opts, kh, err) != 0)
		goto out;
	if ((ss->session = libssh2_session_init()) == NULL) {
		lerr_about(err, LADING_ERR_SYSTEM, ss->name, "cannot create an ssh session");
		goto out;
	}
	libssh2_session_set_blocking(ss->session, 0);
	known_types = kh_known_types(kh, host, port);
	ssh_set_hostkey_order(ss->session, known_types);
	while ((r = libssh2_session_handshake(ss->session, ss->sock)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_session_wait(ss, deadline, "ssh handshake", err) != 0)
			goto out;
	if (r != 0) {
		ssh_session_error(ss, LADING_ERR_NETWORK, "ssh handshake failed", err);
		goto out;
	}
	if (ssh_check_host_key(ss, kh, host, port, opts, err) != 0)
		goto out;
	if (ssh_auth(ss, user, key_file, deadline, err) != 0)
		goto out;
	libssh2_keepalive_config(ss->session, 1, (unsigned int)opts->keepalive_s);
	rc = 0;
out:
	free(known_types);
	kh_free(kh);
	return rc;
}

void ssh_session_free(struct ssh_session *ss)
{
	if (ss->session != NULL) {
		/* Bounded: a dead peer must not keep us here. */
		libssh2_session_set_timeout(ss->session, 1000);
		libssh2_session_set_blocking(ss->session, 1);
		libssh2_session_disconnect(ss->session, "lading done");
		libssh2_session_free(ss->session);
		ss->session = NULL;
	}
	if (ss->sock >= 0)
		close(ss->sock);
	ss->sock = -1;
}

static char *ssh_local_user(void)
{
	const char *user = getenv("USER");
	struct passwd *pw;

	if (user != NULL && user[0] != '\0')
		return xstrdup(user);
	pw = getpwuid(getuid());
	return xstrdup(pw != NULL ? pw->pw_name : "root");
}

int ssh_conn_open(const struct ssh_target *target, const struct ssh_opts *opts_in, struct ssh_conn **out,
		  struct lerr *err)
{
	struct ssh_opts opts;
	struct ssh_conn *conn;
	char *local_user = ssh_local_user();
	int port = target->port > 0 ? target->port : 22;
	double deadline;
	int sock = -1;

	ssh_opts_defaults(opts_in, &opts);
	deadline = log_now() + opts.connect_timeout_ms / 1000.0;
	conn = xcalloc(1, sizeof(*conn));
	conn->ss.sock = -1;
	conn->name = xstrdup(target->name != NULL ? target->name : target->host);
	conn->user = target->user != NULL && target->user[0] != '\0' ? xstrdup(target->user) : xstrdup(local_user);
	conn->is_root = strcmp(conn->user, "root") == 0;
	if (target->become_user != NULL && target->become_user[0] != '\0' && strcmp(target->become_user, "root") != 0)
		conn->become_user = xstrdup(target->become_user);
	if (target->become_password != NULL)
		conn->become_password = xstrdup(target->become_password);
	else if (opts.become_password != NULL)
		conn->become_password = xstrdup(opts.become_password);
	conn->command_timeout_ms = opts.command_timeout_ms;
	conn->ss.name = conn->name;
	if (target->host == NULL || target->host[0] == '\0') {
		lerr_about(err, LADING_ERR_USAGE, conn->name, "no address (set ansible_host)");
		goto fail;
	}
	if (target->jump != NULL && target->jump[0] != '\0') {
		if (ssh_jump_open(conn->name, target->jump, local_user, target->key_file, target->host, port, &opts,
				  deadline, &conn->jump, &sock, err) != 0)
			goto fail;
	} else if ((sock = ssh_tcp_connect(conn->name, target->host, port, opts.keepalive_s, deadline, err)) < 0) {
		goto fail;
	}
	conn->ss.sock = sock;
	if (ssh_session_start(&conn->ss, target->host, port, conn->user, target->key_file, &opts, deadline, err) != 0)
		goto fail;
	free(local_user);
	*out = conn;
	return 0;
fail:
	free(local_user);
	ssh_conn_close(conn);
	return -1;
}

void ssh_conn_close(struct ssh_conn *conn)
{
	if (conn == NULL)
		return;
	ssh_session_free(&conn->ss);
	if (conn->jump != NULL)
		ssh_jump_close(conn->jump);
	free(conn->name);
	free(conn->user);
	free(conn->become_user);
	ssh_secret_free(conn->become_password);
	free(conn);
}

int ssh_parse_dest(const char *spec, char **user, char **host, int *port)
{
	const char *at = strrchr(spec, '@');
	const char *rest = at != NULL ? at + 1 : spec;
	const char *colon;
	char *end;
	long value;

	*user = at != NULL ? xstrndup(spec, (size_t)(at - spec)) : NULL;
	*port = 22;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (close == NULL)
			goto bad;
		*host = xstrndup(rest + 1, (size_t)(close - rest - 1));
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			goto bad_host;
	} else {
		colon = strchr(rest, ':');
		*host = colon != NULL ? xstrndup(rest, (size_t)(colon - rest)) : xstrdup(rest);
	}
	if ((*host)[0] == '\0')
		goto bad_host;
	if (colon != NULL) {
		errno = 0;
		value = strtol(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == colon + 1 || value < 1 || value > 65535)
			goto bad_host;
		*port = (int)value;
	}
	return 0;
bad_host:
	free(*host);
bad:
	free(*user);
	*user = *host = NULL;
	return -1;
}

char *ssh_sh_quote(const char *s)
{
	struct buf quoted = BUF_INIT(0);

	buf_puts(&quoted, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_puts(&quoted, "'\\''");
		else
			buf_add(&quoted, s, 1, NULL);
	}
	buf_puts(&quoted, "'");
	return buf_detach(&quoted, NULL);
}
