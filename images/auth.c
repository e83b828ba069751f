#include "images/auth.h"
#include "images/credhelper.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/hostcfg.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define AUTH_FILE_MAX (1024 * 1024)
#define TOKEN_REPLY_MAX (1024 * 1024)

void auth_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

void auth_challenge_free(struct auth_challenge *ch)
{
	if (ch == NULL)
		return;
	free(ch->scheme);
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	free(ch->error);
	memset(ch, 0, sizeof(*ch));
}

static int is_token_char(char c)
{
	return c != '\0' && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Reads a token or quoted-string at *p into a new string; advances *p. */
static char *read_value(const char **p)
{
	struct buf b = BUF_INIT(0);
	const char *s = *p;
	size_t len;

	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			buf_add(&b, s, 1, NULL);
		}
		if (*s != '"') {
			buf_free(&b);
			return NULL;
		}
		s++;
	} else {
		while (is_token_char(*s) || *s == '/' || *s == ':' || *s == '=')
			buf_add(&b, s++, 1, NULL);
	}
	*p = s;
	return buf_detach(&b, &len);
}

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static void store_param(struct auth_challenge *out, const char *name, size_t name_len, char *value)
{
	char **slot = NULL;

	if (name_len == 5 && strncasecmp(name, "realm", 5) == 0)
		slot = &out->realm;
	else if (name_len == 7 && strncasecmp(name, "service", 7) == 0)
		slot = &out->service;
	else if (name_len == 5 && strncasecmp(name, "scope", 5) == 0)
		slot = &out->scope;
	else if (name_len == 5 && strncasecmp(name, "error", 5) == 0)
		slot = &out->error;
	if (slot != NULL && *slot == NULL)
		*slot = value;
	else
		free(value);
}

int auth_challenge_parse(const char *header, struct auth_challenge *out, struct lerr *err)
{
	const char *p = header;
	const char *start;

	memset(out, 0, sizeof(*out));
	skip_space(&p);
	for (start = p; is_token_char(*p); p++)
		;
	if (p == start)
		return lerr_set(err, LADING_ERR_FORMAT, "WWW-Authenticate without a scheme");
	out->scheme = xstrndup(start, (size_t)(p - start));
	for (;;) {
		const char *name;
		size_t name_len;
		char *value;

		skip_space(&p);
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (name = p; is_token_char(*p); p++)
			;
		name_len = (size_t)(p - name);
		skip_space(&p);
		if (name_len == 0 || *p != '=') {
			/* The next challenge starts (or garbage): keep what we have. */
			break;
		}
		p++;
		skip_space(&p);
		if ((value = read_value(&p)) == NULL) {
			auth_challenge_free(out);
			return lerr_set(err, LADING_ERR_FORMAT, "WWW-Authenticate: unterminated quoted value");
		}
		store_param(out, name, name_len, value);
	}
	if (strcasecmp(out->scheme, "Bearer") == 0 && (out->realm == NULL || *out->realm == '\0')) {
		auth_challenge_free(out);
		return lerr_set(err, LADING_ERR_FORMAT, "WWW-Authenticate: Bearer challenge without a realm");
	}
	return 0;
}

void auth_creds_free(struct auth_creds *creds)
{
	if (creds == NULL)
		return;
	auth_secret_free(creds->username);
	auth_secret_free(creds->password);
	auth_secret_free(creds->registry_token);
	auth_secret_free(creds->identity_token);
	memset(creds, 0, sizeof(*creds));
}

/* "https://index.docker.io/v1/" -> "index.docker.io"; newly allocated. */
static char *normal_key(const char *key)
{
	const char *p = strstr(key, "://");

	p = p != NULL ? p + 3 : key;
	return xstrndup(p, strcspn(p, "/"));
}

static int is_docker_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, "registry-1.docker.io") == 0;
}

static int decode_auth(const char *b64, struct auth_creds *out, const char *name, struct lerr *err)
{
	size_t len = strlen(b64);
	unsigned char *raw = xmalloc(len / 4 * 3 + 4);
	int n = len % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len) : -1;
	char *colon;
	int r = -1;

	if (n < 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: an 'auth' value is not base64", name);
		goto out;
	}
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	if (colon == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: an 'auth' value is not base64 of user:password", name);
		goto out;
	}
	/* Padding decodes to NUL bytes; the string ends at the first one. */
	out->username = xstrndup((char *)raw, (size_t)(colon - (char *)raw));
	out->password = xstrdup(colon + 1);
	r = 0;
out:
	OPENSSL_cleanse(raw, len / 4 * 3 + 4);
	free(raw);
	return r;
}

static int creds_from_entry(const json_t *entry, const char *name, struct auth_creds *out, struct lerr *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	const char *token = json_string_value(json_object_get(entry, "registrytoken"));
	const char *identity = json_string_value(json_object_get(entry, "identitytoken"));

	if (identity != NULL && *identity != '\0') {
		out->identity_token = xstrdup(identity);
		return 0;
	}
	if (auth != NULL && *auth != '\0')
		return decode_auth(auth, out, name, err);
	if (user != NULL && pass != NULL) {
		out->username = xstrdup(user);
		out->password = xstrdup(pass);
		return 0;
	}
	if (token != NULL && *token != '\0') {
		out->registry_token = xstrdup(token);
		return 0;
	}
	return 1;
}

