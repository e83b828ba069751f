/*
 * OpenPGP signatures over SHA256SUMS, checked by Debian's gpgv: the registry
 * hands out ASCII-armored keys, gpgv wants a binary keyring, so the armor is
 * undone (lib/pgparmor.c) and the keys concatenated into one file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/pgparmor.h"
#include "lib/xmalloc.h"
#include "providers/registry.h"

char *provider_gpgv_find(const char *configured)
{
	if (configured != NULL)
		return *configured ? xstrdup(configured) : NULL;
	return fs_which("gpgv");
}

static int run_gpgv(const char *gpgv, const char *keyring, const char *sig_path, const char *data_path,
		    struct lerr *err)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return lerr_sys(err, "cannot start '%s'", gpgv);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(gpgv, gpgv, "--quiet", "--keyring", keyring, sig_path, data_path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lerr_sys(err, "cannot wait for '%s'", gpgv);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot run '%s'", gpgv);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int provider_gpg_verify(const char *gpgv, const char *tmp_dir, const char *what, const char *const *armored_keys,
			size_t key_count, const char *sig_path, const char *data_path, struct lerr *err)
{
	struct buf keys = BUF_INIT(0);
	char *keyring = xasprintf("%s/keyring.gpg", tmp_dir);
	size_t i;
	int r = -1, verdict;

	if (key_count == 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: the registry lists no signing key for SHA256SUMS", what);
		goto out;
	}
	for (i = 0; i < key_count; i++)
		if (pgp_dearmor_keys(what, armored_keys[i], &keys, err) != 0)
			goto out;
	if (fs_write_file(keyring, keys.data, keys.len, 0600, err) != 0)
		goto out;
	verdict = run_gpgv(gpgv, keyring, sig_path, data_path, err);
	if (verdict < 0)
		goto out;
	if (verdict != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: the signature of SHA256SUMS does not verify against the registry's signing keys", what);
		goto out;
	}
	r = 0;
out:
	unlink(keyring);
	free(keyring);
	buf_free(&keys);
	return r;
}
