/*
 * OpenPGP signatures over SHA256SUMS, checked by Debian's gpgv: the registry
 * hands out ASCII-armored keys, gpgv wants a binary keyring, so the armor is
 * undone here (RFC 4880 §6.2) and the keys concatenated into one file.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "providers/registry.h"

char *provider_gpgv_find(const char *configured)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (configured != NULL)
		return *configured ? xstrdup(configured) : NULL;
	copy = xstrdup(path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = xasprintf("%s/gpgv", *dir ? dir : ".");

		if (access(candidate, X_OK) == 0)
			found = candidate;
		else
			free(candidate);
	}
	free(copy);
	return found;
}

/* Appends the binary packets of one armored block to out. */
static int dearmor(const char *what, const char *armor, struct buf *out, struct lerr *err)
{
	const char *begin = strstr(armor, "-----BEGIN PGP PUBLIC KEY BLOCK-----");
	const char *body, *end, *p;
	struct buf b64 = BUF_INIT(0);
	unsigned char *bin = NULL;
	int len, pad = 0, r = -1;

	/* Headers end at the first empty line; the body ends at the "=CRC" line or END. */
	body = begin != NULL ? strstr(begin, "\n\n") : NULL;
	if (body == NULL)
		body = begin != NULL ? strstr(begin, "\n\r\n") : NULL;
	end = body != NULL ? strstr(body, "-----END PGP PUBLIC KEY BLOCK-----") : NULL;
	if (end == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key is not an ASCII-armored public key", what);
		goto out;
	}
	for (p = body; p < end; p++) {
		if (*p == '\n' && p[1] == '=')
			break; /* the CRC line */
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			buf_add(&b64, p, 1, NULL);
	}
	if (b64.len == 0 || b64.len % 4 != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key armor is damaged", what);
		goto out;
	}
	pad = (b64.data[b64.len - 1] == '=') + (b64.data[b64.len - 2] == '=');
	bin = xmalloc(b64.len / 4 * 3 + 1);
	len = EVP_DecodeBlock(bin, (const unsigned char *)b64.data, (int)b64.len);
	if (len < 0 || len < pad) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: signing key armor is not base64", what);
		goto out;
	}
	buf_add(out, bin, (size_t)(len - pad), NULL);
	r = 0;
out:
	buf_free(&b64);
	free(bin);
	return r;
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
		if (dearmor(what, armored_keys[i], &keys, err) != 0)
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