/*
 * credHelpers[host] or else credsStore, as docker does; a helper that has nothing for host
 * leaves *found 0, so the "auths" entries are looked at next.
 */
static int creds_from_helper(const json_t *root, const char *name, const char *host, struct auth_creds *out, int *found,
			     struct lerr *err)
{
	const json_t *helpers = json_object_get(root, "credHelpers");
	const char *helper = NULL, *key;
	const json_t *value;

	json_object_foreach((json_t *)helpers, key, value)
	{
		char *norm = normal_key(key);

		if (json_is_string(value) && (strcmp(norm, host) == 0 || (is_docker_hub(norm) && is_docker_hub(host))))
			helper = json_string_value(value);
		free(norm);
		if (helper != NULL)
			break;
	}
	if (helper == NULL)
		helper = json_string_value(json_object_get(root, "credsStore"));
	if (helper == NULL || helper[0] == '\0')
		return 0;
	return credhelper_get(helper, is_docker_hub(host) ? "https://index.docker.io/v1/" : host, name, out, found,
			      err);
}

int auth_creds_from_json(const char *json, size_t len, const char *name, const char *host, struct auth_creds *out,
			 int *found, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	struct lerr helper_err;
	const json_t *auths, *entry;
	const char *key;
	int r = -1;

	memset(out, 0, sizeof(*out));
	*found = 0;
	if (root == NULL || !json_is_object(root))
		return lerr_set(err, LADING_ERR_FORMAT, "%s:%d:%d: not a JSON object%s%s", name, root ? 1 : jerr.line,
				root ? 1 : jerr.column, root ? "" : ": ", root ? "" : jerr.text);
	lerr_clear(&helper_err);
	if (creds_from_helper(root, name, host, out, found, &helper_err) != 0 &&
	    helper_err.code != LADING_ERR_NOTFOUND) {
		*err = helper_err;
		goto out;
	}
	if (*found) {
		r = 0;
		goto out;
	}
	auths = json_object_get(root, "auths");
	if (auths != NULL && !json_is_object(auths)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: 'auths' is not an object", name);
		goto out;
	}
	json_object_foreach((json_t *)auths, key, entry)
	{
		char *norm = normal_key(key);
		int match = strcmp(norm, host) == 0 || (is_docker_hub(norm) && is_docker_hub(host));
		int got;

		free(norm);
		if (!match || !json_is_object(entry))
			continue;
		if ((got = creds_from_entry(entry, name, out, err)) < 0)
			goto out;
		if (got == 0) {
			*found = 1;
			break;
		}
	}
	/*
	 * A helper that is not installed (a config.json copied from a desktop, "credsStore": "desktop")
	 * gives no credentials, as for anonymous pulls it must not stop them; a registry that wants
	 * some says so.
	 */
	r = 0;
out:
	json_decref(root);
	return r;
}

int auth_creds_load(const char *path, const char *host, struct auth_creds *out, int *found, struct lerr *err)
{
	struct buf data = BUF_INIT(AUTH_FILE_MAX);
	char *default_path = NULL;
	const char *env = getenv("LADING_REGISTRY_AUTH_FILE");
	const char *home = getenv("HOME");
	int r = -1;

	memset(out, 0, sizeof(*out));
	*found = 0;
	if (path == NULL && env != NULL && *env != '\0')
		path = env;
	if (path == NULL) {
		if (home == NULL)
			return 0;
		default_path = xasprintf("%s/.docker/config.json", home);
		if (!fs_exists(default_path)) {
			free(default_path);
			return 0;
		}
		path = default_path;
	}
	if (fs_read_file(path, &data, err) != 0)
		goto out;
	r = auth_creds_from_json(data.data, data.len, path, host, out, found, err);
out:
	if (data.data != NULL)
		OPENSSL_cleanse(data.data, data.len);
	buf_free(&data);
	free(default_path);
	return r;
}

char *auth_basic_value(const struct auth_creds *creds)
{
	return host_basic_value(creds->username, creds->password);
}

static char *token_url(const struct auth_challenge *ch, const char *scope)
{
	struct buf url = BUF_INIT(0);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	size_t len;

	buf_puts(&url, ch->realm);
	if (ch->service != NULL) {
		char *esc = http_escape(ch->service);

		buf_printf(&url, "%cservice=%s", sep, esc);
		sep = '&';
		free(esc);
	}
	/* Several space-separated scopes go as repeated scope parameters (SPECS §1.9). */
	if (scope != NULL) {
		char *copy = xstrdup(scope);
		char *save = NULL;
		char *one;

		for (one = strtok_r(copy, " ", &save); one != NULL; one = strtok_r(NULL, " ", &save)) {
			char *esc = http_escape(one);

			buf_printf(&url, "%cscope=%s", sep, esc);
			sep = '&';
			free(esc);
		}
		free(copy);
	}
	return buf_detach(&url, &len);
}

