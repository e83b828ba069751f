#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "provision/ssh/knownhosts.h"

/* Keys made with ssh-keygen; HASHED_* lines by `ssh-keygen -H` (OpenSSH 9.2). */
#define KEY1 "AAAAC3NzaC1lZDI1NTE5AAAAIKSBzz7qfpfOuRvQNd8SjWurwBcaLkFQfbYiAFWPUvIL"
#define KEY1_FP "SHA256:YDxWDufgvV5N8o16GD3d/Pug21rXL1pK3M6cQzuszxk"
#define KEY2 "AAAAC3NzaC1lZDI1NTE5AAAAII1TWFB6C0cIILWm1w57uPrkWGe1OP2x96OkpGu7DnXR"
#define KEY3                                                                                                           \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFQp15Nm2X4GFWo7SEZAUfQCswQ4u2NXaUXZNoDCuuWH+s8hrlrtHCOd" \
	"tkKs4dAzFGgyuWtk9OFXYItG/3l4Jpc="
#define HASHED_22 "|1|qnGmv+kKrnfD7iHD2vsA9+PSvrM=|LXNx5Ha+JO7MfxQewLFo0cMqbT4= ssh-ed25519 " KEY1
#define HASHED_2222 "|1|Qin41Btoy1r4CQ4kFEOZNGxV8OM=|operhuYQtlOonGK1onqnDFEix6U= ssh-ed25519 " KEY1

struct blob {
	unsigned char *data;
	size_t len;
};

static struct blob blob_of(const char *base64)
{
	struct blob b = {NULL, 0};

	assert_int_equal(kh_base64_decode(base64, strlen(base64), &b.data, &b.len), 0);
	return b;
}

/* Writes text to a temporary file and loads it. */
static struct kh_file *load_text(const char *text, char *path, size_t path_len)
{
	struct kh_file *kh = kh_new();
	struct lerr err;
	FILE *f;
	int fd;

	snprintf(path, path_len, "/tmp/test_knownhosts.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	assert_int_equal(kh_load(kh, path, 0, &err), 0);
	return kh;
}

static void plain_entries_match_mismatch_and_other_type(void **state)
{
	char path[64];
	struct kh_file *kh = load_text("# comment\n"
				       "garbage line that is not a key\n"
				       "198.18.0.5,node1 ssh-ed25519 " KEY1 " comment\n"
				       "198.18.0.6 ecdsa-sha2-nistp256 " KEY3 "\n",
				       path, sizeof(path));
	struct blob k1 = blob_of(KEY1), k2 = blob_of(KEY2);

	(void)state;
	assert_int_equal(kh_check(kh, "198.18.0.5", 22, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "NODE1", 22, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "198.18.0.5", 22, k2.data, k2.len), KH_MISMATCH);
	assert_int_equal(kh_check(kh, "198.18.0.6", 22, k1.data, k1.len), KH_OTHER_TYPE);
	assert_int_equal(kh_check(kh, "198.18.0.7", 22, k1.data, k1.len), KH_NOTFOUND);
	assert_int_equal(kh_check(kh, "198.18.0.5", 2222, k1.data, k1.len), KH_NOTFOUND);
	free(k1.data);
	free(k2.data);
	kh_free(kh);
	unlink(path);
}

static void patterns_ports_and_revoked(void **state)
{
	char path[64];
	struct kh_file *kh = load_text("*.example.org,!bad.example.org ssh-ed25519 " KEY1 "\n"
				       "[198.18.0.5]:2222 ssh-ed25519 " KEY1 "\n"
				       "@cert-authority *.example.org ssh-ed25519 " KEY2 "\n"
				       "@revoked * ssh-ed25519 " KEY2 "\n",
				       path, sizeof(path));
	struct blob k1 = blob_of(KEY1), k2 = blob_of(KEY2);
	char *types;

	(void)state;
	assert_int_equal(kh_check(kh, "n1.example.org", 22, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "bad.example.org", 22, k1.data, k1.len), KH_NOTFOUND);
	assert_int_equal(kh_check(kh, "198.18.0.5", 2222, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "198.18.0.5", 22, k1.data, k1.len), KH_NOTFOUND);
	assert_int_equal(kh_check(kh, "n1.example.org", 22, k2.data, k2.len), KH_REVOKED);
	types = kh_known_types(kh, "n2.example.org", 22);
	assert_string_equal(types, "ssh-ed25519");
	free(types);
	free(k1.data);
	free(k2.data);
	kh_free(kh);
	unlink(path);
}

static void hashed_entries_from_ssh_keygen_match(void **state)
{
	char path[64];
	struct kh_file *kh = load_text(HASHED_22 "\n" HASHED_2222 "\n", path, sizeof(path));
	struct blob k1 = blob_of(KEY1), k2 = blob_of(KEY2);

	(void)state;
	assert_int_equal(kh_check(kh, "198.18.0.5", 22, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "198.18.0.5", 2222, k1.data, k1.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "198.18.0.5", 2223, k1.data, k1.len), KH_NOTFOUND);
	assert_int_equal(kh_check(kh, "198.18.0.5", 22, k2.data, k2.len), KH_MISMATCH);
	free(k1.data);
	free(k2.data);
	kh_free(kh);
	unlink(path);
}

static void appended_entries_are_hashed_and_read_back(void **state)
{
	char path[] = "/tmp/test_knownhosts_append.XXXXXX";
	struct blob k3 = blob_of(KEY3);
	struct kh_file *kh = kh_new();
	struct lerr err;
	char line[512];
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kh_append(path, "node9", 2200, k3.data, k3.len, &err), 0);
	f = fopen(path, "r");
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_memory_equal(line, "|1|", 3);
	assert_null(strstr(line, "node9"));
	assert_int_equal(kh_load(kh, path, 0, &err), 0);
	assert_int_equal(kh_check(kh, "node9", 2200, k3.data, k3.len), KH_MATCH);
	assert_int_equal(kh_check(kh, "node9", 22, k3.data, k3.len), KH_NOTFOUND);
	kh_free(kh);
	free(k3.data);
	unlink(path);
}

static void fingerprint_is_what_ssh_keygen_prints(void **state)
{
	struct blob k1 = blob_of(KEY1);
	char fp[80], type[64];

	(void)state;
	kh_fingerprint(k1.data, k1.len, fp, sizeof(fp));
	assert_string_equal(fp, KEY1_FP);
	assert_int_equal(kh_blob_type(k1.data, k1.len, type, sizeof(type)), 0);
	assert_string_equal(type, "ssh-ed25519");
	assert_int_equal(kh_blob_type(k1.data, 3, type, sizeof(type)), -1);
	free(k1.data);
}

static void missing_file_is_empty_only_when_allowed(void **state)
{
	struct kh_file *kh = kh_new();
	struct lerr err;

	(void)state;
	assert_int_equal(kh_load(kh, "/nonexistent/known_hosts", 1, &err), 0);
	assert_int_equal(kh_load(kh, "/nonexistent/known_hosts", 0, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/known_hosts"));
	kh_free(kh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plain_entries_match_mismatch_and_other_type),
	    cmocka_unit_test(patterns_ports_and_revoked),
	    cmocka_unit_test(hashed_entries_from_ssh_keygen_match),
	    cmocka_unit_test(appended_entries_are_hashed_and_read_back),
	    cmocka_unit_test(fingerprint_is_what_ssh_keygen_prints),
	    cmocka_unit_test(missing_file_is_empty_only_when_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
