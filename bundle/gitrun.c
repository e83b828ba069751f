#define _GNU_SOURCE /* syscall */
/* The git CLI as a child process: environment, descriptors, and the last line of its stderr. */
#include "bundle/gitrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* What stays of git's stderr: enough for its last lines, never its whole progress output. */
#define GIT_STDERR_KEEP 8192

extern char **environ;

/* Variables git must not take from our caller: its own, and where it would find a user's config. */
static int dropped(const char *var)
{
	return strncmp(var, "GIT_", 4) == 0 || strncmp(var, "HOME=", 5) == 0 ||
	       strncmp(var, "XDG_CONFIG_HOME=", 16) == 0 || strncmp(var, "EMAIL=", 6) == 0;
}

/* Appends var (taken over) to env's NULL-terminated list. */
static void env_append(struct git_env *env, char *var)
{
	env->envp = grow_array(env->envp, env->env_count + 1, sizeof(*env->envp));
	env->envp[env->env_count++] = var;
	env->envp[env->env_count] = NULL;
}

void git_env_set(struct git_env *env, const char *name, const char *value)
{
	size_t i, len = strlen(name);
	char *var = xasprintf("%s=%s", name, value);

	for (i = 0; i < env->env_count; i++)
		if (strncmp(env->envp[i], name, len) == 0 && env->envp[i][len] == '=') {
			OPENSSL_cleanse(env->envp[i], strlen(env->envp[i]));
			free(env->envp[i]);
			env->envp[i] = var;
			return;
		}
	env_append(env, var);
}

int git_env_init(struct git_env *env, const char *home, struct lerr *err)
{
	char **var;

	memset(env, 0, sizeof(*env));
	if ((env->git = fs_which("git")) == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "git is not installed (git repositories need the git command)");
	env->envp = grow_array(NULL, 0, sizeof(*env->envp));
	env->envp[0] = NULL;
	for (var = environ; *var != NULL; var++)
		if (!dropped(*var))
			env_append(env, xstrdup(*var));
	git_env_set(env, "HOME", home);
	git_env_set(env, "GIT_TERMINAL_PROMPT", "0");
	git_env_set(env, "GIT_CONFIG_NOSYSTEM", "1");
	git_env_set(env, "GIT_CONFIG_GLOBAL", "/dev/null");
	git_env_set(env, "GIT_ASKPASS", "/bin/false");
	/* Besides the URL checks at spec load: git itself refuses ext::, fd::, ssh and the rest. */
	git_env_set(env, "GIT_ALLOW_PROTOCOL", "https:http:file");
	git_env_set(env, "SSH_ASKPASS", "/bin/false");
	return 0;
}

/*
 * git asks it "Username for '…': " and "Password for '…': ". It prints variables of its own environment,
 * so the secret is in no file and on no command line.
 */
static const char askpass_script[] = "#!/bin/sh\n"
				     "case \"$1\" in\n"
				     "Username*) printf '%s\\n' \"$LADING_GIT_USERNAME\" ;;\n"
				     "*) printf '%s\\n' \"$LADING_GIT_PASSWORD\" ;;\n"
				     "esac\n";

int git_env_credentials(struct git_env *env, const char *dir, const char *username, const char *password,
			struct lerr *err)
{
	char *askpass = xasprintf("%s/askpass", dir);
	int r = fs_write_file(askpass, askpass_script, strlen(askpass_script), 0700, err);

	if (r == 0) {
		git_env_set(env, "GIT_ASKPASS", askpass);
		git_env_set(env, "LADING_GIT_USERNAME", username);
		git_env_set(env, "LADING_GIT_PASSWORD", password ? password : "");
	}
	free(askpass);
	return r;
}

void git_env_tls(struct git_env *env, const char *ca_file, int insecure)
{
	char count[16];
	int n = 0;

	/* git -c on a command line would do too; the environment keeps one way for every setting. */
	if (ca_file != NULL) {
		git_env_set(env, "GIT_CONFIG_KEY_0", "http.sslCAInfo");
		git_env_set(env, "GIT_CONFIG_VALUE_0", ca_file);
		n++;
	}
	if (insecure) {
		git_env_set(env, n ? "GIT_CONFIG_KEY_1" : "GIT_CONFIG_KEY_0", "http.sslVerify");
		git_env_set(env, n ? "GIT_CONFIG_VALUE_1" : "GIT_CONFIG_VALUE_0", "false");
		n++;
	}
	snprintf(count, sizeof(count), "%d", n);
	if (n > 0)
		git_env_set(env, "GIT_CONFIG_COUNT", count);
}

void git_env_copy(struct git_env *dst, const struct git_env *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->git = xstrdup(src->git);
	dst->envp = grow_array(NULL, 0, sizeof(*dst->envp));
	dst->envp[0] = NULL;
	for (i = 0; i < src->env_count; i++)
		env_append(dst, xstrdup(src->envp[i]));
}

void git_env_free(struct git_env *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->env_count; i++) {
		OPENSSL_cleanse(env->envp[i], strlen(env->envp[i]));
		free(env->envp[i]);
	}
	free(env->envp);
	free(env->git);
	memset(env, 0, sizeof(*env));
}

static const char **full_argv(const struct git_env *env, const char *const *args)
{
	size_t n = 0, i;
	const char **argv;

	while (args[n] != NULL)
		n++;
	argv = xcalloc(n + 2, sizeof(*argv));
	argv[0] = env->git;
	for (i = 0; i < n; i++)
		argv[i + 1] = args[i];
	return argv;
}

