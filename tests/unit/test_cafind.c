#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cafind.h"
#include "lib/xmalloc.h"

/* A fake root per test: files made under it stand for one distribution's layout. */
static int make_root(void **state)
{
	char tmpl[] = "/tmp/test_cafind.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	*state = xstrdup(tmpl);
	return 0;
}

static int remove_root(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", (char *)*state);
	int r = system(cmd);

	free(cmd);
	free(*state);
	return r == 0 ? 0 : -1;
}

static void put(const char *root, const char *path)
{
	char *full = xasprintf("%s%s", root, path), *dir = xstrdup(full), *cmd;
	FILE *f;

	*strrchr(dir, '/') = '\0';
	cmd = xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\n", f);
	fclose(f);
	free(cmd);
	free(dir);
	free(full);
}

static void expect_found(const char *root, const char *path)
{
	char *want = xasprintf("%s%s", root, path), *got = cafind_bundle(root, NULL, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void cafind_finds_each_family(void **state)
{
	const char *root = *state;

	put(root, "/etc/ssl/cert.pem");
	expect_found(root, "/etc/ssl/cert.pem"); /* Alpine */
	put(root, "/etc/ssl/ca-bundle.pem");
	expect_found(root, "/etc/ssl/ca-bundle.pem"); /* SUSE, before OpenSSL's default */
	put(root, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
	expect_found(root, "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
	put(root, "/etc/pki/tls/certs/ca-bundle.crt");
	expect_found(root, "/etc/pki/tls/certs/ca-bundle.crt"); /* RHEL, Fedora */
	put(root, "/etc/ssl/certs/ca-certificates.crt");
	expect_found(root, "/etc/ssl/certs/ca-certificates.crt"); /* Debian, Ubuntu first */
}

static void cafind_env_overrides_and_builtin_wins(void **state)
{
	const char *root = *state;
	char *got;

	put(root, "/etc/ssl/certs/ca-certificates.crt");
	got = cafind_bundle(root, "/site/ca.pem", NULL);
	assert_string_equal(got, "/site/ca.pem"); /* SSL_CERT_FILE even when missing: curl then says so */
	free(got);
	got = cafind_bundle(root, "", NULL);
	assert_non_null(got); /* an empty SSL_CERT_FILE is unset */
	free(got);
	/* libcurl's compiled-in bundle is kept when present (distribution builds) ... */
	assert_null(cafind_bundle(root, NULL, "/etc/ssl/certs/ca-certificates.crt"));
	/* ... and probed past when that path is not on this system. */
	got = cafind_bundle(root, NULL, "/etc/pki/tls/certs/ca-bundle.crt");
	assert_non_null(got);
	assert_non_null(strstr(got, "/etc/ssl/certs/ca-certificates.crt"));
	free(got);
}

static void cafind_skips_directories_and_finds_none(void **state)
{
	const char *root = *state;
	char *dir = xasprintf("%s/etc/ssl/certs/ca-certificates.crt", root), *cmd = xasprintf("mkdir -p '%s'", dir);

	assert_null(cafind_bundle(root, NULL, NULL));
	assert_int_equal(system(cmd), 0);
	assert_null(cafind_bundle(root, NULL, NULL)); /* a directory is no bundle */
	free(cmd);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(cafind_finds_each_family, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(cafind_env_overrides_and_builtin_wins, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(cafind_skips_directories_and_finds_none, make_root, remove_root),
	};
	return cmocka_run_group_tests_name("cafind", tests, NULL, NULL);
}
