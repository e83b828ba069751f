#include "packages/gpgv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/pgparmor.h"
#include "lib/xmalloc.h"

#define STATUS_FD 3
#define STATUS_MAX (256u * 1024)
#define KEYRING_MAX (16u * 1024 * 1024)

/* gpgv reads a keyring name without '/' from ~/.gnupg: always hand it a path. */
static char *as_path(const char *file)
{
	return strchr(file, '/') != NULL ? xstrdup(file) : xasprintf("./%s", file);
}

/* A binary keyring for gpgv: keyring itself, or its dearmored copy in tmp_dir. */
static int binary_keyring(const char *keyring, const char *tmp_dir, char **out, struct lerr *err)
{
	struct buf text = BUF_INIT(KEYRING_MAX), bin = BUF_INIT(0);
	char *copy = NULL;
	int r = -1;

	if (fs_read_file(keyring, &text, err) != 0) {
		lerr_name(err, "keyring '%s'", keyring);
		goto out;
	}
	if (!pgp_is_armored(text.data, text.len)) {
		*out = as_path(keyring);
		r = 0;
		goto out;
	}
	if (pgp_dearmor_keys(keyring, text.data, &bin, err) != 0)
		goto out;
	copy = xasprintf("%s/keyring.gpg", tmp_dir);
	if (fs_write_file(copy, bin.data, bin.len, 0600, err) != 0)
		goto out;
	*out = copy;
	copy = NULL;
	r = 0;
out:
	free(copy);
	buf_free(&text);
	buf_free(&bin);
	return r;
}

/* Runs gpgv with its status lines on a pipe into status; *exit_status gets its exit code. */
static int run_gpgv(const char *gpgv, const char *keyring, const char *inrelease, const char *out_path,
		    struct buf *status, int *exit_status, struct lerr *err)
{
	char fd_arg[16];
	char *input = as_path(inrelease);
	const char *argv[] = {gpgv, "--status-fd", fd_arg, "--keyring", keyring, "--output", out_path, input, NULL};
	char chunk[4096];
	int fds[2], wstatus, failed = 0, r = -1;
	pid_t pid;

	snprintf(fd_arg, sizeof(fd_arg), "%d", STATUS_FD);
	if (pipe(fds) != 0) {
		free(input);
		return lerr_sys(err, "cannot create a pipe for '%s'", gpgv);
	}
	pid = fork();
	if (pid < 0) {
		lerr_sys(err, "cannot start '%s'", gpgv);
		close(fds[0]);
		close(fds[1]);
		free(input);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* Only the status fd and /dev/null reach gpgv; its own messages are not ours to show. */
		if (fds[1] != STATUS_FD && (dup2(fds[1], STATUS_FD) < 0 || close(fds[1]) != 0))
			_exit(127);
		if (fds[0] != STATUS_FD)
			close(fds[0]);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(gpgv, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t got = read(fds[0], chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			failed = lerr_sys(err, "cannot read the status of '%s'", gpgv);
			kill(pid, SIGKILL);
			break;
		}
		if (got == 0)
			break;
		if (buf_add(status, chunk, (size_t)got, err) != 0) {
			failed = -1;
			kill(pid, SIGKILL);
			break;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			lerr_sys(err, "cannot wait for '%s'", gpgv);
			goto out;
		}
	if (failed)
		goto out;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) == 127) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot run '%s'", gpgv);
		goto out;
	}
	*exit_status = WEXITSTATUS(wstatus);
	r = 0;
out:
	free(input);
	return r;
}

/* The argument of the first "[GNUPG:] KEYWORD arg" line, newly allocated; "" when it has none, NULL when absent. */
static char *status_arg(const char *status, const char *keyword)
{
	size_t klen = strlen(keyword);
	const char *p = status;

	while ((p = strstr(p, "[GNUPG:] ")) != NULL) {
		p += 9;
		if (strncmp(p, keyword, klen) == 0 && (p[klen] == ' ' || p[klen] == '\n' || p[klen] == '\0')) {
			const char *arg = p[klen] == ' ' ? p + klen + 1 : p + klen;

			return xstrndup(arg, strcspn(arg, " \n"));
		}
	}
	return NULL;
}

static size_t status_count(const char *status, const char *keyword)
{
	size_t klen = strlen(keyword), n = 0;
	const char *p = status;

	while ((p = strstr(p, "[GNUPG:] ")) != NULL) {
		p += 9;
		if (strncmp(p, keyword, klen) == 0 && (p[klen] == ' ' || p[klen] == '\n' || p[klen] == '\0'))
			n++;
	}
	return n;
}

