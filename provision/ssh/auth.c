/*
 * Public key authentication: ssh-agent identities first, then key files
 * (OpenSSH and PEM formats; encrypted ones with $LADING_SSH_PASSPHRASE or a
 * passphrase read from the terminal). No passwords.
 */
#define _GNU_SOURCE
#include "provision/ssh/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/ssh/knownhosts.h"

#define KEY_FILE_MAX (64 * 1024)
#define PASSPHRASE_MAX 1024
#define PASSPHRASE_CACHE 8

/* libssh2 1.10 signs RSA user keys only with SHA-1 "ssh-rsa" (no rsa-sha2-*): OpenSSH >= 8.8 refuses that. */
#define RSA_LIMIT_TEXT                                                                                                 \
	"libssh2 1.10 signs rsa user keys only with sha-1 'ssh-rsa', which openssh >= 8.8 refuses; use an "            \
	"ed25519 or ecdsa key, or allow ssh-rsa on the target (PubkeyAcceptedAlgorithms +ssh-rsa)"

struct key_info {
	char type[64]; /* "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", or "" when unknown (PKCS#8) */
	int encrypted;
};

struct auth_state {
	struct buf tried;     /* what we offered, for the failure message */
	int rsa_refused;      /* an RSA key was refused: probably the SHA-1 limit */
	int other_refused;    /* a non-RSA key was refused */
	struct lerr file_err; /* a key we could not use (wrong passphrase, format) */
	int have_file_err;
};

static pthread_mutex_t passphrase_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *path;
	char *passphrase;
} passphrase_cache[PASSPHRASE_CACHE];

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads an SSH string at *pos; -1 when it runs past len. */
static int get_string(const unsigned char *data, size_t len, size_t *pos, const unsigned char **str, size_t *str_len)
{
	uint32_t n;

	if (len - *pos < 4)
		return -1;
	n = get_u32(data + *pos);
	if (n > len - *pos - 4)
		return -1;
	*str = data + *pos + 4;
	*str_len = n;
	*pos += 4 + n;
	return 0;
}

/* PROTOCOL.key: "openssh-key-v1\0", cipher, kdf, kdf options, key count, public key blobs... */
static int key_inspect_openssh(const char *pem, struct key_info *info)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	const char *start = strstr(pem, begin);
	const char *end = start != NULL ? strstr(start, "-----END OPENSSH PRIVATE KEY-----") : NULL;
	struct buf text = BUF_INIT(0);
	unsigned char *data = NULL;
	const unsigned char *cipher, *kdf, *kdf_options, *public_key;
	size_t data_len = 0, pos = 15, cipher_len, kdf_len, kdf_options_len, public_len;
	const char *p;
	int rc = -1;

	if (end == NULL)
		return -1;
	for (p = start + sizeof(begin) - 1; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			buf_add(&text, p, 1, NULL);
	if (text.len == 0 || kh_base64_decode(text.data, text.len, &data, &data_len) != 0)
		goto out;
	if (data_len < 15 || memcmp(data, "openssh-key-v1", 15) != 0 ||
	    get_string(data, data_len, &pos, &cipher, &cipher_len) != 0 ||
	    get_string(data, data_len, &pos, &kdf, &kdf_len) != 0 ||
	    get_string(data, data_len, &pos, &kdf_options, &kdf_options_len) != 0 || data_len - pos < 4)
		goto out;
	pos += 4;
	if (get_string(data, data_len, &pos, &public_key, &public_len) != 0 ||
	    kh_blob_type(public_key, public_len, info->type, sizeof(info->type)) != 0)
		goto out;
	info->encrypted = !(cipher_len == 4 && memcmp(cipher, "none", 4) == 0);
	rc = 0;
out:
	buf_free(&text);
	free(data);
	return rc;
}

/* Which kind of key a file holds and whether it needs a passphrase, without decrypting it. */
static int key_inspect(const char *name, const char *path, struct key_info *info, struct lerr *err)
{
	struct buf file = BUF_INIT(KEY_FILE_MAX);
	const char *pem;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	if (fs_read_file(path, &file, err) != 0) {
		lerr_prefix(err, "%s: cannot read private key", name);
		goto out;
	}
	pem = file.data != NULL ? file.data : "";
	if (strstr(pem, "-----BEGIN OPENSSH PRIVATE KEY-----") != NULL) {
		if (key_inspect_openssh(pem, info) == 0)
			rc = 0;
	} else if (strstr(pem, "-----BEGIN RSA PRIVATE KEY-----") != NULL) {
		snprintf(info->type, sizeof(info->type), "ssh-rsa");
		rc = 0;
	} else if (strstr(pem, "-----BEGIN EC PRIVATE KEY-----") != NULL) {
		snprintf(info->type, sizeof(info->type), "ecdsa");
		rc = 0;
	} else if (strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL) {
		info->encrypted = 1;
		rc = 0;
	} else if (strstr(pem, "-----BEGIN PRIVATE KEY-----") != NULL) {
		rc = 0;
	}
	if (rc == 0 && strstr(pem, "Proc-Type: 4,ENCRYPTED") != NULL)
		info->encrypted = 1;
	if (rc != 0)
		lerr_about(err, LADING_ERR_FORMAT, name, "'%s' is not a private key in OpenSSH or PEM format", path);
out:
	if (file.data != NULL)
		OPENSSL_cleanse(file.data, file.len);
	buf_free(&file);
	return rc;
}

