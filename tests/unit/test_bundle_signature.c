/* Bundle signatures: lading.json.minisig made by the writer hook, checked by the reader hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sign/signature.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

static const char json_a[] = "{\"created\":\"2026-11-23T09:00:00Z\",\"entries\":[],\"format\":1,\"name\":\"site-a\"}";
static const char json_b[] = "{\"created\":\"2026-11-23T09:00:00Z\",\"entries\":[],\"format\":1,\"name\":\"site-b\"}";

struct keys {
	struct bundle_signer signer;
	struct bundle_signer stranger;
	struct minisign_pubkey pk;
	struct trust_set trust;
};

static int setup(void **state)
{
	struct keys *k = xcalloc(1, sizeof(*k));
	struct minisign_pubkey other;
	struct lerr err;

	setenv("LADING_STATE", "/nonexistent/lading-unit-state", 1); /* nothing recorded: nothing refused */

	bundle_signer_init(&k->signer);
	bundle_signer_init(&k->stranger);
	assert_int_equal(minisign_keypair_generate(k->signer.key, &k->pk, &err), 0);
	assert_int_equal(minisign_keypair_generate(k->stranger.key, &other, &err), 0);
	minisign_key_id_hex(k->pk.key_id, k->signer.key_id);
	minisign_key_id_hex(other.key_id, k->stranger.key_id);
	trust_init(&k->trust);
	k->trust.keys = xcalloc(1, sizeof(*k->trust.keys));
	k->trust.keys[0].pubkey = k->pk;
	k->trust.keys[0].path = xstrdup("site.pub");
	k->trust.count = 1;
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	bundle_signer_wipe(&k->signer);
	bundle_signer_wipe(&k->stranger);
	trust_free(&k->trust);
	free(k);
	return 0;
}

static char *sign(const struct bundle_signer *signer, const char *json)
{
	struct buf sig = BUF_INIT(0);
	struct lerr err;

	assert_int_equal(bundle_sig_sign_json((void *)signer, json, strlen(json), &sig, &err), 0);
	return buf_detach(&sig, NULL);
}

static void signed_head_verifies_and_names_the_signer(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	char hex[SHA256_HEX_LEN + 1];
	char want[256];
	struct lerr err;
	char *sig = sign(&k->signer, json_a);

	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), sig, strlen(sig), NULL, &err), 0);
	assert_true(check.is_signed && check.trusted && check.verified);
	assert_string_equal(check.key_id, k->signer.key_id);
	assert_string_equal(check.signer_path, "site.pub");
	sha256_hex(json_a, strlen(json_a), hex);
	snprintf(want, sizeof(want), "lading-bundle name:site-a\tcreated:2026-11-23T09:00:00Z\tsha256:%s", hex);
	assert_string_equal(check.trusted_comment, want);
	bundle_sig_check_free(&check);
	free(sig);
}

static void unsigned_bundle_is_refused_unless_insecure(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	struct lerr err;

	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), NULL, 0, NULL, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_string_equal(err.msg, "'a.tar.zst': the bundle is not signed (no lading.json.minisig); sign it with "
				     "'lading bundle sign' or pass --insecure-skip-signature");
	bundle_sig_check_free(&check);
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 1);
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), NULL, 0, NULL, &err), 0);
	assert_false(check.is_signed);
	assert_int_equal(check.problem.code, LADING_ERR_SIGNATURE);
	/* the warning printed with the flag given does not tell to pass the flag */
	assert_string_equal(check.problem.msg, "'a.tar.zst': the bundle is not signed (no lading.json.minisig)");
	bundle_sig_check_free(&check);
}

static void edited_json_and_foreign_signatures_fail(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	char want[512];
	struct lerr err;
	char *sig_a = sign(&k->signer, json_a);
	char *sig_stranger = sign(&k->stranger, json_a);

	/* lading.json edited after signing (the same length, one letter). */
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_b, strlen(json_b), sig_a, strlen(sig_a), NULL, &err), -1);
	assert_non_null(strstr(err.msg, "'a.tar.zst': lading.json.minisig: signature verification failed"));
	assert_true(check.is_signed && check.trusted && !check.verified);
	bundle_sig_check_free(&check);
	/* Signed by a key that is not trusted: both key ids named; inspect-style checks still learn the id. */
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(
	    bundle_sig_check_head(&check, json_a, strlen(json_a), sig_stranger, strlen(sig_stranger), NULL, &err), -1);
	snprintf(want, sizeof(want),
		 "'a.tar.zst': lading.json.minisig: signed by key %s, but the trusted public key is %s",
		 k->stranger.key_id, k->signer.key_id);
	assert_string_equal(err.msg, want);
	bundle_sig_check_free(&check);
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 1);
	assert_int_equal(
	    bundle_sig_check_head(&check, json_a, strlen(json_a), sig_stranger, strlen(sig_stranger), NULL, &err), 0);
	assert_true(check.is_signed && !check.trusted && !check.verified);
	assert_string_equal(check.key_id, k->stranger.key_id);
	assert_string_equal(check.problem.msg, want);
	bundle_sig_check_free(&check);
	free(sig_a);
	free(sig_stranger);
}

