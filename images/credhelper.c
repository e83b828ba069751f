/* Asking a Docker credential helper for a registry's credentials. */
#include "images/credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

#define CREDHELPER_OUT_MAX (64u << 10)
/* A helper waiting on a keychain prompt must not hang lading: $LADING_CREDENTIAL_HELPER_TIMEOUT, default 60 s. */
#define CREDHELPER_SECONDS 60

static int helper_seconds(void)
{
	const char *env = getenv("LADING_CREDENTIAL_HELPER_TIMEOUT");
	int value = env != NULL ? atoi(env) : 0;

	return value > 0 && value <= 3600 ? value : CREDHELPER_SECONDS;
}

struct helper_run {
	struct buf out; /* stdout: the JSON reply, wiped after use */
	struct buf msg; /* stderr and stdout of a failure: what the helper said */
	int status;	/* exit status, or -1 when killed after the time limit */
};

static void child_exec(const char *program, int in_fd, int out_fd, int err_fd)
{
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	execlp(program, program, "get", (char *)NULL);
	dprintf(2, "cannot run %s: %s", program, strerror(errno));
	_exit(127);
}

/* Reads both pipes until they close or the deadline passes. */
static void collect(int out_fd, int err_fd, struct helper_run *run, time_t deadline)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	char chunk[4096];
	int open_fds = 2;

	while (open_fds > 0 && time(NULL) < deadline) {
		int i;

		if (poll(fds, 2, 1000) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got <= 0) {
				fds[i].fd = -1;
				open_fds--;
			} else if (buf_add(i == 0 ? &run->out : &run->msg, chunk, (size_t)got, NULL) != 0) {
				fds[i].fd = -1; /* past the cap: the reply is refused as too long */
				open_fds--;
			}
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (open_fds > 0)
		run->status = -1;
}

static int helper_run(const char *program, const char *server, struct helper_run *run, struct lerr *err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	int wstatus = 0;
	pid_t pid;

	if (pipe(in) != 0 || pipe(out) != 0 || pipe(errp) != 0) {
		lerr_sys(err, "cannot create pipes for '%s'", program);
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		lerr_sys(err, "cannot start '%s'", program);
		goto fail;
	}
	if (pid == 0) {
		close(in[1]);
		close(out[0]);
		close(errp[0]);
		child_exec(program, in[0], out[1], errp[1]);
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	signal(SIGPIPE, SIG_IGN); /* a helper that exits without reading stdin */
	if (write(in[1], server, strlen(server)) < 0) {
		/* it said why on stderr */
	}
	close(in[1]);
	run->status = 0;
	collect(out[0], errp[0], run, time(NULL) + helper_seconds());
	close(out[0]);
	close(errp[0]);
	if (run->status < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (run->status == 0)
		run->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}

/* What the helper said, on one line, short. */
static char *said(const struct helper_run *run)
{
	const struct buf *b = run->msg.len > 0 ? &run->msg : &run->out;
	char *text = xstrndup(b->data != NULL ? b->data : "", b->len > 200 ? 200 : b->len);
	char *p;

	for (p = text; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	while (p > text && p[-1] == ' ')
		*--p = '\0';
	return text;
}

static int parse_reply(const struct helper_run *run, const char *program, struct auth_creds *out, struct lerr *err)
{
	json_t *root = json_loadb(run->out.data != NULL ? run->out.data : "", run->out.len, 0, NULL);
	const char *user = json_string_value(json_object_get(root, "Username"));
	const char *secret = json_string_value(json_object_get(root, "Secret"));
	int r = 0;

	if (secret == NULL || secret[0] == '\0')
		r = lerr_set(err, LADING_ERR_AUTH, "%s get: no Secret in its reply; check the helper", program);
	else if (user != NULL && strcmp(user, "<token>") == 0)
		out->identity_token = xstrdup(secret);
	else {
		out->username = xstrdup(user != NULL ? user : "");
		out->password = xstrdup(secret);
	}
	json_decref(root); /* jansson's copies of the secret are freed, not wiped: a short-lived process */
	return r;
}

int credhelper_get(const char *helper, const char *server, const char *what, struct auth_creds *out, int *found,
		   struct lerr *err)
{
	struct helper_run run = {BUF_INIT(CREDHELPER_OUT_MAX), BUF_INIT(CREDHELPER_OUT_MAX), 0};
	char *program = xasprintf("docker-credential-%s", helper);
	char *text = NULL;
	int r = -1;

	*found = 0;
	if (strchr(helper, '/') != NULL || helper[0] == '\0') {
		lerr_set(err, LADING_ERR_FORMAT, "%s: credential helper '%s' is not a helper name", what, helper);
		goto out;
	}
	if (helper_run(program, server, &run, err) != 0)
		goto out;
	text = said(&run);
	if (run.status == -1)
		lerr_set(err, LADING_ERR_AUTH, "%s get (from %s) did not answer within %d s for %s", program, what,
			 helper_seconds(), server);
	else if (run.status == 127)
		lerr_set(err, LADING_ERR_NOTFOUND,
			 "%s (named in %s) is not installed: %s; install it or remove it from %s", program, what, text,
			 what);
	else if (run.status != 0 && strstr(text, "credentials not found") != NULL)
		r = 0; /* the protocol's "no credentials for this server" */
	else if (run.status != 0)
		lerr_set(err, LADING_ERR_AUTH, "%s get failed for %s (exit %d): %s", program, server, run.status, text);
	else if (parse_reply(&run, program, out, err) == 0) {
		*found = 1;
		r = 0;
	}
out:
	if (run.out.data != NULL)
		OPENSSL_cleanse(run.out.data, run.out.len);
	buf_free(&run.out);
	buf_free(&run.msg);
	free(text);
	free(program);
	return r;
}
