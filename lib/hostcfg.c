#include "lib/hostcfg.h"

#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define HOSTCFG_FILE_MAX (1024 * 1024)

static const char *const entry_keys[] = {"host",     "plain_http",    "ca_file",      "insecure_skip_verify",
					 "username", "password_file", "password_env", NULL};

#define HOSTCFG_PASSWORD_MAX 4096

/* ca_file relative to the directory of the YAML file it was written in. */
static char *resolve_path(const struct ynode *node, const char *path)
{
	char *copy, *dir, *out;

	if (path[0] == '/' || node->file == NULL || strchr(node->file, '/') == NULL)
		return xstrdup(path);
	copy = xstrdup(node->file);
	dir = dirname(copy);
	out = xasprintf("%s/%s", dir, path);
	free(copy);
	return out;
}

/* The first line of password_file, or the value of password_env, into out->password. */
static int parse_password(const struct ynode *map, struct host_config *out, struct lerr *err)
{
	const struct ynode *file = ynode_get(map, "password_file"), *env = ynode_get(map, "password_env");
	struct buf text = BUF_INIT(HOSTCFG_PASSWORD_MAX);
	const char *name, *value;
	char *path;
	int r;

	if (file != NULL && env != NULL)
		return ynode_error(env, err, LADING_ERR_USAGE, "give password_file or password_env, not both");
	if (env != NULL) {
		if (ynode_string(env, "password_env", &name, err) != 0)
			return -1;
		if ((value = getenv(name)) == NULL)
			return ynode_error(env, err, LADING_ERR_USAGE, "password_env: $%s is not set", name);
		out->password = xstrdup(value);
		return 0;
	}
	if (file == NULL)
		return ynode_error(map, err, LADING_ERR_USAGE,
				   "registries entry: username needs password_file or password_env (a password is "
				   "never written in the file)");
	if (ynode_string(file, "password_file", &name, err) != 0)
		return -1;
	path = resolve_path(file, name);
	r = fs_read_file(path, &text, err);
	if (r != 0)
		ynode_error(file, err, LADING_ERR_USAGE, "password_file '%s': cannot read it", path);
	else
		out->password = xstrndup(text.data, strcspn(text.data, "\r\n"));
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.len);
	buf_free(&text);
	free(path);
	return r;
}

static int parse_entry(const struct ynode *map, struct host_config *out, struct lerr *err)
{
	const struct ynode *node;
	const char *text;

	memset(out, 0, sizeof(*out));
	if (ynode_expect(map, YNODE_MAP, "registries entry", err) != 0 ||
	    ynode_check_keys(map, entry_keys, "registries entry", err) != 0)
		return -1;
	if ((node = ynode_get(map, "host")) == NULL)
		return ynode_error(map, err, LADING_ERR_USAGE, "registries entry: 'host' is required");
	if (ynode_string(node, "host", &text, err) != 0)
		return -1;
	if (*text == '\0' || strchr(text, '/') != NULL || strstr(text, "://") != NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "host: want host[:port] without a scheme or path");
	out->host = xstrdup(text);
	if ((node = ynode_get(map, "plain_http")) != NULL && ynode_bool(node, "plain_http", &out->plain_http, err) != 0)
		return -1;
	if ((node = ynode_get(map, "insecure_skip_verify")) != NULL &&
	    ynode_bool(node, "insecure_skip_verify", &out->insecure_skip_verify, err) != 0)
		return -1;
	if ((node = ynode_get(map, "ca_file")) != NULL) {
		if (ynode_string(node, "ca_file", &text, err) != 0)
			return -1;
		out->ca_file = resolve_path(node, text);
	}
	if ((node = ynode_get(map, "username")) != NULL) {
		if (ynode_string(node, "username", &text, err) != 0)
			return -1;
		if (strchr(text, ':') != NULL)
			return ynode_error(node, err, LADING_ERR_USAGE, "username: Basic auth allows no ':' in it");
		out->username = xstrdup(text);
		if (parse_password(map, out, err) != 0)
			return -1;
	} else if (ynode_get(map, "password_file") != NULL || ynode_get(map, "password_env") != NULL) {
		return ynode_error(map, err, LADING_ERR_USAGE, "registries entry: a password needs a username");
	}
	return 0;
}

int host_set_parse(const struct ynode *seq, struct host_set *out, struct lerr *err)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (ynode_expect(seq, YNODE_SEQ, "registries", err) != 0)
		return -1;
	out->items = xcalloc(seq->count + 1, sizeof(*out->items));
	for (i = 0; i < seq->count; i++) {
		if (parse_entry(seq->items[i], &out->items[i], err) != 0) {
			out->count = i + 1;
			goto fail;
		}
		out->count = i + 1;
		for (j = 0; j < i; j++)
			if (strcmp(out->items[j].host, out->items[i].host) == 0) {
				ynode_error(seq->items[i], err, LADING_ERR_USAGE, "registry '%s' is listed twice",
					    out->items[i].host);
				goto fail;
			}
	}
	return 0;
fail:
	host_set_free(out);
	return -1;
}

int host_set_load(const char *path, struct host_set *out, struct lerr *err)
{
	static const char *const top_keys[] = {"registries", NULL};
	struct ydoc doc;
	const struct ynode *seq;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (ydoc_load_file(&doc, path, HOSTCFG_FILE_MAX, err) != 0)
		return -1;
	if (doc.root == NULL) {
		r = 0;
		goto out;
	}
	if (ynode_expect(doc.root, YNODE_MAP, "registry configuration", err) != 0 ||
	    ynode_check_keys(doc.root, top_keys, "registry configuration", err) != 0)
		goto out;
	seq = ynode_get(doc.root, "registries");
	r = seq == NULL ? 0 : host_set_parse(seq, out, err);
out:
	ydoc_free(&doc);
	return r;
}

const struct host_config *host_set_find(const struct host_set *set, const char *host)
{
	size_t i;

	for (i = 0; set != NULL && i < set->count; i++)
		if (strcmp(set->items[i].host, host) == 0)
			return &set->items[i];
	return NULL;
}

void host_set_free(struct host_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		free(set->items[i].host);
		free(set->items[i].ca_file);
		free(set->items[i].username);
		if (set->items[i].password != NULL) {
			OPENSSL_cleanse(set->items[i].password, strlen(set->items[i].password));
			free(set->items[i].password);
		}
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

const struct http_tls *host_tls_lookup(const char *hostport, void *arg)
{
	struct host_tls_ctx *ctx = arg;
	const struct host_config *rc = host_set_find(ctx->registries, hostport);

	if (rc == NULL)
		return NULL;
	ctx->tls.ca_file = rc->ca_file;
	ctx->tls.insecure_skip_verify = rc->insecure_skip_verify;
	return &ctx->tls;
}

char *host_basic_value(const char *username, const char *password)
{
	char *plain = xasprintf("%s:%s", username, password);
	size_t len = strlen(plain);
	char *out = xmalloc(6 + 4 * ((len + 2) / 3) + 1);

	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)len);
	OPENSSL_cleanse(plain, len);
	free(plain);
	return out;
}

char *host_auth_lookup(const char *hostport, void *arg)
{
	const struct host_config *rc = host_set_find(arg, hostport);

	if (rc == NULL || rc->username == NULL || rc->password == NULL)
		return NULL;
	return host_basic_value(rc->username, rc->password);
}

const char *host_tls_scheme(const struct host_set *registries, const char *hostport)
{
	const struct host_config *rc = host_set_find(registries, hostport);

	return rc != NULL && rc->plain_http ? "http" : "https";
}