/* A valid signature of json_b whose trusted comment was written for json_a. */
static void trusted_comment_naming_another_lading_json_fails(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	struct minisign_sig made;
	struct lerr err;
	char *comment_a = bundle_sig_comment(json_a, strlen(json_a), 0, &err);
	char *text;

	assert_int_equal(minisign_sign_mem(&made, k->signer.key, json_b, strlen(json_b), comment_a, NULL, &err), 0);
	text = minisign_sig_format(&made);
	bundle_sig_check_init(&check, &k->trust, "'b.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_b, strlen(json_b), text, strlen(text), NULL, &err), -1);
	assert_non_null(strstr(
	    err.msg, "'b.tar.zst': lading.json.minisig was made for another bundle (trusted comment says sha256"));
	bundle_sig_check_free(&check);
	minisign_sig_free(&made);
	free(text);
	free(comment_a);
}

static void garbled_signature_entry_is_a_signature_error(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	struct lerr err;
	char *sig = sign(&k->signer, json_a);

	sig[strlen(sig) - 10] = '*';
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), sig, strlen(sig), NULL, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, "'a.tar.zst': lading.json.minisig:4:"));
	bundle_sig_check_free(&check);
	free(sig);
}

/* A good signature by a trusted key over json, with this trusted comment; caller frees. */
static char *sign_with_comment(const struct bundle_signer *signer, const char *json, const char *comment)
{
	struct minisign_sig made;
	struct lerr err;
	char *text;

	assert_int_equal(minisign_sign_mem(&made, signer->key, json, strlen(json), comment, NULL, &err), 0);
	text = minisign_sig_format(&made);
	minisign_sig_free(&made);
	return text;
}

/* Checks json against a signature with comment; returns the head hook's result, err filled. */
static int check_comment(struct keys *k, const char *json, const char *comment, struct lerr *err)
{
	struct bundle_sig_check check;
	char *text = sign_with_comment(&k->signer, json, comment);
	int r;

	bundle_sig_check_init(&check, &k->trust, "'x.tar.zst'", 0);
	r = bundle_sig_check_head(&check, json, strlen(json), text, strlen(text), NULL, err);
	bundle_sig_check_free(&check);
	free(text);
	return r;
}

/* Signatures by the trusted key over the very bytes, but whose comment binds something else. */
static void trusted_comment_must_bind_purpose_name_and_time(void **state)
{
	struct keys *k = *state;
	char hex[SHA256_HEX_LEN + 1];
	struct lerr err;
	char *comment;

	sha256_hex(json_b, strlen(json_b), hex);
	assert_int_equal(check_comment(k, json_b, "timestamp:1764000000\tfile:site.tar.zst", &err), -1);
	assert_non_null(strstr(err.msg, "'x.tar.zst': lading.json.minisig is not a bundle signature (its trusted "
					"comment says 'timestamp:1764000000"));
	comment = xasprintf("lading-bundle name:site-a\tcreated:2026-11-23T09:00:00Z\tsha256:%s", hex);
	assert_int_equal(check_comment(k, json_b, comment, &err), -1);
	assert_non_null(strstr(err.msg, "made for another bundle (trusted comment says name 'site-a', lading.json says "
					"'site-b')"));
	free(comment);
	comment = xasprintf("lading-bundle name:site-b\tcreated:2025-01-01T00:00:00Z\tsha256:%s", hex);
	assert_int_equal(check_comment(k, json_b, comment, &err), -1);
	assert_non_null(strstr(err.msg, "trusted comment says created '2025-01-01T00:00:00Z'"));
	free(comment);
	comment = xasprintf("lading-bundle name:site-b\tcreated:2026-11-23T09:00:00Z");
	assert_int_equal(check_comment(k, json_b, comment, &err), -1);
	assert_non_null(strstr(err.msg, "trusted comment names no sha256"));
	free(comment);
	comment = xasprintf("lading-bundle name:site-b\tcreated:2026-11-23T09:00:00Z\tsha256:%s", hex);
	assert_int_equal(check_comment(k, json_b, comment, &err), 0);
	free(comment);
}

static void expired_signature_is_refused_unless_allowed(void **state)
{
	struct keys *k = *state;
	struct bundle_sig_check check;
	struct lerr err;
	char *sig;

	k->signer.expires = 1700000000; /* 2023-11-14T22:13:20Z, long past */
	sig = sign(&k->signer, json_a);
	k->signer.expires = 0;
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), sig, strlen(sig), NULL, &err), -1);
	assert_string_equal(err.msg, "'a.tar.zst': the signature of bundle 'site-a' expired at 2023-11-14T22:13:20Z; "
				     "get a newer bundle, or pass --allow-expired");
	bundle_sig_check_free(&check);
	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	check.allow_expired = 1;
	assert_int_equal(bundle_sig_check_head(&check, json_a, strlen(json_a), sig, strlen(sig), NULL, &err), 0);
	assert_true(check.verified);
	assert_int_equal(check.expires, 1700000000);
	bundle_sig_check_free(&check);
	free(sig);
}

