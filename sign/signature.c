/* Signing bundles and checking their signature before anything in them is trusted. */
#include "sign/signature.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sign/freshness.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/secmem.h"
#include "lib/utctime.h"
#include "lib/xmalloc.h"

void bundle_signer_init(struct bundle_signer *signer)
{
	memset(signer, 0, sizeof(*signer));
	signer->key = secmem_alloc(sizeof(*signer->key));
}

int bundle_signer_load(struct bundle_signer *signer, const char *key_path, minisign_password_fn get_password, void *ctx,
		       struct lerr *err)
{
	bundle_signer_init(signer);
	if (minisign_seckey_load(signer->key, key_path, get_password, ctx, err) != 0) {
		bundle_signer_wipe(signer);
		return -1;
	}
	if (signer->key->purpose == MINISIGN_PURPOSE_RELEASE) {
		bundle_signer_wipe(signer);
		return lerr_set(err, LADING_ERR_USAGE,
				"'%s' is a release key (purpose:release): it signs binaries, not bundles; use a key "
				"made by 'lading key generate --purpose bundle'",
				key_path);
	}
	minisign_key_id_hex(signer->key->key_id, signer->key_id);
	return 0;
}

void bundle_signer_wipe(struct bundle_signer *signer)
{
	secmem_free(signer->key, sizeof(*signer->key));
	signer->key = NULL;
}

/* A top-level string of lading.json, or "?" (the comment describes; lading.json is checked elsewhere). */
static const char *json_text(json_t *root, const char *key)
{
	json_t *value = json_object_get(root, key);

	return json_is_string(value) ? json_string_value(value) : "?";
}

char *bundle_sig_comment(const char *json, size_t json_len, int64_t expires, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1], until[UTC_TIME_MAX];
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
	if (strchr(json_text(root, "name"), '\t') != NULL) {
		json_decref(root);
		lerr_set(err, LADING_ERR_FORMAT, "lading.json: the bundle name has a tab; rename the bundle");
		return NULL;
	}
	sha256_hex(json, json_len, hex);
	utc_time_format(expires, until);
	comment =
	    xasprintf(BUNDLE_SIG_COMMENT_PREFIX "name:%s\tcreated:%s\tsha256:%s%s%s", json_text(root, "name"),
		      json_text(root, "created"), hex, expires != 0 ? "\texpires:" : "", expires != 0 ? until : "");
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
	char *comment = bundle_sig_comment(json, json_len, signer->expires, err);
	char *text = NULL;
	int r = -1;

	memset(&made, 0, sizeof(made));
	if (comment == NULL)
		return -1;
	if (minisign_sign_mem(&made, signer->key, json, json_len, comment, "lading.json signature", err) != 0)
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
	char *comment = bundle_sig_comment(json, json_len, signer->expires, err);
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
	    minisign_sign_prehashed(&made, signer->key, digest, comment, "lading bundle signature", err) != 0)
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

/* The value of "<TAB>key:" in a trusted comment's fields (after the prefix), copied; NULL when absent. */
static char *comment_field(const char *comment, const char *key)
{
	size_t key_len = strlen(key);
	const char *p = comment + strlen(BUNDLE_SIG_COMMENT_PREFIX);

	for (;;) {
		const char *end = strchr(p, '\t');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == ':')
			return xstrndup(p + key_len + 1, len - key_len - 1);
		if (end == NULL)
			return NULL;
		p = end + 1;
	}
}

/* The comment's field must be present and equal what lading.json says. */
static int field_matches(const char *comment, const char *key, const char *want, const char *what, struct lerr *err)
{
	char *got = comment_field(comment, key);
	int r = 0;

	if (got == NULL)
		r = lerr_set(err, LADING_ERR_SIGNATURE,
			     "%s: lading.json.minisig's trusted comment names no %s; sign the bundle again with "
			     "'lading bundle sign'",
			     what, key);
	else if (strcmp(got, want) != 0)
		r = lerr_set(err, LADING_ERR_SIGNATURE,
			     "%s: lading.json.minisig was made for another bundle (trusted comment says %s '%.100s', "
			     "lading.json says '%.100s')",
			     what, key, got, want);
	free(got);
	return r;
}

