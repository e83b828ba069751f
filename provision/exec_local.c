/*
 * step_exec on this machine: `/bin/sh -c` in a child process, stdout and
 * stderr collected through pipes. Used for ansible_connection=local hosts
 * and by the step tests.
 */
#include "provision/steps.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

static void child(const char *cmd, int become, int stdin_fd, int out_fd, int err_fd)
{
	int null_fd = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);

	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	if (become && geteuid() != 0)
		execl("/usr/bin/sudo", "sudo", "-n", "/bin/sh", "-c", cmd, (char *)NULL);
	else
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Reads both pipes until both close; output past a buffer's cap is dropped, not an error. */
static void drain(int out_fd, int err_fd, struct buf *out, struct buf *errout)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	struct buf *bufs[2] = {out, errout};
	char chunk[8192];
	int open_count = 2, i;

	while (open_count > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				fds[i].fd = -1;
				open_count--;
				continue;
			}
			if (bufs[i] != NULL)
				buf_add(bufs[i], chunk, (size_t)got, NULL);
		}
	}
}

static int local_exec(void *ctx, const char *cmd, int become, int stdin_fd, struct buf *out, struct buf *errout,
		      int *exit_status, struct lerr *err)
{
	int out_pipe[2], err_pipe[2], status;
	pid_t pid;

	(void)ctx;
	if (pipe(out_pipe) != 0)
		return lerr_sys(err, "local: cannot create a pipe");
	if (pipe(err_pipe) != 0) {
		close(out_pipe[0]);
		close(out_pipe[1]);
		return lerr_sys(err, "local: cannot create a pipe");
	}
	/* the write ends must not outlive the command in a daemon it starts */
	fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(out_pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(err_pipe[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		child(cmd, become, stdin_fd, out_pipe[1], err_pipe[1]);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (pid < 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		return lerr_sys(err, "local: cannot fork");
	}
	drain(out_pipe[0], err_pipe[0], out, errout);
	close(out_pipe[0]);
	close(err_pipe[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lerr_sys(err, "local: waitpid");
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static int local_upload(void *ctx, const char *local_path, const char *remote_path, int mode, int become,
			const char *sha256_hex, struct lerr *err)
{
	struct fs_atomic out;
	char got[SHA256_HEX_LEN + 1];
	int in_fd, rc = -1;

	(void)ctx;
	(void)become;
	if ((in_fd = open(local_path, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_sys(err, "cannot open '%s'", local_path);
	if (fs_atomic_open(&out, remote_path, (mode_t)mode, err) != 0)
		goto out;
	if (fs_copy_fd(in_fd, out.fd, NULL, remote_path, err) != 0) {
		fs_atomic_abort(&out);
		goto out;
	}
	/* The copy is checked as a remote host checks it: a source changed meanwhile never lands. */
	if (sha256_hex != NULL) {
		if (sha256_file(out.tmp_path, got, NULL, err) != 0) {
			fs_atomic_abort(&out);
			goto out;
		}
		if (strcmp(got, sha256_hex) != 0) {
			lerr_set(err, LADING_ERR_SYSTEM,
				 "local: '%s' changed while it was copied to '%s' (sha256 %.12s…, expected %.12s…): "
				 "copy again once it is stable",
				 local_path, remote_path, got, sha256_hex);
			fs_atomic_abort(&out);
			goto out;
		}
	}
	if (fchmod(out.fd, (mode_t)mode) != 0) {
		lerr_sys(err, "cannot set the mode of '%s'", remote_path);
		fs_atomic_abort(&out);
		goto out;
	}
	rc = fs_atomic_commit(&out, err);
out:
	close(in_fd);
	return rc;
}

void step_exec_local(struct step_exec *exec)
{
	exec->exec = local_exec;
	exec->upload = local_upload;
	exec->reconnect = NULL;
	exec->ctx = NULL;
}
