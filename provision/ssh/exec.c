/*
 * Commands over exec channels: stdin streamed from an fd in bounded chunks,
 * stdout and stderr collected into capped buffers, all in one poll loop so a
 * command that writes while we still send never deadlocks on window sizes.
 * Files travel the same way (`cat > tmp && chmod && mv`): no SFTP needed.
 */
#define _GNU_SOURCE
#include "provision/ssh/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/xmalloc.h"

#define EXEC_CHUNK 32768
#define SUDO_ERR_MAX 1024
#define CLOSE_WAIT_S 5.0
#define BECOME_WAIT_S 30.0
#define GATE_ERR_MAX (64 * 1024)

/*
 * With a become password the command runs as `sudo -S -k -p PROMPT -- sh -c
 * 'printf READY >&2; CMD'`: stdin stays shut (the gate) until stderr shows
 * either PROMPT (sudo wants the password: it is sent, once, as the first line)
 * or READY (the command started: its own stdin flows). A second PROMPT means
 * sudo refused the password; the gate then closes stdin so sudo gives up. So
 * the password goes only to sudo, never on a command line, never into a
 * command's input when sudo did not ask.
 */
enum { GATE_NONE, GATE_WAIT, GATE_OPEN, GATE_REFUSED };

struct exec_io {
	int in_fd;
	char in_buf[EXEC_CHUNK];
	size_t in_len, in_off;
	int in_eof, eof_sent;
	struct buf *sink[2]; /* stdout, stderr (NULL = discard) */
	int over_cap[2];
	struct buf head_err; /* the start of stderr, to recognise sudo's complaints */
	int gate;
	char prompt[48], ready[48]; /* unique per command */
	struct buf gate_err;	    /* stderr before READY: sudo's own words */
	size_t gate_scan, prompts;
	char *secret; /* the password and a newline while not yet sent; wiped */
	size_t secret_off;
	double gate_deadline;
};

const char *ssh_conn_user(const struct ssh_conn *conn)
{
	return conn->user;
}

/* Whether become means sudo here: not for root becoming root. */
static int exec_sudo(const struct ssh_conn *conn, int become)
{
	return become && (!conn->is_root || conn->become_user != NULL);
}

