#ifndef LADING_IMAGES_CREDHELPER_H
#define LADING_IMAGES_CREDHELPER_H

/*
 * Docker credential helpers (github.com/docker/docker-credential-helpers): the
 * "credHelpers" (per registry) and "credsStore" (default) of config.json name a
 * program docker-credential-NAME on PATH; `NAME get` reads the server on stdin
 * and prints {"ServerURL":..., "Username":..., "Secret":...}. A Username of
 * "<token>" makes Secret an identity (refresh) token.
 */
#include "images/auth.h"

/*
 * Runs docker-credential-helper get for server (what names config.json in messages) and
 * fills out. Returns 0 with *found 1, 0 with *found 0 when the helper has no credentials
 * for server, or -1 naming the helper and what it said (timeout, bad JSON); a program that
 * is not installed is LADING_ERR_NOTFOUND, which auth_creds_from_json takes as no credentials.
 */
int credhelper_get(const char *helper, const char *server, const char *what, struct auth_creds *out, int *found,
		   struct lerr *err);

#endif
