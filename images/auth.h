#ifndef LADING_IMAGES_AUTH_H
#define LADING_IMAGES_AUTH_H

#include <stddef.h>

#include "lib/err.h"
#include "lib/http.h"

/* One WWW-Authenticate challenge (SPECS §1.9): Bearer or Basic with its parameters. */
struct auth_challenge {
	char *scheme; /* "Bearer" or "Basic" (as sent) */
	char *realm;
	char *service;
	char *scope;
	char *error;
};

/*
 * Parses the first challenge of a WWW-Authenticate value (RFC 7235 params in
 * any order, quoted or token values). Free with auth_challenge_free.
 * Fails with LADING_ERR_FORMAT on a malformed header.
 */
int auth_challenge_parse(const char *header, struct auth_challenge *out, struct lerr *err);
void auth_challenge_free(struct auth_challenge *ch);

/* Credentials for one registry; every field is wiped on auth_creds_free. */
struct auth_creds {
	char *username;
	char *password;
	char *registry_token; /* "registrytoken": a bearer token used as is */
	char *identity_token; /* "identitytoken": an OAuth2 refresh token for the realm */
};

/*
 * Looks host up in a docker config.json held in memory (name is used in
 * messages): "auths" entries with base64 "auth", or "username"/"password", or
 * "registrytoken". Keys may carry a scheme and path; Docker Hub's key is
 * https://index.docker.io/v1/. First, as docker does, a credential helper named for
 * host in "credHelpers", or else "credsStore", is asked (images/credhelper.h).
 * *found is 0 when neither has anything for host.
 */
int auth_creds_from_json(const char *json, size_t len, const char *name, const char *host, struct auth_creds *out,
			 int *found, struct lerr *err);

/*
 * Loads credentials for host from path, else $LADING_REGISTRY_AUTH_FILE, else
 * ~/.docker/config.json (a missing default file means no credentials; a
 * missing named file is an error).
 */
int auth_creds_load(const char *path, const char *host, struct auth_creds *out, int *found, struct lerr *err);
void auth_creds_free(struct auth_creds *creds);

/* "Basic base64(user:pass)", newly allocated (free with auth_secret_free). */
char *auth_basic_value(const struct auth_creds *creds);

/*
 * Asks the challenge's realm for a token for scope (distribution token spec),
 * sending Basic credentials when creds has them; with an identity token, an
 * OAuth2 refresh_token POST first (falling back to GET when the realm answers 404). Returns "Bearer <token>" in
 * *authorization (free with auth_secret_free). LADING_ERR_AUTH when refused.
 */
int auth_fetch_token(struct http_session *http, const struct auth_challenge *ch, const char *scope,
		     const struct auth_creds *creds, const char *subject, char **authorization, struct lerr *err);

/* Wipes and frees a secret string; accepts NULL. */
void auth_secret_free(char *secret);

#endif
