#ifndef LADING_SIGN_KEYPASS_H
#define LADING_SIGN_KEYPASS_H

/*
 * Passwords for minisign secret keys: $LADING_KEY_PASSWORD when set, else read
 * from /dev/tty with echo off (the prompt goes to /dev/tty, never to stdout or a
 * log). For the command layer only.
 */
#include <stddef.h>

#include "lib/err.h"

#define KEYPASS_ENV "LADING_KEY_PASSWORD"

/* A minisign_password_fn: the password to unlock the key named by what. */
int keypass_read(void *ctx, const char *what, char *buf, size_t size, struct lerr *err);
/* The password for a new key: the environment, or asked twice on the terminal; empty is refused. */
int keypass_new(char *buf, size_t size, struct lerr *err);

#endif
