/* Terraform's registry tokens: TF_TOKEN_ variables, CLI config credentials blocks, credentials.tfrc.json. */
#include "providers/tfcreds.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define TFCREDS_FILE_MAX (1u << 20)

static char *lowercase(const char *s)
{
	char *out = xstrdup(s);
	char *p;

	for (p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* Adds host's token unless host already has one (the first source found wins). */
static void creds_add(struct tf_credentials *creds, const char *host, const char *token)
{
	char *lower = lowercase(host);
	size_t i;

	for (i = 0; i < creds->count; i++)
		if (strcmp(creds->items[i].host, lower) == 0) {
			free(lower);
			return;
		}
	creds->items = xrealloc(creds->items, (creds->count + 1) * sizeof(*creds->items));
	creds->items[creds->count].host = lower;
	creds->items[creds->count].token = xstrdup(token);
	creds->count++;
}

/* A small HCL reader: just enough tokens to find credentials blocks and skip everything else. */
struct hcl {
	const char *p, *end;
	unsigned line;
	const char *what;
};

enum hcl_tok { HCL_END, HCL_WORD, HCL_STRING, HCL_PUNCT, HCL_BAD };

static void hcl_skip_space(struct hcl *h)
{
	while (h->p < h->end) {
		if (*h->p == '\n') {
			h->line++;
			h->p++;
		} else if (isspace((unsigned char)*h->p)) {
			h->p++;
		} else if (*h->p == '#' || (*h->p == '/' && h->p + 1 < h->end && h->p[1] == '/')) {
			while (h->p < h->end && *h->p != '\n')
				h->p++;
		} else if (*h->p == '/' && h->p + 1 < h->end && h->p[1] == '*') {
			for (h->p += 2; h->p + 1 < h->end && !(h->p[0] == '*' && h->p[1] == '/'); h->p++)
				if (*h->p == '\n')
					h->line++;
			h->p = h->p + 2 <= h->end ? h->p + 2 : h->end;
		} else {
			return;
		}
	}
}

/* The next token into text (a word, a string's contents, or one punctuation character). */
static enum hcl_tok hcl_next(struct hcl *h, struct buf *text)
{
	buf_reset(text);
	hcl_skip_space(h);
	if (h->p >= h->end)
		return HCL_END;
	if (*h->p == '"') {
		for (h->p++; h->p < h->end && *h->p != '"'; h->p++) {
			if (*h->p == '\n')
				return HCL_BAD;
			if (*h->p == '\\' && h->p + 1 < h->end)
				h->p++;
			buf_add(text, h->p, 1, NULL);
		}
		if (h->p >= h->end)
			return HCL_BAD;
		h->p++;
		return HCL_STRING;
	}
	if (isalnum((unsigned char)*h->p) || *h->p == '_' || *h->p == '-' || *h->p == '.') {
		while (h->p < h->end && (isalnum((unsigned char)*h->p) || *h->p == '_' || *h->p == '-' || *h->p == '.'))
			buf_add(text, h->p++, 1, NULL);
		return HCL_WORD;
	}
	buf_add(text, h->p++, 1, NULL);
	return HCL_PUNCT;
}

static int hcl_bad(const struct hcl *h, const char *want, struct lerr *err)
{
	return lerr_set(err, LADING_ERR_USAGE, "%s:%u: %s (the Terraform CLI configuration); fix the file", h->what,
			h->line, want);
}

/* Reads a credentials block's body after its '{': token = "..." among other attributes. */
static int hcl_credentials_body(struct hcl *h, struct tf_credentials *creds, const char *host, struct buf *tok,
				struct lerr *err)
{
	enum hcl_tok t;

	for (;;) {
		char *name;

		t = hcl_next(h, tok);
		if (t == HCL_PUNCT && strcmp(tok->data, "}") == 0)
			return 0;
		if (t != HCL_WORD)
			return hcl_bad(h, "want 'token = \"...\"' or '}' in a credentials block", err);
		name = xstrdup(tok->data);
		if (hcl_next(h, tok) != HCL_PUNCT || strcmp(tok->data, "=") != 0 || hcl_next(h, tok) != HCL_STRING) {
			free(name);
			return hcl_bad(h, "want NAME = \"VALUE\" in a credentials block", err);
		}
		if (strcmp(name, "token") == 0)
			creds_add(creds, host, tok->data);
		free(name);
	}
}

/* Skips a block body (after its '{'), nested blocks and all. */
static int hcl_skip_block(struct hcl *h, struct buf *tok, struct lerr *err)
{
	int depth = 1;
	enum hcl_tok t;

	while (depth > 0) {
		t = hcl_next(h, tok);
		if (t == HCL_END || t == HCL_BAD)
			return hcl_bad(h, "unterminated block or string", err);
		if (t == HCL_PUNCT && strcmp(tok->data, "{") == 0)
			depth++;
		else if (t == HCL_PUNCT && strcmp(tok->data, "}") == 0)
			depth--;
	}
	return 0;
}

int tf_credentials_parse_hcl(struct tf_credentials *creds, const char *text, size_t len, const char *what,
			     struct lerr *err)
{
	struct hcl h = {text, text + len, 1, what};
	struct buf tok = BUF_INIT(0);
	enum hcl_tok t;
	int r = -1;

	for (;;) {
		char *host = NULL;

		t = hcl_next(&h, &tok);
		if (t == HCL_END)
			break;
		if (t != HCL_WORD) {
			hcl_bad(&h, "want a block or an attribute", err);
			goto out;
		}
		if (strcmp(tok.data, "credentials") == 0) {
			if (hcl_next(&h, &tok) != HCL_STRING) {
				hcl_bad(&h, "want credentials \"HOST\" { token = \"...\" }", err);
				goto out;
			}
			host = xstrdup(tok.data);
			if (hcl_next(&h, &tok) != HCL_PUNCT || strcmp(tok.data, "{") != 0)
				hcl_bad(&h, "want '{' after credentials \"HOST\"", err);
			else if (hcl_credentials_body(&h, creds, host, &tok, err) == 0) {
				free(host);
				continue;
			}
			free(host);
			goto out;
		}
		/* Any other attribute (NAME = value) or block (NAME ["LABEL"...] { ... }). */
		while ((t = hcl_next(&h, &tok)) == HCL_STRING || t == HCL_WORD)
			;
		if (t == HCL_PUNCT && strcmp(tok.data, "{") == 0) {
			if (hcl_skip_block(&h, &tok, err) != 0)
				goto out;
		} else if (t == HCL_PUNCT && strcmp(tok.data, "=") == 0) {
			t = hcl_next(&h, &tok);
			if (t == HCL_PUNCT && (strcmp(tok.data, "{") == 0 || strcmp(tok.data, "[") == 0)) {
				/* A map or list value: skip to its closing bracket. */
				const char *close = strcmp(tok.data, "{") == 0 ? "}" : "]";
				while ((t = hcl_next(&h, &tok)) != HCL_END && t != HCL_BAD &&
				       !(t == HCL_PUNCT && strcmp(tok.data, close) == 0))
					;
			}
			if (t == HCL_END || t == HCL_BAD) {
				hcl_bad(&h, "unterminated value", err);
				goto out;
			}
		} else {
			hcl_bad(&h, "want '=' or '{' after a name", err);
			goto out;
		}
	}
	r = 0;
out:
	buf_free(&tok);
	return r;
}

static int load_hcl_file(struct tf_credentials *creds, const char *path, struct lerr *err)
{
	struct buf text = BUF_INIT(TFCREDS_FILE_MAX);
	char *what = xasprintf("'%s'", path);
	int r = 0;

	if (fs_exists(path)) {
		r = fs_read_file(path, &text, err);
		if (r == 0)
			r = tf_credentials_parse_hcl(creds, text.data, text.len, what, err);
		OPENSSL_cleanse(text.data, text.len);
	}
	buf_free(&text);
	free(what);
	return r;
}

static int load_json_file(struct tf_credentials *creds, const char *path, struct lerr *err)
{
	json_error_t jerr;
	json_t *root, *map, *entry;
	const char *host;

	if (!fs_exists(path))
		return 0;
	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "'%s':%d: %s (terraform login's credentials file)", path,
				jerr.line, jerr.text);
	map = json_object_get(root, "credentials");
	json_object_foreach(map, host, entry)
	{
		json_t *token = json_object_get(entry, "token");

		if (json_is_string(token))
			creds_add(creds, host, json_string_value(token));
	}
	json_decref(root);
	return 0;
}

int tf_credentials_load(struct tf_credentials *creds, struct lerr *err)
{
	const char *home = getenv("HOME");
	const char *config = getenv("TF_CLI_CONFIG_FILE");
	char *path = NULL;
	int r;

	memset(creds, 0, sizeof(*creds));
	if (config == NULL || config[0] == '\0')
		config = getenv("TERRAFORM_CONFIG");
	if (config != NULL && config[0] != '\0')
		path = xstrdup(config);
	else if (home != NULL)
		path = xasprintf("%s/.terraformrc", home);
	r = path != NULL ? load_hcl_file(creds, path, err) : 0;
	free(path);
	if (r == 0 && home != NULL) {
		path = xasprintf("%s/.terraform.d/credentials.tfrc.json", home);
		r = load_json_file(creds, path, err);
		free(path);
	}
	if (r != 0)
		tf_credentials_free(creds);
	return r;
}

char *tf_credentials_env_name(const char *host)
{
	struct buf name = BUF_INIT(0);
	const char *p;

	buf_puts(&name, "TF_TOKEN_");
	for (p = host; *p != '\0'; p++) {
		if (*p == '.')
			buf_puts(&name, "_");
		else if (*p == '-')
			buf_puts(&name, "__");
		else
			buf_add(&name, p, 1, NULL);
	}
	return buf_detach(&name, NULL);
}

/* TF_TOKEN_ for host, hyphens as "__" or as themselves; NULL when unset or host has a port. */
static const char *env_token(const char *host)
{
	char *name;
	const char *value;
	char *p;

	if (strchr(host, ':') != NULL)
		return NULL;
	name = tf_credentials_env_name(host);
	value = getenv(name);
	if (value == NULL || value[0] == '\0') {
		free(name);
		name = xasprintf("TF_TOKEN_%s", host);
		for (p = name; *p != '\0'; p++)
			if (*p == '.')
				*p = '_';
		value = getenv(name);
	}
	free(name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

char *tf_credentials_auth(const char *hostport, void *arg)
{
	const struct tf_credentials *creds = arg;
	char *host = lowercase(hostport);
	const char *token = env_token(host);
	size_t i;

	for (i = 0; token == NULL && creds != NULL && i < creds->count; i++)
		if (strcmp(creds->items[i].host, host) == 0)
			token = creds->items[i].token;
	free(host);
	return token != NULL ? xasprintf("Bearer %s", token) : NULL;
}

void tf_credentials_free(struct tf_credentials *creds)
{
	size_t i;

	for (i = 0; i < creds->count; i++) {
		OPENSSL_cleanse(creds->items[i].token, strlen(creds->items[i].token));
		free(creds->items[i].token);
		free(creds->items[i].host);
	}
	free(creds->items);
	memset(creds, 0, sizeof(*creds));
}