char *ssh_read_secret(const char *prompt)
{
	struct termios saved, quiet;
	char line[PASSPHRASE_MAX];
	char *secret;
	ssize_t n;
	size_t len = 0;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return NULL;
	if (tcgetattr(fd, &saved) != 0) {
		close(fd);
		return NULL;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	/* echo off before the prompt: whoever answers it at once is not echoed */
	if (tcsetattr(fd, TCSANOW, &quiet) != 0 || write(fd, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSAFLUSH, &saved);
		close(fd);
		return NULL;
	}
	while (len < sizeof(line) - 1 && (n = read(fd, line + len, 1)) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* Only cosmetic. */
	}
	close(fd);
	secret = xstrdup(line);
	OPENSSL_cleanse(line, sizeof(line));
	return secret;
}

static char *passphrase_from_tty(const char *path)
{
	char *prompt = xasprintf("Enter passphrase for key '%s': ", path);
	char *secret = ssh_read_secret(prompt);

	free(prompt);
	return secret;
}

/* The passphrase for an encrypted key: $LADING_SSH_PASSPHRASE, else asked once per key on the terminal. */
static char *passphrase_get(const char *name, const char *path, struct lerr *err)
{
	const char *env = getenv("LADING_SSH_PASSPHRASE");
	char *secret = NULL;
	int i;

	if (env != NULL)
		return xstrdup(env);
	pthread_mutex_lock(&passphrase_lock);
	for (i = 0; i < PASSPHRASE_CACHE && passphrase_cache[i].path != NULL; i++)
		if (strcmp(passphrase_cache[i].path, path) == 0)
			secret = xstrdup(passphrase_cache[i].passphrase);
	if (secret == NULL && (secret = passphrase_from_tty(path)) != NULL) {
		for (i = 0; i < PASSPHRASE_CACHE && passphrase_cache[i].path != NULL; i++)
			;
		if (i < PASSPHRASE_CACHE) {
			passphrase_cache[i].path = xstrdup(path);
			passphrase_cache[i].passphrase = xstrdup(secret);
		}
	}
	pthread_mutex_unlock(&passphrase_lock);
	if (secret == NULL)
		lerr_about(err, LADING_ERR_AUTH, name,
			   "key '%s' is encrypted: set LADING_SSH_PASSPHRASE or run on a terminal", path);
	return secret;
}

void ssh_forget_passphrases(void)
{
	int i;

	pthread_mutex_lock(&passphrase_lock);
	for (i = 0; i < PASSPHRASE_CACHE; i++) {
		if (passphrase_cache[i].passphrase != NULL) {
			OPENSSL_cleanse(passphrase_cache[i].passphrase, strlen(passphrase_cache[i].passphrase));
			free(passphrase_cache[i].passphrase);
		}
		free(passphrase_cache[i].path);
		passphrase_cache[i].path = passphrase_cache[i].passphrase = NULL;
	}
	pthread_mutex_unlock(&passphrase_lock);
}

void ssh_secret_free(char *secret)
{
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
}

/* A refusal of the key by the server (as opposed to a transport failure). */
static int auth_refused(int code)
{
	return code == LIBSSH2_ERROR_AUTHENTICATION_FAILED || code == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED ||
	       code == LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED || code == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED;
}

static void auth_note_refusal(struct auth_state *st, const char *type)
{
	if (strcmp(type, "ssh-rsa") == 0)
		st->rsa_refused = 1;
	else
		st->other_refused = 1;
}

/* 0 authenticated, 1 no agent key accepted, -1 transport failure. */
static int auth_agent(struct ssh_session *ss, const char *user, double deadline, struct auth_state *st,
		      struct lerr *err)
{
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *identity = NULL, *previous = NULL;
	char type[64];
	int r, rc = 1, count = 0;

	if (getenv("SSH_AUTH_SOCK") == NULL || (agent = libssh2_agent_init(ss->session)) == NULL)
		return 1;
	if (libssh2_agent_connect(agent) != 0 || libssh2_agent_list_identities(agent) != 0)
		goto out;
	while (rc == 1 && libssh2_agent_get_identity(agent, &identity, previous) == 0) {
		previous = identity;
		count++;
		while ((r = libssh2_agent_userauth(agent, user, identity)) == LIBSSH2_ERROR_EAGAIN)
			if (ssh_session_wait(ss, deadline, "authentication", err) != 0) {
				rc = -1;
				goto out;
			}
		if (r == 0) {
			rc = 0;
		} else if (auth_refused(r) || r == LIBSSH2_ERROR_AGENT_PROTOCOL) {
			if (kh_blob_type(identity->blob, identity->blob_len, type, sizeof(type)) == 0)
				auth_note_refusal(st, type);
		} else {
			ssh_session_error(ss, LADING_ERR_NETWORK, "authentication with ssh-agent failed", err);
			rc = -1;
		}
	}
	buf_printf(&st->tried, "%sssh-agent (%d key%s)", st->tried.len ? ", " : "", count, count == 1 ? "" : "s");
out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return rc;
}

/* 0 authenticated, 1 refused or unusable (noted in st), -1 transport failure. */
static int auth_key_file(struct ssh_session *ss, const char *user, const char *path, double deadline,
			 struct auth_state *st, struct lerr *err)
{
	struct key_info info;
	char *passphrase = NULL;
	int r, rc = 1;

	buf_printf(&st->tried, "%s%s", st->tried.len ? ", " : "", path);
	if (key_inspect(ss->name, path, &info, &st->file_err) != 0) {
		st->have_file_err = 1;
		return 1;
	}
	if (info.encrypted && (passphrase = passphrase_get(ss->name, path, &st->file_err)) == NULL) {
		st->have_file_err = 1;
		return 1;
	}
	while ((r = libssh2_userauth_publickey_fromfile_ex(ss->session, user, (unsigned int)strlen(user), NULL, path,
							   passphrase)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_session_wait(ss, deadline, "authentication", err) != 0) {
			rc = -1;
			goto out;
		}
	if (r == 0) {
		rc = 0;
	} else if (r == LIBSSH2_ERROR_FILE) {
		lerr_about(&st->file_err, LADING_ERR_AUTH, ss->name, "cannot use key '%s': %s", path,
			   info.encrypted ? "wrong passphrase" : "unsupported key format");
		st->have_file_err = 1;
	} else if (auth_refused(r)) {
		auth_note_refusal(st, info.type);
	} else {
		ssh_session_error(ss, LADING_ERR_NETWORK, "authentication failed", err);
		rc = -1;
	}
out:
	ssh_secret_free(passphrase);
	return rc;
}

static char *auth_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] != '\0')
		return xstrdup(home);
	pw = getpwuid(getuid());
	return xstrdup(pw != NULL ? pw->pw_dir : "/");
}

