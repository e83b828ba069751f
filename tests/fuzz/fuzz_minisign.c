/*
 * minisign files (sign/minisign_*.c). The input is TEXT, or TEXT NUL MESSAGE:
 * TEXT is read as a public key, a secret key (an encrypted one asks for a
 * password and gets none, so no scrypt runs) and a .minisig; a signature that
 * parses is formatted back and verified over MESSAGE with the test key
 * tests/fuzz/minisign/test.pub (made by `lading key generate`), so the seed
 * "lading.json.minisig NUL lading.json" reaches a good signature.
 */
#include "tests/fuzz/common.h"

#include "sign/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char test_pub[] = "untrusted comment: lading fuzz test key purpose:bundle C3778043A255E261\n"
			       "RWRh4lWiQ4B3w5h3RlB2xpqhTGslaAc8jY3SXeVxN9p3sGz1MBk+BwTr\n";

static int no_password(void *ctx, const char *what, char *buf, size_t size, struct lerr *err)
{
	(void)ctx, (void)buf, (void)size;
	return lerr_set(err, LADING_ERR_AUTH, "%s: no password in the fuzzer", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	struct minisign_sig sig;
	struct lerr err;
	const uint8_t *msg;
	size_t msg_len, len;
	char *text;

	if (size > MINISIGN_FILE_MAX * 4)
		return 0;
	text = fuzz_split(data, size, &msg, &msg_len);
	len = strlen(text);
	if (minisign_pubkey_parse(&pk, text, len, "fuzz.pub", &err) == 0) {
		char *out = minisign_pubkey_format(&pk, NULL);

		free(out);
	}
	if (minisign_seckey_parse(&sk, text, len, "fuzz.key", no_password, NULL, &err) == 0)
		minisign_seckey_wipe(&sk);
	memset(&sig, 0, sizeof(sig));
	if (minisign_sig_parse(&sig, text, len, "fuzz.minisig", &err) == 0) {
		char *out = minisign_sig_format(&sig);

		free(out);
		if (minisign_pubkey_parse(&pk, test_pub, sizeof(test_pub) - 1, "test.pub", &err) == 0)
			(void)minisign_verify_mem(&pk, &sig, msg, msg_len, "fuzz.minisig", &err);
		minisign_sig_free(&sig);
	}
	free(text);
	return 0;
}
