/* Reading key passwords from the environment or the controlling terminal. */
#include "sign/keypass.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/fsutil.h"

static int password_from_env(char *buf, size_t size, int *found, struct lerr *err)
{
	const char *env = getenv(KEYPASS_ENV);

	*found = env != NULL;
	if (env == NULL)
		return 0;
	if (strlen(env) >= size)
		return lerr_set(err, LADING_ERR_USAGE, "$%s is longer than %zu bytes", KEYPASS_ENV, size - 1);
	memcpy(buf, env, strlen(env) + 1);
	return 0;
}

/* Reads one line from the terminal fd with echo off; the newline is dropped. */
static int tty_read_line(int fd, char *buf, size_t size, struct lerr *err)
{
	size_t len = 0;
	char c;

	for (;;) {
		ssize_t got = read(fd, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return lerr_sys(err, "cannot read the password from the terminal");
		if (got == 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 >= size) {
			OPENSSL_cleanse(&c, sizeof(c));
			return lerr_set(err, LADING_ERR_USAGE, "the password is longer than %zu bytes", size - 1);
		}
		buf[len++] = c;
	}
	buf[len] = '\0';
	OPENSSL_cleanse(&c, sizeof(c));
	return 0;
}

static int tty_ask(const char *prompt, char *buf, size_t size, struct lerr *err)
{
	struct termios saved;
	struct termios quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int r = -1;

	if (fd < 0)
		return lerr_set(err, LADING_ERR_USAGE, "no terminal to ask for the key password: set $%s", KEYPASS_ENV);
	if (tcgetattr(fd, &saved) != 0) {
		lerr_sys(err, "cannot switch off echo on the terminal");
		goto out;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo goes off (dropping typeahead) before the prompt shows: what is typed after it is never echoed. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		lerr_sys(err, "cannot switch off echo on the terminal");
		goto out;
	}
	if (fs_write_all(fd, prompt, strlen(prompt), "/dev/tty", err) == 0)
		r = tty_read_line(fd, buf, size, err);
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (fs_write_all(fd, "\n", 1, "/dev/tty", NULL) != 0)
		r = r == 0 ? lerr_sys(err, "cannot write to the terminal") : r;
out:
	close(fd);
	return r;
}

int keypass_read(void *ctx, const char *what, char *buf, size_t size, struct lerr *err)
{
	char prompt[512];
	int found;

	(void)ctx;
	if (password_from_env(buf, size, &found, err) != 0 || found)
		return found ? 0 : -1;
	/* what is "'path'" from the key loader: the prompt names the key. */
	if ((size_t)snprintf(prompt, sizeof(prompt), "password for %s: ", what) >= sizeof(prompt))
		strcpy(prompt, "key password: ");
	return tty_ask(prompt, buf, size, err);
}

int keypass_new(char *buf, size_t size, struct lerr *err)
{
	char again[1024];
	int found;
	int r = -1;

	if (password_from_env(buf, size, &found, err) != 0)
		return -1;
	if (!found) {
		if (tty_ask("password for the new key: ", buf, size, err) != 0 ||
		    tty_ask("the same password again: ", again, sizeof(again), err) != 0)
			goto out;
		if (strcmp(buf, again) != 0) {
			lerr_set(err, LADING_ERR_USAGE, "the two passwords differ");
			goto out;
		}
	}
	if (buf[0] == '\0') {
		lerr_set(err, LADING_ERR_USAGE, "an empty password is refused (use --unencrypted for a CI key)");
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(again, sizeof(again));
	if (r != 0)
		OPENSSL_cleanse(buf, size);
	return r;
}