/* Key files to try: the given one, else the default names that exist. */
static int auth_files(struct ssh_session *ss, const char *user, const char *key_file, double deadline,
		      struct auth_state *st, struct lerr *err)
{
	static const char *const defaults[] = {"id_ed25519", "id_ecdsa", "id_rsa", NULL};
	char *home, *path;
	int i, rc = 1;

	if (key_file != NULL && key_file[0] != '\0')
		return auth_key_file(ss, user, key_file, deadline, st, err);
	home = auth_home();
	for (i = 0; rc == 1 && defaults[i] != NULL; i++) {
		path = xasprintf("%s/.ssh/%s", home, defaults[i]);
		if (fs_exists(path))
			rc = auth_key_file(ss, user, path, deadline, st, err);
		free(path);
	}
	free(home);
	return rc;
}

/* The user's authentication methods; *methods stays NULL when "none" already succeeded. */
static int auth_methods(struct ssh_session *ss, const char *user, double deadline, char **methods, struct lerr *err)
{
	char *list;

	*methods = NULL;
	while ((list = libssh2_userauth_list(ss->session, user, (unsigned int)strlen(user))) == NULL) {
		if (libssh2_userauth_authenticated(ss->session))
			return 0;
		if (libssh2_session_last_errno(ss->session) != LIBSSH2_ERROR_EAGAIN)
			return ssh_session_error(ss, LADING_ERR_NETWORK, "cannot list authentication methods", err);
		if (ssh_session_wait(ss, deadline, "authentication", err) != 0)
			return -1;
	}
	*methods = list;
	return 0;
}

int ssh_auth(struct ssh_session *ss, const char *user, const char *key_file, double deadline, struct lerr *err)
{
	struct auth_state st;
	char *methods;
	int rc;

	memset(&st, 0, sizeof(st));
	buf_init(&st.tried, 0);
	if (auth_methods(ss, user, deadline, &methods, err) != 0)
		return -1;
	if (methods == NULL)
		return 0;
	if (strstr(methods, "publickey") == NULL) {
		rc = lerr_about(err, LADING_ERR_AUTH, ss->name,
				"the server offers no public key authentication for user '%s' (offers: %s)", user,
				methods);
		goto out;
	}
	if ((rc = auth_agent(ss, user, deadline, &st, err)) == 1)
		rc = auth_files(ss, user, key_file, deadline, &st, err);
	if (rc != 1)
		goto out;
	if (st.rsa_refused && !st.other_refused)
		rc = lerr_about(err, LADING_ERR_AUTH, ss->name, "rsa key refused for user '%s': " RSA_LIMIT_TEXT, user);
	else if (st.have_file_err && !st.other_refused)
		rc = (*err = st.file_err, -1);
	else
		rc = lerr_about(err, LADING_ERR_AUTH, ss->name, "authentication failed for user '%s' (tried: %s)", user,
				st.tried.len > 0 ? st.tried.data : "no key: set ansible_ssh_private_key_file");
out:
	buf_free(&st.tried);
	return rc == 0 ? 0 : -1;
}