static int parse_token_reply(const struct buf *body, const char *subject, char **authorization, struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body->data ? body->data : "", body->len, 0, &jerr);
	const char *token;
	int r = -1;

	if (root == NULL || !json_is_object(root)) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: token server reply is not JSON", subject);
		goto out;
	}
	token = json_string_value(json_object_get(root, "token"));
	if (token == NULL || *token == '\0')
		token = json_string_value(json_object_get(root, "access_token"));
	if (token == NULL || *token == '\0') {
		lerr_set(err, LADING_ERR_FORMAT, "%s: token server reply has no token", subject);
		goto out;
	}
	*authorization = xasprintf("Bearer %s", token);
	r = 0;
out:
	if (root != NULL) {
		/* jansson keeps its own copies of the strings: wipe them. */
		json_t *t = json_object_get(root, "token");
		json_t *a = json_object_get(root, "access_token");

		if (json_is_string(t))
			OPENSSL_cleanse((char *)json_string_value(t), json_string_length(t));
		if (json_is_string(a))
			OPENSSL_cleanse((char *)json_string_value(a), json_string_length(a));
	}
	json_decref(root);
	return r;
}

/* The OAuth2 form body of a refresh_token grant (SPECS §1.9); a secret: free with auth_secret_free. */
static char *oauth_form(const struct auth_challenge *ch, const char *scope, const char *refresh_token)
{
	char *service = http_escape(ch->service ? ch->service : "");
	char *scope_esc = http_escape(scope ? scope : "");
	char *token = http_escape(refresh_token);
	char *form = xasprintf("grant_type=refresh_token&client_id=lading&service=%s&scope=%s&refresh_token=%s",
			       service, scope_esc, token);

	free(service);
	free(scope_esc);
	auth_secret_free(token);
	return form;
}

/* POST realm with the identity token. Returns 1 when the realm does not take POST (404). */
static int fetch_token_oauth(struct http_session *http, const struct auth_challenge *ch, const char *scope,
			     const struct auth_creds *creds, const char *subject, char **authorization,
			     struct lerr *err)
{
	static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	struct http_request req = {0};
	struct http_response resp = {0};
	struct buf body = BUF_INIT(TOKEN_REPLY_MAX);
	char *form = oauth_form(ch, scope, creds->identity_token);
	int r = -1;

	req.method = "POST";
	req.url = ch->realm;
	req.headers = headers;
	req.upload = form;
	req.upload_len_mem = strlen(form);
	req.body = &body;
	if (http_do(http, &req, &resp, err) != 0) {
		lerr_prefix(err, "%s: token server", subject);
		goto out;
	}
	if (resp.status == 404) {
		r = 1;
	} else if (resp.status == 401 || resp.status == 403 || resp.status == 400) {
		lerr_set(err, LADING_ERR_AUTH, "%s: identity token refused by the token server %s (status %ld)",
			 subject, ch->realm, resp.status);
	} else if (resp.status != 200) {
		lerr_set(err, LADING_ERR_NETWORK, "%s: token server %s answered status %ld", subject, ch->realm,
			 resp.status);
	} else {
		r = parse_token_reply(&body, subject, authorization, err);
	}
out:
	http_response_free(&resp);
	if (body.data != NULL)
		OPENSSL_cleanse(body.data, body.len);
	buf_free(&body);
	auth_secret_free(form);
	return r;
}

int auth_fetch_token(struct http_session *http, const struct auth_challenge *ch, const char *scope,
		     const struct auth_creds *creds, const char *subject, char **authorization, struct lerr *err)
{
	struct http_request req = {0};
	struct http_response resp = {0};
	struct buf body = BUF_INIT(TOKEN_REPLY_MAX);
	char *url = token_url(ch, scope);
	char *basic = creds != NULL && creds->username != NULL ? auth_basic_value(creds) : NULL;
	int r = -1;

	if (creds != NULL && creds->identity_token != NULL &&
	    (r = fetch_token_oauth(http, ch, scope, creds, subject, authorization, err)) <= 0)
		goto out;
	r = -1;
	req.method = "GET";
	req.url = url;
	req.authorization = basic;
	req.body = &body;
	if (http_do(http, &req, &resp, err) != 0) {
		lerr_prefix(err, "%s: token server", subject);
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		lerr_set(err, LADING_ERR_AUTH, "%s: %s refused by the token server %s (status %ld)", subject,
			 basic ? "credentials" : "anonymous access", ch->realm, resp.status);
		goto out;
	}
	if (resp.status != 200) {
		lerr_set(err, LADING_ERR_NETWORK, "%s: token server %s answered status %ld", subject, ch->realm,
			 resp.status);
		goto out;
	}
	r = parse_token_reply(&body, subject, authorization, err);
out:
	http_response_free(&resp);
	if (body.data != NULL)
		OPENSSL_cleanse(body.data, body.len);
	buf_free(&body);
	auth_secret_free(basic);
	free(url);
	return r;
}