/* In the child: descriptors 0-2 in place, nothing else of ours left open, then git. */
static void child(const struct git_env *env, const char *cwd, const char **argv, int in_fd, int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t none;

	/* serve blocks its stop signals and ignores SIGPIPE; git gets the defaults back. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || (cwd != NULL && chdir(cwd) != 0))
		_exit(127);
	if (dup2(in_fd >= 0 ? in_fd : null, 0) < 0 || dup2(out_fd >= 0 ? out_fd : null, 1) < 0 ||
	    dup2(err_fd >= 0 ? err_fd : null, 2) < 0)
		_exit(127);
	if (syscall(SYS_close_range, 3, ~0u, 0) != 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			close(fd);
	}
	execve(env->git, (char *const *)argv, env->envp);
	_exit(127);
}

int git_spawn(const struct git_env *env, const char *cwd, const char *const *args, int in_fd, int *out_fd, pid_t *pid,
	      struct lerr *err)
{
	const char **argv = full_argv(env, args);
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(argv);
		return lerr_sys(err, "cannot create a pipe for git");
	}
	*pid = fork();
	if (*pid < 0) {
		free(argv);
		close(fds[0]);
		close(fds[1]);
		return lerr_sys(err, "cannot start git");
	}
	if (*pid == 0)
		child(env, cwd, argv, in_fd, fds[1], -1);
	free(argv);
	close(fds[1]);
	*out_fd = fds[0];
	return 0;
}

int git_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Keeps the tail of stderr: the oldest half goes when it is full. */
static void keep_tail(struct buf *tail, const char *data, size_t len)
{
	if (len > GIT_STDERR_KEEP) {
		data += len - GIT_STDERR_KEEP;
		len = GIT_STDERR_KEEP;
	}
	if (tail->len + len > GIT_STDERR_KEEP) {
		size_t drop = tail->len + len - GIT_STDERR_KEEP;

		memmove(tail->data, tail->data + drop, tail->len - drop);
		tail->len -= drop;
	}
	buf_add(tail, data, len, NULL);
}

/* Where the line that says most starts: git's first "fatal:" or "error:" line, else its last non-empty one. */
static size_t telling_line(const struct buf *text, size_t *end_out)
{
	size_t pos = 0, start, last = 0;

	*end_out = 0;
	while (pos < text->len) {
		start = pos;
		while (pos < text->len && text->data[pos] != '\n' && text->data[pos] != '\r')
			pos++;
		if (pos - start > 6 &&
		    (memcmp(text->data + start, "fatal:", 6) == 0 || memcmp(text->data + start, "error:", 6) == 0)) {
			*end_out = pos;
			return start;
		}
		if (pos > start) {
			last = start;
			*end_out = pos;
		}
		pos++;
	}
	return last;
}

/* git's most telling stderr line with control bytes replaced; into out. */
static void last_line(const struct buf *text, char *out, size_t out_len)
{
	size_t end = 0, start = text->len > 0 ? telling_line(text, &end) : 0, i, j = 0;

	for (i = start; i < end && j + 1 < out_len; i++) {
		unsigned char c = (unsigned char)text->data[i];

		out[j++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[j] = '\0';
	if (j == 0)
		snprintf(out, out_len, "no message");
}

/* One read from a ready descriptor: its byte count, 0 when nothing came (EINTR), -1 when it closed (fd set to -1). */
static ssize_t read_ready(struct pollfd *p, char *chunk, size_t len)
{
	ssize_t got;

	if (p->fd < 0 || p->revents == 0)
		return 0;
	got = read(p->fd, chunk, len);
	if (got < 0 && errno == EINTR)
		return 0;
	if (got <= 0) {
		p->fd = -1;
		return -1;
	}
	return got;
}

/* Reads stdout (when piped) and stderr until both close. */
static int drain(int out_fd, int err_fd, struct buf *out, struct buf *tail, struct lerr *err)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	char chunk[16384];
	ssize_t got;
	int failed = 0;

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return lerr_sys(err, "cannot wait for git");
		}
		if ((got = read_ready(&fds[1], chunk, sizeof(chunk))) > 0)
			keep_tail(tail, chunk, (size_t)got);
		if ((got = read_ready(&fds[0], chunk, sizeof(chunk))) > 0 && out != NULL && !failed &&
		    buf_add(out, chunk, (size_t)got, err) != 0)
			failed = -1;
	}
	return failed;
}

int git_run(const struct git_env *env, const struct git_io *io, const char *const *args, const char *what,
	    struct lerr *err)
{
	const char **argv = full_argv(env, args);
	struct buf tail = BUF_INIT(0);
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, r = -1, status;
	char line[512];
	pid_t pid;

	if ((io->out_fd < 0 && pipe2(outp, O_CLOEXEC) != 0) || pipe2(errp, O_CLOEXEC) != 0) {
		lerr_sys(err, "%s: cannot create a pipe for git", what);
		goto out;
	}
	if ((pid = fork()) < 0) {
		lerr_sys(err, "%s: cannot start git", what);
		goto out;
	}
	if (pid == 0)
		child(env, io->cwd, argv, io->in_fd, io->out_fd >= 0 ? io->out_fd : outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	r = drain(outp[0], errp[0], io->out, &tail, err);
	if (r != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = lerr_sys(err, "%s: cannot wait for git", what);
			goto out;
		}
	if (r != 0) {
		lerr_name(err, "%s: git %s", what, args[0]);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && tail.len == 0)
		r = lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot run '%s'", what, env->git);
	else {
		last_line(&tail, line, sizeof(line));
		r = lerr_about(err, LADING_ERR_NETWORK, what, "git %s failed: %s", args[0], line);
	}
out:
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	buf_free(&tail);
	free(argv);
	return r;
}