/*
 * The trusted comment binds the purpose (its prefix), lading.json's name, creation time and
 * sha256; fills check's name, created, expires and json_sha256 when it does.
 */
static int comment_binds(struct bundle_sig_check *check, const char *comment, const char *json, size_t json_len,
			 struct lerr *err)
{
	json_t *root = json_loadb(json, json_len, 0, NULL);
	char *expires = NULL;
	int r = -1;

	sha256_hex(json, json_len, check->json_sha256);
	if (strncmp(comment, BUNDLE_SIG_COMMENT_PREFIX, strlen(BUNDLE_SIG_COMMENT_PREFIX)) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: lading.json.minisig is not a bundle signature (its trusted comment says '%.100s', not "
			 "'" BUNDLE_SIG_COMMENT_PREFIX "name:...'); sign the bundle with 'lading bundle sign'",
			 check->what, comment);
		goto out;
	}
	if (field_matches(comment, "sha256", check->json_sha256, check->what, err) != 0 ||
	    field_matches(comment, "name", json_text(root, "name"), check->what, err) != 0 ||
	    field_matches(comment, "created", json_text(root, "created"), check->what, err) != 0)
		goto out;
	if (utc_time_parse(json_text(root, "created"), &check->created) != 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: lading.json: created '%.40s' is not a UTC time", check->what,
			 json_text(root, "created"));
		goto out;
	}
	expires = comment_field(comment, "expires");
	if (expires != NULL && utc_time_parse(expires, &check->expires) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: lading.json.minisig: expires '%.40s' is not a UTC time",
			 check->what, expires);
		goto out;
	}
	free(check->name);
	check->name = xstrdup(json_text(root, "name"));
	r = 0;
out:
	free(expires);
	json_decref(root);
	return r;
}

/* An expired signature, or a bundle older than the one accepted here before, is refused unless allowed. */
static int check_fresh(const struct bundle_sig_check *check, struct lerr *err)
{
	char when[UTC_TIME_MAX];

	if (check->expires != 0 && (int64_t)time(NULL) > check->expires && !check->allow_expired) {
		utc_time_format(check->expires, when);
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"%s: the signature of bundle '%s' expired at %s; get a newer bundle, or pass "
				"--allow-expired",
				check->what, check->name, when);
	}
	if (check->allow_downgrade)
		return 0;
	return fresh_check(check->state_dir != NULL ? check->state_dir : fresh_state_dir(), check->name, check->created,
			   check->what, err);
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
	free(check->trusted_comment);
	check->trusted_comment = xstrdup(parsed.trusted_comment);
	signer = trust_find(check->trust, parsed.key_id);
	if (signer != NULL && signer->pubkey.purpose == MINISIGN_PURPOSE_RELEASE) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "%s: signed by key %s, which '%s' marks as a release key (purpose:release); a release key "
			 "never vouches for a bundle",
			 check->what, check->key_id, signer->path);
		signer = NULL;
		goto free_parsed;
	}
	check->trusted = signer != NULL;
	check->signer_path = signer != NULL ? signer->path : NULL;
	if (trust_verify_mem(check->trust, &parsed, json, json_len, what, NULL, err) == 0 &&
	    comment_binds(check, parsed.trusted_comment, json, json_len, err) == 0 && check_fresh(check, err) == 0) {
		check->verified = 1;
		r = 0;
	}
free_parsed:
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

int bundle_sig_check_record(const struct bundle_sig_check *check, struct lerr *err)
{
	if (!check->verified || check->name == NULL)
		return 0;
	return fresh_record(check->state_dir != NULL ? check->state_dir : fresh_state_dir(), check->name,
			    check->created, check->json_sha256, err);
}

void bundle_sig_check_accept(const struct bundle_sig_check *check, const struct logger *lg)
{
	struct lerr err;

	lerr_clear(&err);
	if (bundle_sig_check_record(check, &err) != 0)
		log_msg(lg, LOG_WARN,
			"%s: not recorded as accepted, so an older bundle of this name is not refused: %s", check->what,
			err.msg);
}

void bundle_sig_check_free(struct bundle_sig_check *check)
{
	free(check->trusted_comment);
	check->trusted_comment = NULL;
	free(check->name);
	check->name = NULL;
}
