/* Signing bundles and checking their signature before anything in them is trusted. */
#include "sign/signature.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

int bundle_signer_load(struct bundle_signer *signer, const char *key_path, minisign_password_fn get_password, void *ctx,
		       struct lerr *err)
{
	if (minisign_seckey_load(&signer->key, key_path, get_password, ctx, err) != 0)
		return -1;
	minisign_key_id_hex(signer->key.key_id, signer->key_id);
	return 0;
}

void bundle_signer_wipe(struct bundle_signer *signer)
{
	minisign_seckey_wipe(&signer->key);
}

/* A top-level string of lading.json, or "?" (the comment describes; lading.json is checked elsewhere). */
static const char *json_text(json_t *root, const char *key)
{
	json_t *value = json_object_get(root, key);

	return json_is_string(value) ? json_string_value(value) : "?";
}

char *bundle_sig_comment(const char *json, size_t json_len, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	json_error_t jerr;
	json_t *root;
	char *comment;

	root = json_loadb(json, json_len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		lerr_set(err, LADING_ERR_FORMAT, "lading.json:%d:%d: not a JSON object (%s)", jerr.line, jerr.column,
			 jerr.text);
		return NULL;
	}
	sha256_hex(json, json_len, hex);
	comment = xasprintf(BUNDLE_SIG_COMMENT_PREFIX "name:%s\tcreated:%s\tsha256:%s", json_text(root, "name"),
			    json_text(root, "created"), hex);
	json_decref(root);
	if (minisign_comment_check(comment, strlen(comment), "the bundle name", err) != 0) {
		free(comment);
		return NULL;
	}
	return comment;
}

int bundle_sig_sign_json(void *ctx, const char *json, size_t json_len, struct buf *sig, struct lerr *err)
{
	const struct bundle_signer *signer = ctx;
	struct minisign_sig made;
	char *comment = bundle_sig_comment(json, json_len, err);
	char *text = NULL;
	int r = -1;

	memset(&made, 0, sizeof(made));
	if (comment == NULL)
		return -1;
	if (minisign_sign_mem(&made, &signer->key, json, json_len, comment, "lading.json signature", err) != 0)
		goto out;
	text = minisign_sig_format(&made);
	r = buf_addstr(sig, text, err);
out:
	minisign_sig_free(&made);
	free(text);
	free(comment);
	return r;
}

int bundle_sig_sign_file(const struct bundle_signer *signer, const char *bundle_path, const char *json, size_t json_len,
			 struct lerr *err)
{
	uint8_t digest[MINISIGN_HASH_LEN];
	struct minisign_sig made;
	char *comment = bundle_sig_comment(json, json_len, err);
	char *what = xasprintf("'%s'", bundle_path);
	char *sig_path = xasprintf("%s.minisig", bundle_path);
	char *text = NULL;
	int fd = -1;
	int r = -1;

	memset(&made, 0, sizeof(made));
	if (comment == NULL)
		goto out;
	if ((fd = open(bundle_path, O_RDONLY | O_CLOEXEC)) < 0) {
		lerr_sys(err, "cannot open '%s'", bundle_path);
		goto out;
	}
	if (minisign_hash_fd(fd, what, digest, err) != 0 ||
	    minisign_sign_prehashed(&made, &signer->key, digest, comment, "lading bundle signature", err) != 0)
		goto out;
	text = minisign_sig_format(&made);
	r = fs_write_file(sig_path, text, strlen(text), 0644, err);
out:
	if (fd >= 0)
		close(fd);
	minisign_sig_free(&made);
	free(text);
	free(sig_path);
	free(what);
	free(comment);
	return r;
}

void bundle_sig_check_init(struct bundle_sig_check *check, const struct trust_set *trust, const char *what,
			   int insecure)
{
	memset(check, 0, sizeof(*check));
	check->trust = trust;
	check->what = what;
	check->insecure = insecure;
	lerr_clear(&check->problem);
}

/* The trusted comment's "sha256:<hex>" field must name these lading.json bytes. */
static int comment_digest_matches(const char *comment, const char *json, size_t json_len, const char *what,
				  struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	const char *field = strstr(comment, "\tsha256:");

	if (strncmp(comment, BUNDLE_SIG_COMMENT_PREFIX, strlen(BUNDLE_SIG_COMMENT_PREFIX)) != 0 || field == NULL)
		return 0;
	field += strlen("\tsha256:");
	sha256_hex(json, json_len, hex);
	if (strncmp(field, hex, SHA256_HEX_LEN) == 0 &&
	    (field[SHA256_HEX_LEN] == '\0' || field[SHA256_HEX_LEN] == '\t'))
		return 0;
	return lerr_set(err, LADING_ERR_SIGNATURE,
			"%s: lading.json.minisig was made for another lading.json (trusted comment names sha256:%.64s, "
			"lading.json is sha256:%s)",
			what, field, hex);
}

/* Parses and verifies; fills the out fields of check as far as it gets. */
static int check_signature(struct bundle_sig_check *check, const char *json, size_t json_len, const char *sig,
			   size_t sig_len, struct lerr *err)
{
	const struct trust_key *signer = NULL;
	struct minisign_sig parsed;
	char *what = xasprintf("%s: lading.json.minisig", check->what);
	int r = -1;

	if (sig == NULL) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: the bundle is not signed (no lading.json.minisig)",
			 check->what);
		goto out;
	}
	if (minisign_sig_parse(&parsed, sig, sig_len, what, err) != 0) {
		lerr_recode(err, LADING_ERR_SIGNATURE);
		goto out;
	}
	check->is_signed = 1;
	minisign_key_id_hex(parsed.key_id, check->key_id);
	check->trusted_comment = xstrdup(parsed.trusted_comment);
	signer = trust_find(check->trust, parsed.key_id);
	check->trusted = signer != NULL;
	check->signer_path = signer != NULL ? signer->path : NULL;
	if (trust_verify_mem(check->trust, &parsed, json, json_len, what, NULL, err) == 0 &&
	    comment_digest_matches(parsed.trusted_comment, json, json_len, check->what, err) == 0) {
		check->verified = 1;
		r = 0;
	}
	minisign_sig_free(&parsed);
out:
	free(what);
	return r;
}

int bundle_sig_check_head(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
			  const struct bundle_manifest *m, struct lerr *err)
{
	struct bundle_sig_check *check = ctx;

	(void)m;
	if (check_signature(check, json, json_len, sig, sig_len, &check->problem) == 0)
		return 0;
	if (check->insecure)
		return 0; /* the caller warns with check->problem, which gives no advice to pass the flag given */
	if (err != NULL) {
		*err = check->problem;
		if (!check->is_signed)
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 "; sign it with 'lading bundle sign' or pass --insecure-skip-signature");
	}
	return -1;
}

void bundle_sig_check_free(struct bundle_sig_check *check)
{
	free(check->trusted_comment);
	check->trusted_comment = NULL;
}
