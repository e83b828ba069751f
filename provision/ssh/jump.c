/*
 * Jump hosts (ProxyJump): a session to the bastion, a direct-tcpip channel from
 * it to the target, and a socketpair whose other end the target's session
 * uses as its socket. A thread owns the bastion session and copies bytes
 * between the channel and the socketpair until either side ends.
 */
#define _GNU_SOURCE
#include "provision/ssh/internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/xmalloc.h"

#define JUMP_CHUNK 32768
#define JUMP_LINGER_S 2.0

struct ssh_jump {
	struct ssh_session ss; /* the bastion */
	char *label;
	LIBSSH2_CHANNEL *channel;
	int fd; /* our end of the socketpair */
	pthread_t thread;
	int thread_started;
	char up[JUMP_CHUNK]; /* target session -> channel */
	size_t up_len, up_off;
	char down[JUMP_CHUNK]; /* channel -> target session */
	size_t down_len, down_off;
	int up_eof, down_eof, eof_sent;
};

/* Target session -> channel; returns 1 on progress, 0 when blocked, -1 when the tunnel broke. */
static int jump_up(struct ssh_jump *jump)
{
	ssize_t n;
	int progress = 0;

	if (!jump->up_eof && jump->up_len == 0) {
		n = recv(jump->fd, jump->up, sizeof(jump->up), MSG_DONTWAIT);
		if (n > 0) {
			jump->up_len = (size_t)n;
			jump->up_off = 0;
			progress = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			jump->up_eof = 1;
		}
	}
	if (jump->up_off < jump->up_len) {
		n = libssh2_channel_write(jump->channel, jump->up + jump->up_off, jump->up_len - jump->up_off);
		if (n > 0) {
			jump->up_off += (size_t)n;
			if (jump->up_off == jump->up_len)
				jump->up_off = jump->up_len = 0;
			progress = 1;
		} else if (n != LIBSSH2_ERROR_EAGAIN) {
			return -1;
		}
	}
	if (jump->up_eof && jump->up_len == 0 && !jump->eof_sent) {
		n = libssh2_channel_send_eof(jump->channel);
		if (n == 0)
			jump->eof_sent = progress = 1;
		else if (n != LIBSSH2_ERROR_EAGAIN)
			return -1;
	}
	return progress;
}