/*
 * apt 2.6 accepts an InRelease with a good signature from the keyring even
 * when other signatures are by keys it lacks (gpgv then exits 2): Debian
 * signs with several keys, a keyring may hold one. Checked with apt-get
 * update; any other failure still refuses.
 */
static int only_unknown_keys_failed(const char *status)
{
	return status_count(status, "BADSIG") == 0 && status_count(status, "EXPKEYSIG") == 0 &&
	       status_count(status, "REVKEYSIG") == 0 && status_count(status, "EXPSIG") == 0 &&
	       status_count(status, "NO_PUBKEY") > 0 &&
	       status_count(status, "ERRSIG") == status_count(status, "NO_PUBKEY");
}

/* OpenPGP hash algorithm ids (RFC 4880 §9.4) apt refuses as weak: MD5, SHA1, RIPEMD160. */
static int weak_hash(const char *status)
{
	const char *p = strstr(status, "[GNUPG:] VALIDSIG ");
	int field, algo;

	if (p == NULL)
		return 0;
	p += 18;
	/* VALIDSIG <fpr> <date> <ts> <expire> <version> <reserved> <pubkey-algo> <hash-algo> … */
	for (field = 0; field < 7 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return 0;
	algo = atoi(p);
	return algo == 1 || algo == 2 || algo == 3;
}

/* Why gpgv did not accept the file, from its status lines; newly allocated. */
static char *refusal(const char *status, int exit_status, const char *keyring)
{
	static const struct {
		const char *keyword, *reason;
	} reasons[] = {
	    {"BADSIG", "bad signature: the file changed after it was signed"},
	    {"EXPKEYSIG", "signed by an expired key"},
	    {"REVKEYSIG", "signed by a revoked key"},
	    {"EXPSIG", "the signature has expired"},
	    {"NODATA", "not signed (no OpenPGP signature in it)"},
	    {"ERRSIG", "the signature cannot be checked"},
	};
	char *arg = status_arg(status, "NO_PUBKEY");
	char *why = NULL;
	size_t i;

	if (arg != NULL) {
		why = xasprintf("not signed by a key in '%s' (NO_PUBKEY %s)", keyring, arg);
		free(arg);
		return why;
	}
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]) && why == NULL; i++) {
		arg = status_arg(status, reasons[i].keyword);
		if (arg != NULL)
			why = xasprintf("%s (%s%s%s; keyring '%s')", reasons[i].reason, reasons[i].keyword,
					*arg ? " " : "", arg, keyring);
		free(arg);
	}
	if (why == NULL)
		why = xasprintf("gpgv exited with status %d without a good signature from a key in '%s'", exit_status,
				keyring);
	return why;
}

int apt_gpgv_verify(const char *gpgv, const char *keyring, const char *inrelease, const char *out_path,
		    const char *tmp_dir, const char *what, struct lerr *err)
{
	struct buf status = BUF_INIT(STATUS_MAX);
	char *binary = NULL, *good = NULL, *valid = NULL, *why = NULL;
	int exit_status = -1, r = -1;

	if (binary_keyring(keyring, tmp_dir, &binary, err) != 0)
		goto out;
	if (run_gpgv(gpgv, binary, inrelease, out_path, &status, &exit_status, err) != 0) {
		lerr_name(err, "%s", what);
		goto out;
	}
	buf_add(&status, "", 0, NULL); /* NUL-terminated even when gpgv said nothing */
	good = status_arg(status.data != NULL ? status.data : "", "GOODSIG");
	valid = status_arg(status.data != NULL ? status.data : "", "VALIDSIG");
	if (good == NULL || valid == NULL || (exit_status != 0 && !only_unknown_keys_failed(status.data))) {
		why = refusal(status.data != NULL ? status.data : "", exit_status, keyring);
		lerr_about(err, LADING_ERR_SIGNATURE, what, "%s", why);
		goto out;
	}
	if (weak_hash(status.data)) {
		lerr_about(err, LADING_ERR_SIGNATURE, what,
			   "signed with a weak digest algorithm (MD5, SHA1 or RIPEMD160), which apt refuses");
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		unlink(out_path);
	if (binary != NULL && strcmp(binary, keyring) != 0 && strncmp(binary, tmp_dir, strlen(tmp_dir)) == 0)
		unlink(binary);
	free(binary);
	free(good);
	free(valid);
	free(why);
	buf_free(&status);
	return r;
}