static void exec_nonce(char *out, size_t size, const char *fmt)
{
	unsigned char random_bytes[8];
	char hex[sizeof(random_bytes) * 2 + 1];
	size_t i;

	if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1) {
		unsigned long long value = (unsigned long long)getpid() << 32 ^ (unsigned long long)(log_now() * 1e6);

		for (i = 0; i < sizeof(random_bytes); i++)
			random_bytes[i] = (unsigned char)(value >> (8 * i));
	}
	for (i = 0; i < sizeof(random_bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", random_bytes[i]);
	snprintf(out, size, fmt, hex);
}

static char *exec_command_line(const struct ssh_conn *conn, const char *cmd, int become, struct exec_io *io)
{
	char *quoted, *line, *user = NULL, *prompt, *inner;

	/* The login shell may not be POSIX (csh, fish): the command always runs under sh. */
	if (!exec_sudo(conn, become)) {
		quoted = ssh_sh_quote(cmd);
		line = xasprintf("sh -c %s", quoted);
		free(quoted);
		return line;
	}
	if (conn->become_user != NULL) {
		quoted = ssh_sh_quote(conn->become_user);
		user = xasprintf(" -u %s", quoted);
		free(quoted);
	}
	if (conn->become_password == NULL || conn->is_root) {
		quoted = ssh_sh_quote(cmd);
		line = xasprintf("sudo -n%s -- sh -c %s", user != NULL ? user : "", quoted);
		free(quoted);
		free(user);
		return line;
	}
	/* -k: always ask when sudo needs a password (no cached credentials decide for us, none written). */
	exec_nonce(io->prompt, sizeof(io->prompt), "[lading-become-%s]");
	exec_nonce(io->ready, sizeof(io->ready), "lading-ready-%s");
	inner = xasprintf("printf '%%s\\n' %s >&2\n%s", io->ready, cmd);
	quoted = ssh_sh_quote(inner);
	prompt = ssh_sh_quote(io->prompt);
	line = xasprintf("sudo -S -k -p %s%s -- sh -c %s", prompt, user != NULL ? user : "", quoted);
	io->gate = GATE_WAIT;
	io->secret = xasprintf("%s\n", conn->become_password);
	io->gate_deadline = log_now() + BECOME_WAIT_S;
	free(inner);
	free(quoted);
	free(prompt);
	free(user);
	return line;
}

static void exec_forget_secret(struct exec_io *io)
{
	if (io->secret != NULL) {
		OPENSSL_cleanse(io->secret, strlen(io->secret));
		free(io->secret);
		io->secret = NULL;
	}
}

/* While the gate waits only the password moves (once sudo asked), and stdin stays open for sudo. */
static int exec_feed_gate(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel, struct exec_io *io, struct lerr *err)
{
	ssize_t n;
	size_t len;

	if (io->gate == GATE_REFUSED) {
		exec_forget_secret(io);
		if (io->eof_sent)
			return 0;
		n = libssh2_channel_send_eof(channel);
		if (n == 0) {
			io->eof_sent = 1;
			return 1;
		}
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot close command input", err);
	}
	if (io->prompts == 0 || io->secret == NULL)
		return 0;
	len = strlen(io->secret);
	n = libssh2_channel_write(channel, io->secret + io->secret_off, len - io->secret_off);
	if (n == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (n < 0)
		return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot send the become password", err);
	io->secret_off += (size_t)n;
	if (io->secret_off == len)
		exec_forget_secret(io);
	return 1;
}

/* stderr before READY: counts sudo's prompts, finds READY and passes what follows it on. */
static void exec_gate_stderr(struct exec_io *io, const char *chunk, size_t n)
{
	const char *data, *hit;
	size_t plen = strlen(io->prompt), rlen = strlen(io->ready), ready_at, rest;

	if (io->gate_err.len + n > GATE_ERR_MAX) {
		io->gate = GATE_REFUSED; /* not sudo talking: give up rather than buffer it all */
		return;
	}
	buf_add(&io->gate_err, chunk, n, NULL);
	data = io->gate_err.data;
	hit = memmem(data, io->gate_err.len, io->ready, rlen);
	ready_at = hit != NULL ? (size_t)(hit - data) : io->gate_err.len;
	while (io->gate_scan < ready_at &&
	       (hit = memmem(data + io->gate_scan, ready_at - io->gate_scan, io->prompt, plen)) != NULL) {
		io->prompts++;
		io->gate_scan = (size_t)(hit - data) + plen;
	}
	if (io->prompts > 1) {
		io->gate = GATE_REFUSED;
		return;
	}
	if (ready_at == io->gate_err.len)
		return;
	io->gate = GATE_OPEN;
	exec_forget_secret(io);
	rest = io->gate_err.len - ready_at - rlen;
	if (rest > 0 && data[ready_at + rlen] == '\n')
		ready_at++, rest--;
	if (rest > 0 && io->sink[1] != NULL && buf_add(io->sink[1], data + ready_at + rlen, rest, NULL) != 0)
		io->over_cap[1] = 1;
	io->gate_err.len = ready_at;
	io->gate_err.data[ready_at] = '\0';
}

/* sudo's words (prompts dropped) for the caller when the command never started. */
static void exec_gate_report(struct exec_io *io)
{
	const char *p, *end, *hit;
	size_t plen = strlen(io->prompt);

	if (io->gate == GATE_NONE || io->gate == GATE_OPEN || io->gate_err.data == NULL || io->sink[1] == NULL)
		return;
	p = io->gate_err.data;
	end = p + io->gate_err.len;
	while (p < end) {
		hit = memmem(p, (size_t)(end - p), io->prompt, plen);
		buf_add(io->sink[1], p, (size_t)((hit != NULL ? hit : end) - p), NULL);
		p = hit != NULL ? hit + plen : end;
	}
}

/* Sends what stdin has; returns 1 when something moved, 0 when blocked, -1 on error. */
static int exec_feed(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel, struct exec_io *io, struct lerr *err)
{
	ssize_t n;
	int progress = 0;

	if (io->gate == GATE_WAIT || io->gate == GATE_REFUSED)
		return exec_feed_gate(conn, channel, io, err);
	if (io->in_fd >= 0 && !io->in_eof && io->in_off == io->in_len) {
		n = read(io->in_fd, io->in_buf, sizeof(io->in_buf));
		if (n > 0) {
			io->in_len = (size_t)n;
			io->in_off = 0;
			progress = 1;
		} else if (n == 0) {
			io->in_eof = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			lerr_sys(err, "cannot read the input of a command");
			return lerr_prefix(err, "%s", conn->name);
		}
	}
	if (io->in_off < io->in_len) {
		n = libssh2_channel_write(channel, io->in_buf + io->in_off, io->in_len - io->in_off);
		if (n > 0) {
			io->in_off += (size_t)n;
			if (io->in_off == io->in_len)
				io->in_off = io->in_len = 0;
			progress = 1;
		} else if (n != LIBSSH2_ERROR_EAGAIN) {
			return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot send command input", err);
		}
	}
	if ((io->in_fd < 0 || io->in_eof) && io->in_len == 0 && !io->eof_sent) {
		n = libssh2_channel_send_eof(channel);
		if (n == 0) {
			io->eof_sent = 1;
			progress = 1;
		} else if (n != LIBSSH2_ERROR_EAGAIN) {
			return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot close command input", err);
		}
	}
	return progress;
}

/* Reads what the command wrote; returns 1 when something arrived, 0 when blocked, -1 on error. */
static int exec_drain(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel, struct exec_io *io, struct lerr *err)
{
	char chunk[EXEC_CHUNK];
	ssize_t n;
	int stream, progress = 0;

	for (stream = 0; stream < 2; stream++) {
		while ((n = libssh2_channel_read_ex(channel, stream, chunk, sizeof(chunk))) > 0) {
			progress = 1;
			if (stream == 1 && io->gate == GATE_WAIT) {
				if (io->head_err.len < SUDO_ERR_MAX)
					buf_add(&io->head_err, chunk, (size_t)n, NULL);
				exec_gate_stderr(io, chunk, (size_t)n);
				continue;
			}
			if (stream == 1 && io->gate == GATE_REFUSED) {
				if (io->head_err.len < SUDO_ERR_MAX)
					buf_add(&io->head_err, chunk, (size_t)n, NULL);
				if (io->gate_err.len + (size_t)n <= GATE_ERR_MAX)
					buf_add(&io->gate_err, chunk, (size_t)n, NULL);
				continue;
			}
			if (stream == 1 && io->head_err.len < SUDO_ERR_MAX)
				buf_add(&io->head_err, chunk, (size_t)n, NULL);
			if (io->sink[stream] != NULL && !io->over_cap[stream] &&
			    buf_add(io->sink[stream], chunk, (size_t)n, NULL) != 0)
				io->over_cap[stream] = 1;
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
			return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot read command output", err);
	}
	return progress;
}

/* Moves data both ways until the command closed its output or the deadline passed. */
static int exec_pump(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel, struct exec_io *io, double deadline,
		     struct lerr *err)
{
	int fed, drained, gated;
	double until;

	for (;;) {
		if ((fed = libssh2_channel_eof(channel) ? 0 : exec_feed(conn, channel, io, err)) < 0)
			return -1;
		if ((drained = exec_drain(conn, channel, io, err)) < 0)
			return -1;
		if (libssh2_channel_eof(channel))
			return 0;
		if (fed || drained)
			continue;
		/* sudo gets a bounded time to ask and start the command: a wrong password never hangs a run */
		gated = io->gate == GATE_WAIT || io->gate == GATE_REFUSED;
		until = gated && (deadline == 0 || io->gate_deadline < deadline) ? io->gate_deadline : deadline;
		if (ssh_session_wait_fd(&conn->ss, !gated && io->in_len == 0 && !io->in_eof ? io->in_fd : -1, POLLIN,
					until, "command", err) != 0)
			return -1;
	}
}

/* Sends close, waits (bounded) for the server's close so that the exit status is known. */
static int exec_close(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel, struct lerr *err)
{
	double deadline = log_now() + CLOSE_WAIT_S;
	int r;

	while ((r = libssh2_channel_close(channel)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_session_wait(&conn->ss, deadline, "closing a channel", err) != 0)
			return -1;
	if (r != 0)
		return ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot close a channel", err);
	while ((r = libssh2_channel_wait_closed(channel)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_session_wait(&conn->ss, deadline, "closing a channel", err) != 0)
			return -1;
	return 0;
}

/* Frees a channel in any state, without waiting long for a dead peer. */
static void exec_free_channel(struct ssh_conn *conn, LIBSSH2_CHANNEL *channel)
{
	libssh2_session_set_timeout(conn->ss.session, 2000);
	libssh2_session_set_blocking(conn->ss.session, 1);
	libssh2_channel_free(channel);
	libssh2_session_set_blocking(conn->ss.session, 0);
}

static LIBSSH2_CHANNEL *exec_start(struct ssh_conn *conn, const char *line, double deadline, struct lerr *err)
{
	LIBSSH2_CHANNEL *channel;
	int r;

	while ((channel = libssh2_channel_open_session(conn->ss.session)) == NULL) {
		if (libssh2_session_last_errno(conn->ss.session) != LIBSSH2_ERROR_EAGAIN) {
			ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot open a channel", err);
			return NULL;
		}
		if (ssh_session_wait(&conn->ss, deadline, "opening a channel", err) != 0)
			return NULL;
	}
	while ((r = libssh2_channel_exec(channel, line)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_session_wait(&conn->ss, deadline, "starting a command", err) != 0)
			break;
	if (r != 0) {
		if (r != LIBSSH2_ERROR_EAGAIN)
			ssh_session_error(&conn->ss, LADING_ERR_NETWORK, "cannot start a command", err);
		exec_free_channel(conn, channel);
		return NULL;
	}
	return channel;
}

/* sudo -n's complaints turned into one clear line; 0 when stderr holds none. */
static int exec_sudo_check(const struct ssh_conn *conn, const struct exec_io *io, int status, struct lerr *err)
{
	const char *text = io->head_err.data != NULL ? io->head_err.data : "";

	if (io->gate == GATE_REFUSED || (io->gate == GATE_WAIT && strstr(text, "incorrect password") != NULL))
		return lerr_about(err, LADING_ERR_AUTH, conn->name,
				  "sudo refused the become password for user '%s' (wrong password?)", conn->user);
	if (strstr(text, "sudo: a password is required") != NULL || strstr(text, "sudo: a terminal is required"))
		return lerr_about(err, LADING_ERR_AUTH, conn->name,
				  "sudo wants a password for user '%s' (become runs sudo -n): allow NOPASSWD for "
				  "this user in sudoers, or connect as root, or give it (--ask-become-pass, "
				  "LADING_BECOME_PASSWORD, ansible_become_password)",
				  conn->user);
	if (strstr(text, "is not allowed to execute") != NULL && conn->become_user != NULL)
		return lerr_about(err, LADING_ERR_AUTH, conn->name,
				  "user '%s' may not run commands as '%s' through sudo (become_user): allow it in "
				  "sudoers",
				  conn->user, conn->become_user);
	if (strstr(text, "is not in the sudoers file") != NULL || strstr(text, "is not allowed to execute") != NULL)
		return lerr_about(err, LADING_ERR_AUTH, conn->name,
				  "user '%s' may not use sudo (become): add it to sudoers", conn->user);
	if (status == 127 && strstr(text, "sudo") != NULL && strstr(text, "not found") != NULL)
		return lerr_about(err, LADING_ERR_AUTH, conn->name,
				  "sudo is not installed (become): install it or connect as root");
	return 0;
}

static int exec_status(LIBSSH2_SESSION *session, LIBSSH2_CHANNEL *channel)
{
	char *signal_name = NULL;
	size_t signal_len = 0;

	if (libssh2_channel_get_exit_signal(channel, &signal_name, &signal_len, NULL, NULL, NULL, NULL) == 0 &&
	    signal_name != NULL) {
		libssh2_free(session, signal_name);
		return 255;
	}
	return libssh2_channel_get_exit_status(channel);
}

int ssh_exec(struct ssh_conn *conn, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
	     int *exit_status, struct lerr *err)
{
	struct exec_io *io = xcalloc(1, sizeof(*io));
	LIBSSH2_CHANNEL *channel = NULL;
	char *line = exec_command_line(conn, cmd, become, io);
	double start = log_now();
	double deadline = conn->command_timeout_ms > 0 ? start + conn->command_timeout_ms / 1000.0 : 0;
	int rc = -1, status = -1;

	io->in_fd = stdin_fd;
	io->sink[0] = out;
	io->sink[1] = errout;
	buf_init(&io->head_err, 0);
	buf_init(&io->gate_err, 0);
	if (conn->broken) {
		lerr_about(err, LADING_ERR_NETWORK, conn->name, "connection lost earlier");
		goto out;
	}
	if ((channel = exec_start(conn, line, deadline, err)) == NULL)
		goto broken;
	if (exec_pump(conn, channel, io, deadline, err) != 0) {
		if ((io->gate == GATE_WAIT || io->gate == GATE_REFUSED) && log_now() >= io->gate_deadline) {
			if (io->gate == GATE_REFUSED || io->prompts > 0)
				lerr_about(err, LADING_ERR_AUTH, conn->name,
					   "sudo refused the become password for user '%s' (wrong password?)",
					   conn->user);
			else
				lerr_about(err, LADING_ERR_AUTH, conn->name,
					   "sudo did not start the command within %.0f s (become with a password; "
					   "is passprompt_override set in sudoers?)",
					   BECOME_WAIT_S);
			goto out;
		}
		if (deadline > 0 && log_now() >= deadline) {
			lerr_about(err, LADING_ERR_NETWORK, conn->name,
				   "command timed out after %.0f s (still running there?)",
				   conn->command_timeout_ms / 1000.0);
			goto out;
		}
		goto broken;
	}
	if (exec_close(conn, channel, err) != 0)
		goto broken;
	status = exec_status(conn->ss.session, channel);
	*exit_status = status;
	exec_gate_report(io);
	if (exec_sudo(conn, become) && status != 0 && exec_sudo_check(conn, io, status, err) != 0)
		goto out;
	if (io->over_cap[0] || io->over_cap[1]) {
		lerr_about(err, LADING_ERR_LIMIT, conn->name, "command %s exceeded %zu bytes",
			   io->over_cap[0] ? "output" : "error output", io->over_cap[0] ? out->max : errout->max);
		goto out;
	}
	rc = 0;
	goto out;
broken:
	conn->broken = 1;
out:
	if (channel != NULL)
		exec_free_channel(conn, channel);
	buf_free(&io->head_err);
	buf_free(&io->gate_err);
	exec_forget_secret(io);
	free(io);
	free(line);
	return rc;
}

/* A temporary name next to remote_path: same directory, so the final rename is atomic. */
static char *upload_temp_name(const char *remote_path)
{
	unsigned char random_bytes[6];
	unsigned long long value = 0;
	size_t i;

	if (RAND_bytes(random_bytes, sizeof(random_bytes)) != 1)
		value = (unsigned long long)getpid() ^ (unsigned long long)(log_now() * 1e6);
	for (i = 0; i < sizeof(random_bytes); i++)
		value = value << 8 | random_bytes[i];
	return xasprintf("%s.lading-tmp.%012llx", remote_path, value & 0xffffffffffffULL);
}

/*
 * The host's side of an upload. `cat` ends at end of input whether the whole
 * file came or the connection died halfway (sshd closes the command's stdin
 * either way), so the size, and the digest when known, are checked before the
 * rename; anything else removes the temporary file.
 */
/*
 * The host's side of an upload. `cat` ends at end of input whether the whole
 * file came or the connection died halfway (sshd closes the command's stdin
 * either way), so the size, and the digest when known, are checked before the
 * rename. The temporary file is removed before anything is said about it: with
 * lading gone, writing to stderr kills the shell (SIGPIPE).
 */
static char *upload_command(const char *q_temp, const char *q_dest, int mode, uint64_t size, const char *sha256_hex)
{
	char *check = sha256_hex == NULL
			  ? xstrdup("")
			  : xasprintf("if [ \"$(sha256sum < %s | cut -c1-64)\" != %s ]; then rm -f %s; echo \"content "
				      "differs from the source's sha256 %.12s... (the source changed while it was "
				      "sent)\" >&2; exit 1; fi; ",
				      q_temp, sha256_hex, q_temp, sha256_hex);
	char *cmd = xasprintf("umask 077 && cat > %s || { rc=$?; rm -f %s; exit $rc; }; n=$(wc -c < %s); "
			      "if [ \"$n\" -ne %llu ]; then rm -f %s; echo \"received $n of %llu bytes (the "
			      "connection or the source changed while it was sent)\" >&2; exit 1; fi; "
			      "%schmod %o %s && mv -f %s %s || { rc=$?; rm -f %s; exit $rc; }",
			      q_temp, q_temp, q_temp, (unsigned long long)size, q_temp, (unsigned long long)size, check,
			      (unsigned int)mode & 07777, q_temp, q_temp, q_dest, q_temp);

	free(check);
	return cmd;
}

int ssh_upload(struct ssh_conn *conn, const char *local_path, const char *remote_path, int mode, int become,
	       const char *sha256_hex, struct lerr *err)
{
	struct buf errout = BUF_INIT(4096);
	struct stat st;
	char *temp = upload_temp_name(remote_path);
	char *q_temp = ssh_sh_quote(temp), *q_dest = ssh_sh_quote(remote_path), *cmd = NULL;
	int fd, status = -1, rc = -1;

	if ((fd = open(local_path, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", local_path);
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		lerr_set(err, LADING_ERR_USAGE, "'%s' is not a regular file", local_path);
		goto out;
	}
	cmd = upload_command(q_temp, q_dest, mode, (uint64_t)st.st_size, sha256_hex);
	if (ssh_exec(conn, cmd, become, fd, NULL, &errout, &status, err) != 0) {
		if (err != NULL && err->code == LADING_ERR_LIMIT)
			lerr_about(err, LADING_ERR_SYSTEM, conn->name, "upload to '%s' failed (exit %d)", remote_path,
				   status);
		goto out;
	}
	if (status != 0) {
		char *nl = errout.data != NULL ? strchr(errout.data, '\n') : NULL;

		if (nl != NULL)
			*nl = '\0';
		lerr_about(err, LADING_ERR_SYSTEM, conn->name, "upload to '%s' failed (exit %d): %s", remote_path,
			   status, errout.data != NULL ? errout.data : "");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&errout);
	free(temp);
	free(q_temp);
	free(q_dest);
	free(cmd);
	return rc;
}
