/* The trust set: *.pub files of a directory, lookups by key id, refusals naming key ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sign/trust.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

struct fixture {
	char dir[64];
	struct minisign_seckey sk[3];
	struct minisign_pubkey pk[3];
};

static void write_pub(const char *dir, const char *name, const struct minisign_pubkey *pk)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = minisign_pubkey_format(pk, NULL);
	struct lerr err;

	assert_int_equal(fs_write_file(path, text, strlen(text), 0644, &err), 0);
	free(text);
	free(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lerr err;
	int i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-trust.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (i = 0; i < 3; i++)
		assert_int_equal(minisign_keypair_generate(&f->sk[i], &f->pk[i], &err), 0);
	write_pub(f->dir, "b.pub", &f->pk[1]);
	write_pub(f->dir, "a.pub", &f->pk[0]);
	write_pub(f->dir, "again.pub", &f->pk[0]); /* same key twice counts once */
	write_pub(f->dir, "c.pub.disabled", &f->pk[2]);
	write_pub(f->dir, ".hidden.pub", &f->pk[2]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct lerr err;

	fs_remove_tree(f->dir, &err);
	free(f);
	return 0;
}

static void trust_dir_reads_only_pub_files_once_each(void **state)
{
	struct fixture *f = *state;
	struct trust_set ts;
	struct lerr err;

	trust_init(&ts);
	setenv("LADING_TRUST_DIR", f->dir, 1);
	assert_int_equal(trust_load(&ts, NULL, 0, &err), 0);
	unsetenv("LADING_TRUST_DIR");
	assert_int_equal(ts.count, 2);
	assert_non_null(trust_find(&ts, f->pk[0].key_id));
	assert_non_null(strstr(trust_find(&ts, f->pk[0].key_id)->path, "/a.pub"));
	assert_non_null(trust_find(&ts, f->pk[1].key_id));
	assert_null(trust_find(&ts, f->pk[2].key_id));
	trust_free(&ts);
}

static void untrusted_signer_is_named_with_the_trusted_ids(void **state)
{
	struct fixture *f = *state;
	const struct trust_key *signer = NULL;
	struct minisign_sig sig;
	struct trust_set ts;
	struct lerr err;
	char ids[3][MINISIGN_KEY_ID_HEX];
	char want[512];
	int i;

	for (i = 0; i < 3; i++)
		minisign_key_id_hex(f->pk[i].key_id, ids[i]);
	trust_init(&ts);
	assert_int_equal(trust_add_dir(&ts, f->dir, &err), 0);
	assert_int_equal(minisign_sign_mem(&sig, &f->sk[1], "x", 1, "t", NULL, &err), 0);
	assert_int_equal(trust_verify_mem(&ts, &sig, "x", 1, "'s'", &signer, &err), 0);
	assert_ptr_equal(signer, trust_find(&ts, f->pk[1].key_id));
	minisign_sig_free(&sig);
	assert_int_equal(minisign_sign_mem(&sig, &f->sk[2], "x", 1, "t", NULL, &err), 0);
	assert_int_equal(trust_verify_mem(&ts, &sig, "x", 1, "'s'", &signer, &err), -1);
	snprintf(want, sizeof(want), "'s': signed by key %s, which is not trusted here (trusted: %s, %s)", ids[2],
		 ids[0], ids[1]);
	assert_string_equal(err.msg, want);
	trust_free(&ts);
	/* No key at all: say where keys would come from. */
	setenv("LADING_TRUST_DIR", "/nonexistent/lading-trust", 1);
	assert_int_equal(trust_load(&ts, NULL, 0, &err), 0);
	unsetenv("LADING_TRUST_DIR");
	assert_int_equal(trust_verify_mem(&ts, &sig, "x", 1, "'s'", NULL, &err), -1);
	snprintf(want, sizeof(want),
		 "'s': signed by key %s, but no key is trusted here (give --pubkey or put *.pub in "
		 "/nonexistent/lading-trust)",
		 ids[2]);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	trust_free(&ts);
	minisign_sig_free(&sig);
}

static void a_damaged_pub_in_the_trust_dir_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct trust_set ts;
	struct lerr err;
	char *path = xasprintf("%s/z.pub", f->dir);

	assert_int_equal(fs_write_file(path, "untrusted comment: x\nRWQ=\n", 26, 0644, &err), 0);
	trust_init(&ts);
	assert_int_equal(trust_add_dir(&ts, f->dir, &err), -1);
	assert_non_null(strstr(err.msg, "/z.pub':2: the public key has 4 base64 characters instead of 56"));
	trust_free(&ts);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(trust_dir_reads_only_pub_files_once_each),
	    cmocka_unit_test(untrusted_signer_is_named_with_the_trusted_ids),
	    cmocka_unit_test(a_damaged_pub_in_the_trust_dir_is_an_error),
	};
	return cmocka_run_group_tests_name("trust", tests, setup, teardown);
}
