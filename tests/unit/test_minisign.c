/* minisign formats: fixtures below were written by Debian's minisign 0.11 (-G -W, -S, -S -l). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/blake2b.h"
#include "sign/minisign.h"

static const char ms_pub[] = "untrusted comment: minisign public key 93F11DF1F8EB9CCE\n"
			     "RWTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8NaV\n";
/* minisign -G -W: kdf "\0\0", zero salt/limits, zero checksum. */
static const char ms_key[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAzpzr+PEd8ZPIkXt9vbTDm1YeJV0Nb9FAJqxsNQ+"
    "jA1AP41U4cODd25U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8NaVAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
/* Both over "hello\n". */
static const char ms_sig_legacy[] =
    "untrusted comment: signature from minisign secret key\n"
    "RWTOnOv48R3xkyOgUgSX2rl8fqDpxJjWxCrzmLDMqF5NnV/AWbvuu6rb2bejdU1euerJvRl1FX/sslwKthH1pxs226H/FrqOGAM=\n"
    "trusted comment: legacy fixture\n"
    "EYSQFlsLBgFyinyWB9DTas1lF1YEnEp4TFQNnx98uRx0GQiB5kpZyGXU/rC+tKDncqSOSi3vOqcCsfEwqrhgCw==\n";
static const char ms_sig_hashed[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUTOnOv48R3xk6Bc9c1nSLNvxuEuDYnPJRXA6CosEYINdbH/wA24zQVAkAExORCVd/k5gJ0xlK7twfgLfvtGCPeRk45gobRC6Ag=\n"
    "trusted comment: prehashed fixture\n"
    "ivZeHAycdiR4C7+hu4DigKS9+n0hJLaFyzOXfCtfqcNhdr72ednBHG+uEor8xx8khXdzNlXnu7dKBIi/O/kOBg==\n";
static const char hello[] = "hello\n";

static void hex(const uint8_t *data, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", data[i]);
}

static void blake2b_256_matches_known_vectors(void **state)
{
	struct blake2b_ctx ctx;
	uint8_t out[32];
	char text[65];

	(void)state;
	assert_int_equal(blake2b_init(&ctx, 32), 0);
	blake2b_update(&ctx, "abc", 3);
	blake2b_final(&ctx, out);
	hex(out, 32, text);
	assert_string_equal(text, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	assert_int_equal(blake2b_init(&ctx, 32), 0);
	blake2b_final(&ctx, out);
	hex(out, 32, text);
	assert_string_equal(text, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	assert_int_equal(blake2b_init(&ctx, 0), -1);
	assert_int_equal(blake2b_init(&ctx, 65), -1);
}

/* Our BLAKE2b-512 must equal OpenSSL's for lengths around block boundaries and split updates. */
static void blake2b_512_agrees_with_openssl(void **state)
{
	static const size_t lengths[] = {0, 1, 127, 128, 129, 255, 256, 257, 1000, 4096};
	uint8_t data[4096];
	size_t i;

	(void)state;
	assert_int_equal(RAND_bytes(data, sizeof(data)), 1);
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		struct blake2b_ctx ctx;
		uint8_t ours[64];
		uint8_t theirs[64];
		unsigned int theirs_len = 0;
		size_t half = lengths[i] / 3;

		assert_int_equal(blake2b_init(&ctx, 64), 0);
		blake2b_update(&ctx, data, half);
		blake2b_update(&ctx, data + half, lengths[i] - half);
		blake2b_final(&ctx, ours);
		assert_int_equal(EVP_Digest(data, lengths[i], theirs, &theirs_len, EVP_blake2b512(), NULL), 1);
		assert_memory_equal(ours, theirs, 64);
	}
}

static void key_id_prints_little_endian_like_minisign(void **state)
{
	struct minisign_pubkey pk;
	struct lerr err;
	char id[MINISIGN_KEY_ID_HEX];

	(void)state;
	assert_int_equal(minisign_pubkey_parse(&pk, ms_pub, strlen(ms_pub), "'u.pub'", &err), 0);
	assert_int_equal(pk.key_id[0], 0xce);
	minisign_key_id_hex(pk.key_id, id);
	assert_string_equal(id, "93F11DF1F8EB9CCE");
}

static void pubkey_format_round_trips_and_crlf_is_accepted(void **state)
{
	static const char crlf[] =
	    "untrusted comment: x\r\nRWTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8NaV\r\n";
	struct minisign_pubkey pk;
	struct minisign_pubkey again;
	struct lerr err;
	char *text;

	(void)state;
	assert_int_equal(minisign_pubkey_parse(&pk, crlf, strlen(crlf), "'u.pub'", &err), 0);
	text = minisign_pubkey_format(&pk, NULL);
	assert_string_equal(text, ms_pub);
	assert_int_equal(minisign_pubkey_parse(&again, text, strlen(text), "'u.pub'", &err), 0);
	assert_memory_equal(&pk, &again, sizeof(pk));
	free(text);
}

static void pubkey_parse_rejects_damage_with_line(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"untrusted comment: k\nRWTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8Na\n",
	     "'k.pub':2: the public key has 55 base64 characters instead of 56"},
	    {"untrusted comment: k\nRWTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8N*V\n",
	     "'k.pub':2:55: the public key is not valid base64"},
	    {"untrusted comment: k\n", "'k.pub':2: the public key is missing (file truncated?)"},
	    {"RWTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8NaV\n",
	     "'k.pub':1: not a minisign public key (no 'untrusted comment:' line)"},
	    {"untrusted comment: k\nRXTOnOv48R3xk5U5J+mHlRz7oo0UWfDAAWcV0WJLSyJWyaEJTN8g8NaV\n",
	     "'k.pub':2: unsupported public key algorithm (not Ed25519 'Ed')"},
	};
	struct minisign_pubkey pk;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(minisign_pubkey_parse(&pk, cases[i].text, strlen(cases[i].text), "'k.pub'", &err), -1);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static void scrypt_params_follow_libsodium(void **state)
{
	uint64_t n;
	uint32_t r;
	uint32_t p;

	(void)state;
	assert_int_equal(minisign_scrypt_params(MINISIGN_OPSLIMIT_DEFAULT, MINISIGN_MEMLIMIT_DEFAULT, &n, &r, &p), 0);
	assert_true(n == (1ULL << 20) && r == 8 && p == 1);
	/* opslimit < memlimit/32: p = 1, N from opslimit (524288 / 32 = 16384 -> 2^14). */
	assert_int_equal(minisign_scrypt_params(524288, 1ULL << 30, &n, &r, &p), 0);
	assert_true(n == (1ULL << 14) && r == 8 && p == 1);
	/* memlimit bound, extra work goes into p: N = 2^10, p = (2^20/4/2^10)/8 = 32. */
	assert_int_equal(minisign_scrypt_params(1ULL << 20, 1ULL << 20, &n, &r, &p), 0);
	assert_true(n == (1ULL << 10) && r == 8 && p == 32);
}

static void unencrypted_minisign_key_loads_and_matches_its_pubkey(void **state)
{
	struct minisign_seckey sk;
	struct minisign_pubkey from_sk;
	struct minisign_pubkey pk;
	struct lerr err;

	(void)state;
	assert_int_equal(minisign_seckey_parse(&sk, ms_key, strlen(ms_key), "'u.key'", NULL, NULL, &err), 0);
	assert_int_equal(minisign_pubkey_parse(&pk, ms_pub, strlen(ms_pub), "'u.pub'", &err), 0);
	minisign_seckey_public(&sk, &from_sk);
	assert_memory_equal(&from_sk, &pk, sizeof(pk));
	minisign_seckey_wipe(&sk);
}

static int fixed_password(void *ctx, const char *what, char *buf, size_t size, struct lerr *err)
{
	(void)what;
	(void)err;
	snprintf(buf, size, "%s", (const char *)ctx);
	return 0;
}

/* Small scrypt limits keep this fast; the integration tests use minisign's defaults. */
static void encrypted_key_round_trips_and_wrong_password_is_named(void **state)
{
	struct minisign_seckey sk;
	struct minisign_seckey loaded;
	struct minisign_pubkey pk;
	struct lerr err;
	char *text;

	(void)state;
	assert_int_equal(minisign_keypair_generate(&sk, &pk, &err), 0);
	text = minisign_seckey_format(&sk, "correct horse", 32768, 1 << 20, NULL, &err);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nRWRTY0Iy")); /* "Ed" "Sc" "B2" */
	assert_int_equal(minisign_seckey_parse(&loaded, text, strlen(text), "'k.key'", fixed_password,
					       (void *)"correct horse", &err),
			 0);
	assert_memory_equal(&loaded, &sk, sizeof(sk));
	assert_int_equal(minisign_seckey_parse(&loaded, text, strlen(text), "'k.key'", fixed_password,
					       (void *)"correct horsf", &err),
			 -1);
	assert_int_equal(err.code, LADING_ERR_AUTH);
	assert_string_equal(err.msg, "'k.key': wrong password for this secret key");
	assert_int_equal(minisign_seckey_parse(&loaded, text, strlen(text), "'k.key'", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "'k.key': the secret key is encrypted and no password was given");
	free(text);
	minisign_seckey_wipe(&sk);
}

/* Flips one bit of the decoded blob at offset and re-encodes the key file. */
static char *garble_key(const char *text, size_t offset)
{
	const char *line2 = strchr(text, '\n') + 1;
	uint8_t raw[158];
	struct lerr err;
	char *b64;
	char *out;

	assert_int_equal(minisign_b64_decode(line2, strcspn(line2, "\n"), raw, sizeof(raw), "k", 2, "key", &err), 0);
	raw[offset] ^= 0x01;
	b64 = minisign_b64_encode(raw, sizeof(raw));
	out = malloc(strlen(text) + 1);
	sprintf(out, "%.*s%s\n", (int)(line2 - text), text, b64);
	free(b64);
	return out;
}

static void damaged_secret_keys_are_refused(void **state)
{
	struct minisign_seckey sk;
	struct minisign_pubkey pk;
	struct lerr err;
	char *ours;
	char *bad;

	(void)state;
	/* minisign -W key with a flipped seed bit: no checksum, but the public half no longer matches. */
	bad = garble_key(ms_key, 62);
	assert_int_equal(minisign_seckey_parse(&sk, bad, strlen(bad), "'u.key'", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "'u.key':2: the secret key is damaged (its public half does not match)");
	free(bad);
	/* lading writes the checksum even unencrypted: a flipped key byte is caught by it. */
	assert_int_equal(minisign_keypair_generate(&sk, &pk, &err), 0);
	ours = minisign_seckey_format(&sk, NULL, 0, 0, NULL, &err);
	bad = garble_key(ours, 100);
	assert_int_equal(minisign_seckey_parse(&sk, bad, strlen(bad), "'k.key'", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "'k.key':2: the secret key is damaged (checksum mismatch)");
	free(bad);
	/* Truncated: the base64 line is cut short. */
	ours[strlen(ours) - 10] = '\0';
	assert_int_equal(minisign_seckey_parse(&sk, ours, strlen(ours), "'k.key'", NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "'k.key':2: the secret key has 203 base64 characters instead of 212");
	free(ours);
}

static void minisign_signatures_verify_both_algorithms(void **state)
{
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	struct lerr err;

	(void)state;
	assert_int_equal(minisign_pubkey_parse(&pk, ms_pub, strlen(ms_pub), "'u.pub'", &err), 0);
	assert_int_equal(minisign_sig_parse(&sig, ms_sig_legacy, strlen(ms_sig_legacy), "'h.minisig'", &err), 0);
	assert_int_equal(sig.prehashed, 0);
	assert_string_equal(sig.trusted_comment, "legacy fixture");
	assert_int_equal(minisign_verify_mem(&pk, &sig, hello, strlen(hello), "'h.minisig'", &err), 0);
	assert_int_equal(minisign_verify_mem(&pk, &sig, "hellO\n", 6, "'h.minisig'", &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	minisign_sig_free(&sig);
	assert_int_equal(minisign_sig_parse(&sig, ms_sig_hashed, strlen(ms_sig_hashed), "'h.minisig'", &err), 0);
	assert_int_equal(sig.prehashed, 1);
	assert_int_equal(minisign_verify_mem(&pk, &sig, hello, strlen(hello), "'h.minisig'", &err), 0);
	minisign_sig_free(&sig);
}

static void own_signature_round_trips_and_each_tamper_fails(void **state)
{
	struct minisign_seckey sk;
	struct minisign_seckey other_sk;
	struct minisign_pubkey pk;
	struct minisign_pubkey other;
	struct minisign_sig sig;
	struct minisign_sig parsed;
	struct lerr err;
	char id[MINISIGN_KEY_ID_HEX];
	char other_id[MINISIGN_KEY_ID_HEX];
	char want[256];
	char *text;

	(void)state;
	assert_int_equal(minisign_keypair_generate(&sk, &pk, &err), 0);
	assert_int_equal(minisign_keypair_generate(&other_sk, &other, &err), 0);
	assert_int_equal(minisign_sign_mem(&sig, &sk, hello, 6, "name:site\tsha256:00", NULL, &err), 0);
	text = minisign_sig_format(&sig);
	assert_int_equal(minisign_sig_parse(&parsed, text, strlen(text), "'s'", &err), 0);
	assert_memory_equal(parsed.sig, sig.sig, 64);
	assert_string_equal(parsed.trusted_comment, "name:site\tsha256:00");
	assert_int_equal(minisign_verify_mem(&pk, &parsed, hello, 6, "'s'", &err), 0);
	/* Other data. */
	assert_int_equal(minisign_verify_mem(&pk, &parsed, "hello!", 6, "'s'", &err), -1);
	assert_non_null(strstr(err.msg, "'s': signature verification failed"));
	/* Other key: both key ids named. */
	assert_int_equal(minisign_verify_mem(&other, &parsed, hello, 6, "'s'", &err), -1);
	minisign_key_id_hex(pk.key_id, id);
	minisign_key_id_hex(other.key_id, other_id);
	snprintf(want, sizeof(want), "'s': signed by key %s, but the public key is %s", id, other_id);
	assert_string_equal(err.msg, want);
	/* Edited trusted comment: only the global signature catches it. */
	parsed.trusted_comment[5] = 'X';
	assert_int_equal(minisign_verify_mem(&pk, &parsed, hello, 6, "'s'", &err), -1);
	assert_string_equal(err.msg,
			    "'s': trusted comment signature verification failed (the trusted comment was edited)");
	minisign_sig_free(&parsed);
	minisign_sig_free(&sig);
	free(text);
	minisign_seckey_wipe(&sk);
	minisign_seckey_wipe(&other_sk);
}

static void signature_parse_rejects_damage(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"untrusted comment: x\n"
	     "RUTOnOv48R3xk6Bc9c1nSLNvxuEuDYnPJRXA6CosEYINdbH/wA24zQVAkAExORCVd/k5gJ0xlK7twfgLfvtGCPeRk45gobRC6Ag=\n",
	     "'s':3: the 'trusted comment' line is missing (file truncated?)"},
	    {"untrusted comment: x\n"
	     "RUTOnOv48R3xk6Bc9c1nSLNvxuEuDYnPJRXA6CosEYINdbH/wA24zQVAkAExORCVd/k5gJ0xlK7twfgLfvtGCPeRk45gobRC6Ag=\n"
	     "trusted comment: t\n",
	     "'s':4: the trusted comment signature is missing (file truncated?)"},
	    {"untrusted comment: x\n"
	     "RUTOnOv48R3xk6Bc9c1nSLNvxuEuDYnPJRXA6CosEYINdbH/wA24zQVAkAExORCVd/k5gJ0xlK7twfgLfvtGCPeRk45gobRC6A==\n",
	     "'s':2:99: the signature is not valid base64"},
	    {"untrusted comment: x\n"
	     "RXTOnOv48R3xk6Bc9c1nSLNvxuEuDYnPJRXA6CosEYINdbH/wA24zQVAkAExORCVd/k5gJ0xlK7twfgLfvtGCPeRk45gobRC6Ag=\n",
	     "'s':2: unsupported signature algorithm (neither 'ED' nor 'Ed')"},
	    {"signature\n", "'s':1: expected a line starting with 'untrusted comment:'"},
	    {"", "'s':1: the 'untrusted comment' line is missing (file truncated?)"},
	};
	struct minisign_sig sig;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(minisign_sig_parse(&sig, cases[i].text, strlen(cases[i].text), "'s'", &err), -1);
		assert_string_equal(err.msg, cases[i].msg);
		assert_null(sig.trusted_comment);
	}
}

static void comments_must_be_one_printable_utf8_line(void **state)
{
	struct lerr err;

	(void)state;
	assert_int_equal(minisign_comment_check("a\tb \xc3\xa9", 6, "c", &err), 0);
	assert_int_equal(minisign_comment_check("a\nb", 3, "c", &err), -1);
	assert_string_equal(err.msg, "c has a control character at byte 2");
	assert_int_equal(minisign_comment_check("a\xc3", 2, "c", &err), -1);
	assert_string_equal(err.msg, "c is not valid UTF-8 at byte 2");
	assert_int_equal(minisign_comment_check("\xed\xa0\x80", 3, "c", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(blake2b_256_matches_known_vectors),
	    cmocka_unit_test(blake2b_512_agrees_with_openssl),
	    cmocka_unit_test(key_id_prints_little_endian_like_minisign),
	    cmocka_unit_test(pubkey_format_round_trips_and_crlf_is_accepted),
	    cmocka_unit_test(pubkey_parse_rejects_damage_with_line),
	    cmocka_unit_test(scrypt_params_follow_libsodium),
	    cmocka_unit_test(unencrypted_minisign_key_loads_and_matches_its_pubkey),
	    cmocka_unit_test(encrypted_key_round_trips_and_wrong_password_is_named),
	    cmocka_unit_test(damaged_secret_keys_are_refused),
	    cmocka_unit_test(minisign_signatures_verify_both_algorithms),
	    cmocka_unit_test(own_signature_round_trips_and_each_tamper_fails),
	    cmocka_unit_test(signature_parse_rejects_damage),
	    cmocka_unit_test(comments_must_be_one_printable_utf8_line),
	};
	return cmocka_run_group_tests_name("minisign", tests, NULL, NULL);
}