/* Records site-a as created at `created` in state, by verifying a bundle of that time. */
static int verify_and_record(struct keys *k, const char *state, const char *created, struct lerr *err)
{
	struct bundle_sig_check check;
	char *json = xasprintf("{\"created\":\"%s\",\"entries\":[],\"format\":1,\"name\":\"site/../a\"}", created);
	char *sig = sign(&k->signer, json);
	int r;

	bundle_sig_check_init(&check, &k->trust, "'a.tar.zst'", 0);
	check.state_dir = state;
	r = bundle_sig_check_head(&check, json, strlen(json), sig, strlen(sig), NULL, err);
	if (r == 0)
		r = bundle_sig_check_record(&check, err);
	bundle_sig_check_free(&check);
	free(sig);
	free(json);
	return r;
}

static void older_bundle_of_a_name_is_refused_after_a_newer_one(void **state)
{
	struct keys *k = *state;
	char dir[] = "/tmp/lading-fresh.XXXXXX";
	struct lerr err;
	char *record;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(verify_and_record(k, dir, "2026-11-23T09:00:00Z", &err), 0);
	record = xasprintf("%s/bundles/site%%2F%%2E%%2E%%2Fa", dir);
	assert_true(fs_exists(record));
	assert_int_equal(verify_and_record(k, dir, "2026-11-23T09:00:00Z", &err), 0);
	assert_int_equal(verify_and_record(k, dir, "2026-11-24T09:00:00Z", &err), 0);
	assert_int_equal(verify_and_record(k, dir, "2026-11-23T09:00:00Z", &err), -1);
	assert_non_null(strstr(err.msg,
			       "'a.tar.zst': bundle 'site/../a' created 2026-11-23T09:00:00Z is older than the "
			       "one accepted here before (created 2026-11-24T09:00:00Z"));
	assert_non_null(strstr(err.msg, "pass --allow-downgrade"));
	assert_int_equal(fs_write_file(record, "garbage\n", 8, 0644, &err), 0);
	assert_int_equal(verify_and_record(k, dir, "2026-11-25T09:00:00Z", &err), -1);
	assert_non_null(strstr(err.msg, "not a lading bundle record"));
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	free(record);
}

/* The detached FILE.minisig is plain minisign: Debian's minisign -V checks it. */
static void detached_signature_verifies_with_minisign(void **state)
{
	struct keys *k = *state;
	char dir[] = "/tmp/lading-bsig.XXXXXX";
	struct minisign_sig parsed;
	struct lerr err;
	char *data = xmalloc(300000);
	char *path;
	char *pub_path;
	char *pub;
	char *cmd;
	size_t i;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/site.tar.zst", dir);
	pub_path = xasprintf("%s/site.pub", dir);
	for (i = 0; i < 300000; i++)
		data[i] = (char)(i * 7 + i / 1000);
	assert_int_equal(fs_write_file(path, data, 300000, 0644, &err), 0);
	pub = minisign_pubkey_format(&k->pk, NULL);
	assert_int_equal(fs_write_file(pub_path, pub, strlen(pub), 0644, &err), 0);
	assert_int_equal(bundle_sig_sign_file(&k->signer, path, json_a, strlen(json_a), &err), 0);
	cmd = xasprintf("minisign -Vm '%s' -p '%s' -q", path, pub_path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
	path = xasprintf("%s/site.tar.zst.minisig", dir);
	assert_int_equal(minisign_sig_load(&parsed, path, &err), 0);
	assert_true(parsed.prehashed);
	assert_non_null(strstr(parsed.trusted_comment, "lading-bundle name:site-a\t"));
	minisign_sig_free(&parsed);
	/* One byte changed in the tarball: minisign refuses it. */
	free(path);
	path = xasprintf("%s/site.tar.zst", dir);
	data[123456] ^= 1;
	assert_int_equal(fs_write_file(path, data, 300000, 0644, &err), 0);
	cmd = xasprintf("minisign -Vm '%s' -p '%s' -q 2>/dev/null", path, pub_path);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	free(path);
	free(pub_path);
	free(pub);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(signed_head_verifies_and_names_the_signer),
	    cmocka_unit_test(unsigned_bundle_is_refused_unless_insecure),
	    cmocka_unit_test(edited_json_and_foreign_signatures_fail),
	    cmocka_unit_test(trusted_comment_naming_another_lading_json_fails),
	    cmocka_unit_test(garbled_signature_entry_is_a_signature_error),
	    cmocka_unit_test(trusted_comment_must_bind_purpose_name_and_time),
	    cmocka_unit_test(expired_signature_is_refused_unless_allowed),
	    cmocka_unit_test(older_bundle_of_a_name_is_refused_after_a_newer_one),
	    cmocka_unit_test(detached_signature_verifies_with_minisign),
	};
	return cmocka_run_group_tests_name("bundle_signature", tests, setup, teardown);
}
