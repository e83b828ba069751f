#ifndef LADING_PROVISION_SSH_INTERNAL_H
#define LADING_PROVISION_SSH_INTERNAL_H

/* Internals shared by provision/ssh/; not for other modules. */
#include <libssh2.h>
#include <pthread.h>

#include "provision/ssh/ssh.h"

struct ssh_jump;

/* One authenticated libssh2 session (non-blocking) on one socket. */
struct ssh_session {
	LIBSSH2_SESSION *session;
	int sock;	  /* TCP socket, or our end of the jump socketpair */
	const char *name; /* for messages: inventory name or "bastion host" */
	int keepalive_s;
};

struct ssh_conn {
	char *name;
	char *user;
	int is_root;
	char *become_user;     /* NULL = root */
	char *become_password; /* wiped by ssh_conn_close; NULL = sudo -n */
	int broken;	       /* a transport error happened: further calls fail */
	int command_timeout_ms;
	struct ssh_session ss;
	struct ssh_jump *jump; /* NULL when connected directly */
};

/* Fills defaults (timeouts, keepalive) into a copy of opts. */
void ssh_opts_defaults(const struct ssh_opts *in, struct ssh_opts *out);

/*
 * Waits on the session's socket for the direction libssh2 is blocked on, up
 * to deadline (log_now() seconds; 0 = none), sending keepalives meanwhile.
 * Returns 0 when the socket is ready or the wait should be retried, -1 on
 * timeout (LADING_ERR_NETWORK naming what) or poll failure.
 */
int ssh_session_wait(struct ssh_session *ss, double deadline, const char *what, struct lerr *err);

/* Like ssh_session_wait, also waking up when extra_fd (>= 0) is ready for extra_events. */
int ssh_session_wait_fd(struct ssh_session *ss, int extra_fd, short extra_events, double deadline, const char *what,
			struct lerr *err);

/* Fills err with libssh2's last error for the session, prefixed by the name and what failed. */
int ssh_session_error(struct ssh_session *ss, int code, const char *what, struct lerr *err);

/*
 * Handshake, host key check and authentication on an open socket. Takes over
 * ss->sock (closed by ssh_session_free). host/port are what known_hosts names.
 */
int ssh_session_start(struct ssh_session *ss, const char *host, int port, const char *user, const char *key_file,
		      const struct ssh_opts *opts, double deadline, struct lerr *err);

/* Disconnects (bounded), frees the session and closes the socket. Accepts a zeroed struct. */
void ssh_session_free(struct ssh_session *ss);

/* TCP connect with a deadline; returns the socket or -1 (LADING_ERR_NETWORK). */
int ssh_tcp_connect(const char *name, const char *host, int port, int keepalive_s, double deadline, struct lerr *err);

/* Authenticates user: agent identities, then key_file or the default key files. */
int ssh_auth(struct ssh_session *ss, const char *user, const char *key_file, double deadline, struct lerr *err);

/*
 * Connects to the bastion (host key checked, authenticated), opens a
 * direct-tcpip channel to host:port and returns a socket carrying it (pumped by
 * a thread). Free with ssh_jump_close after the session on the socket is freed.
 */
int ssh_jump_open(const char *name, const char *jump_spec, const char *default_user, const char *key_file,
		  const char *host, int port, const struct ssh_opts *opts, double deadline, struct ssh_jump **out,
		  int *sock_out, struct lerr *err);
void ssh_jump_close(struct ssh_jump *jump);

/* Splits "[user@]host[:port]" (host may be "[v6addr]"); allocated user/host, port default 22. */
int ssh_parse_dest(const char *spec, char **user, char **host, int *port);

/* A string quoted for sh with single quotes (allocated). */
char *ssh_sh_quote(const char *s);

#endif