/* Channel -> target session; same returns as jump_up. */
static int jump_down(struct ssh_jump *jump)
{
	ssize_t n;
	int progress = 0;

	if (!jump->down_eof && jump->down_len == 0) {
		n = libssh2_channel_read(jump->channel, jump->down, sizeof(jump->down));
		if (n > 0) {
			jump->down_len = (size_t)n;
			jump->down_off = 0;
			progress = 1;
		} else if (n == 0 && libssh2_channel_eof(jump->channel)) {
			jump->down_eof = 1;
			shutdown(jump->fd, SHUT_WR);
		} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			return -1;
		}
	}
	if (jump->down_off < jump->down_len) {
		n = send(jump->fd, jump->down + jump->down_off, jump->down_len - jump->down_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			jump->down_off += (size_t)n;
			if (jump->down_off == jump->down_len)
				jump->down_off = jump->down_len = 0;
			progress = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return progress;
}

/* One round of copying; returns 1 on progress, 0 when blocked, -1 when the tunnel is finished. */
static int jump_round(struct ssh_jump *jump)
{
	int up, down;

	if ((up = jump_up(jump)) < 0 || (down = jump_down(jump)) < 0)
		return -1;
	if (jump->up_eof && jump->down_eof && jump->up_len == 0 && jump->down_len == 0)
		return -1;
	return up || down;
}

static void *jump_thread(void *arg)
{
	struct ssh_jump *jump = arg;
	double linger_until = 0;
	int r;

	for (;;) {
		if ((r = jump_round(jump)) < 0)
			break;
		if (jump->up_eof && linger_until == 0)
			linger_until = log_now() + JUMP_LINGER_S;
		if (r > 0)
			continue;
		{
			short events = 0;

			if (!jump->up_eof && jump->up_len == 0)
				events |= POLLIN;
			if (jump->down_len > 0)
				events |= POLLOUT;
			if (ssh_session_wait_fd(&jump->ss, jump->fd, events, linger_until, "jump host", NULL) != 0)
				break;
		}
	}
	/* Whatever happened, the target session sees its socket end. */
	shutdown(jump->fd, SHUT_RDWR);
	return NULL;
}

/* Opens the direct-tcpip channel from the bastion to host:port. */
static int jump_channel(struct ssh_jump *jump, const char *host, int port, double deadline, struct lerr *err)
{
	while ((jump->channel = libssh2_channel_direct_tcpip_ex(jump->ss.session, host, port, "127.0.0.1", 22)) ==
	       NULL) {
		if (libssh2_session_last_errno(jump->ss.session) != LIBSSH2_ERROR_EAGAIN) {
			char *what = xasprintf("cannot open a tunnel to %s port %d", host, port);

			ssh_session_error(&jump->ss, LADING_ERR_NETWORK, what, err);
			free(what);
			return -1;
		}
		if (ssh_session_wait(&jump->ss, deadline, "opening a tunnel", err) != 0)
			return -1;
	}
	return 0;
}

int ssh_jump_open(const char *name, const char *jump_spec, const char *default_user, const char *key_file,
		  const char *host, int port, const struct ssh_opts *opts, double deadline, struct ssh_jump **out,
		  int *sock_out, struct lerr *err)
{
	struct ssh_jump *jump = xcalloc(1, sizeof(*jump));
	char *jump_user = NULL, *jump_host = NULL;
	int jump_port = 22, pair[2] = {-1, -1};

	jump->ss.sock = jump->fd = -1;
	if (ssh_parse_dest(jump_spec, &jump_user, &jump_host, &jump_port) != 0) {
		lerr_about(err, LADING_ERR_USAGE, name, "bad jump host '%s' (want user@host:port)", jump_spec);
		goto fail;
	}
	jump->label = xasprintf("%s: jump host %s", name, jump_host);
	jump->ss.name = jump->label;
	if ((jump->ss.sock = ssh_tcp_connect(jump->label, jump_host, jump_port, opts->keepalive_s, deadline, err)) < 0)
		goto fail;
	if (ssh_session_start(&jump->ss, jump_host, jump_port, jump_user != NULL ? jump_user : default_user, key_file,
			      opts, deadline, err) != 0)
		goto fail;
	if (jump_channel(jump, host, port, deadline, err) != 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		lerr_sys(err, "socketpair");
		lerr_prefix(err, "%s", name);
		goto fail;
	}
	jump->fd = pair[0];
	if (pthread_create(&jump->thread, NULL, jump_thread, jump) != 0) {
		lerr_about(err, LADING_ERR_SYSTEM, name, "cannot start the jump host thread");
		close(pair[1]);
		goto fail;
	}
	jump->thread_started = 1;
	free(jump_user);
	free(jump_host);
	*out = jump;
	*sock_out = pair[1];
	return 0;
fail:
	free(jump_user);
	free(jump_host);
	ssh_jump_close(jump);
	return -1;
}

void ssh_jump_close(struct ssh_jump *jump)
{
	if (jump == NULL)
		return;
	if (jump->thread_started) {
		/* The target session's socket is closed by now: the thread sees EOF and lingers at most a moment. */
		pthread_join(jump->thread, NULL);
	}
	if (jump->channel != NULL) {
		libssh2_session_set_timeout(jump->ss.session, 1000);
		libssh2_session_set_blocking(jump->ss.session, 1);
		libssh2_channel_free(jump->channel);
	}
	ssh_session_free(&jump->ss);
	if (jump->fd >= 0)
		close(jump->fd);
	free(jump->label);
	free(jump);
}
