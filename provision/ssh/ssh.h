#ifndef LADING_PROVISION_SSH_SSH_H
#define LADING_PROVISION_SSH_SSH_H

/*
 * provision/ssh/: the SSH engine (libssh2): sessions, authentication (keys,
 * agent, passphrases), known_hosts, jump hosts, exec with timeouts and output
 * caps, uploads. Knows nothing of roles or inventories.
 * May include: lib/
 */

/*
 * CONTRACT between provision/ssh/ (implements) and the step runner (consumes).
 * One SSH session per host per thread (libssh2). Only a POSIX shell is needed
 * on the target: commands run through exec channels, files travel on stdin.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

enum ssh_host_key_policy {
	SSH_HOST_KEY_STRICT = 0,     /* unknown or changed key: refuse */
	SSH_HOST_KEY_ACCEPT_NEW = 1, /* record unknown keys; a changed key is still refused */
};

struct ssh_opts {
	const char *known_hosts; /* NULL = ~/.ssh/known_hosts */
	int host_key_policy;
	int connect_timeout_ms; /* default 10000 */
	int command_timeout_ms; /* default 0 = none */
	int keepalive_s;	/* default 15 */
	const struct logger *lg;
	const char *become_password; /* sudo's password for targets without their own, or NULL */
};

struct ssh_target {
	const char *name;	     /* inventory_hostname, for messages */
	const char *host;	     /* address or DNS name */
	int port;		     /* default 22 */
	const char *user;	     /* default: $USER */
	const char *key_file;	     /* NULL = agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa */
	const char *jump;	     /* "user@host:port" bastion, or NULL */
	int become;		     /* run commands through sudo unless user is root (and become_user is root) */
	const char *become_user;     /* sudo -u USER; NULL = root */
	const char *become_password; /* fed to `sudo -S` on the channel's stdin; NULL = opts', else sudo -n */
};

struct ssh_conn;

/* Connects, checks the host key, authenticates. Errors name the host. Free with ssh_conn_close. */
int ssh_conn_open(const struct ssh_target *target, const struct ssh_opts *opts, struct ssh_conn **out,
		  struct lerr *err);

/*
 * Runs cmd with `sh -c`, feeding stdin_fd (a file, or nothing when -1; a blocking
 * pipe is read whenever our buffer is empty) and collecting
 * stdout/stderr (either may be NULL; capped by the bufs). become wraps it in
 * `sudo -n` (with a become password: `sudo -S -k`, the password written on the
 * channel when sudo prompts, never on a command line; the command's own stdin
 * follows once it started). *exit_status is the command's status; -1 return =
 * transport failure.
 * Also -1: command timeout (opts.command_timeout_ms), output past a buf's cap
 * (LADING_ERR_LIMIT, *exit_status still set), and a sudo that wants a password,
 * refuses the password or refuses the user (LADING_ERR_AUTH), each with a one-line
 * message naming the host.
 */
int ssh_exec(struct ssh_conn *conn, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
	     int *exit_status, struct lerr *err);

/*
 * Uploads local_path to remote_path (temp name, then rename), mode octal like
 * 0644. The host renames only when it received the size local_path had when
 * opened and, when sha256_hex is not NULL, content of that digest: an upload
 * cut short (lading killed, link lost) or a source that changed meanwhile never
 * lands under the final name.
 */
int ssh_upload(struct ssh_conn *conn, const char *local_path, const char *remote_path, int mode, int become,
	       const char *sha256_hex, struct lerr *err);

void ssh_conn_close(struct ssh_conn *conn);

/* Added by the ssh part: */

/* The user the connection logged in as (valid until ssh_conn_close). */
const char *ssh_conn_user(const struct ssh_conn *conn);

/* Wipes and frees passphrases read from the terminal (cached per key file for the other hosts). */
void ssh_forget_passphrases(void);

/* Reads a line from /dev/tty with echo off after prompt; NULL without a terminal. Wipe with ssh_secret_free. */
char *ssh_read_secret(const char *prompt);

/* Wipes and frees a secret (NULL is fine). */
void ssh_secret_free(char *secret);

#endif
