/*
 * packages/release.c (Release text, apt's index choice), packages/gpgv.c (the
 * verdict read from gpgv's status lines, with a stand-in gpgv script that
 * prints what a real one would) and the Filename check of packages/debs.c.
 */
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

#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "packages/debs.h"
#include "packages/gpgv.h"
#include "packages/release.h"

#define H1 "6e60cb90246f855af289c9a73b14918f5944221b596bf5bf02a0736ea9833531"
#define H2 "26abddb6b44fcc503f5dc2057fc3a607af67d1e2e5982c6876fc36c9121b20d1"
#define H3 "1d948cd0eeb4b6ca943dd9f9a6305ba86e4bb0eb1d948cd0eeb4b6ca943dd9f9"

static const char release_text[] = "Origin: lab\n"
				   "Suite: lab\n"
				   "Codename: lab\n"
				   "Acquire-By-Hash: yes\n"
				   "Architectures: amd64 arm64 all\n"
				   "Components: main contrib\n"
				   "Date: Fri, 04 Dec 2026 15:14:31 +0000\n"
				   "Valid-Until: Fri, 11 Dec 2026 15:14:31 UTC\n"
				   "MD5Sum:\n"
				   " 9a4931b29a5ee05ea79a8820f96af50d             5921 main/binary-amd64/Packages.bz2\n"
				   "SHA256:\n"
				   " " H1 "             5921 main/binary-amd64/Packages\n"
				   " " H2 "             2462 main/binary-amd64/Packages.gz\n"
				   " " H3 "             2320 main/binary-amd64/Packages.xz\n"
				   " " H1 "             100 contrib/binary-amd64/Packages\n"
				   " " H2 " 200 contrib/binary-amd64/Packages.gz\n"
				   " " H3 " 300 contrib/binary-amd64/Packages.lz4\n"
				   " " H3 " 300 contrib/binary-amd64/Packages.bz2\n"
				   "SHA512:\n"
				   " " H1 H1 " 1 main/binary-arm64/Packages.xz\n";

static void release_parses_fields_and_sha256_lines(void **state)
{
	struct release rel;
	struct lerr err;
	const struct release_file *f;

	(void)state;
	assert_int_equal(release_parse("Release", release_text, strlen(release_text), &rel, &err), 0);
	assert_string_equal(rel.suite, "lab");
	assert_string_equal(rel.codename, "lab");
	assert_string_equal(rel.valid_until, "Fri, 11 Dec 2026 15:14:31 UTC");
	assert_int_equal(rel.acquire_by_hash, 1);
	assert_int_equal(rel.architecture_count, 3);
	assert_string_equal(rel.architectures[1], "arm64");
	assert_int_equal(rel.component_count, 2);
	/* Only SHA256: MD5Sum and SHA512 lines are not entries. */
	assert_int_equal(rel.file_count, 7);
	f = release_find(&rel, "main/binary-amd64/Packages.gz");
	assert_non_null(f);
	assert_string_equal(f->sha256, H2);
	assert_int_equal(f->size, 2462);
	assert_null(release_find(&rel, "main/binary-amd64/Packages.bz2"));
	assert_null(release_find(&rel, "main/binary-arm64/Packages.xz"));
	assert_true(release_has_architecture(&rel, "all"));
	assert_false(release_has_architecture(&rel, "i386"));
	assert_true(release_has_component(&rel, "contrib"));
	assert_false(release_has_component(&rel, "non-free"));
	release_free(&rel);
}

static void release_picks_the_index_apt_asks_for_first(void **state)
{
	struct release rel;
	struct lerr err;
	const struct release_file *f;
	size_t next = 0;

	(void)state;
	assert_int_equal(release_parse("Release", release_text, strlen(release_text), &rel, &err), 0);
	f = release_pick_index(&rel, "main/binary-amd64/Packages", &next);
	assert_non_null(f);
	assert_string_equal(f->path, "main/binary-amd64/Packages.xz");
	/* On 404 the caller asks again from next: the following listed form, then none. */
	while ((f = release_pick_index(&rel, "main/binary-amd64/Packages", &next)) != NULL)
		assert_string_not_equal(f->path, "main/binary-amd64/Packages.xz");
	/* apt's Acquire::CompressionTypes order: xz, bz2, lzma, gz, lz4, zst, then plain. */
	next = 0;
	f = release_pick_index(&rel, "contrib/binary-amd64/Packages", &next);
	assert_non_null(f);
	assert_string_equal(f->path, "contrib/binary-amd64/Packages.bz2");
	next = 0;
	assert_null(release_pick_index(&rel, "main/binary-arm64/Packages", &next));
	release_free(&rel);
}

static void release_without_lists_accepts_any_architecture(void **state)
{
	static const char text[] = "Suite: flat\nSHA256:\n " H1 " 12 Packages\n";
	struct release rel;
	struct lerr err;

	(void)state;
	assert_int_equal(release_parse("Release", text, strlen(text), &rel, &err), 0);
	assert_true(release_has_architecture(&rel, "amd64"));
	assert_true(release_has_component(&rel, "main"));
	assert_null(rel.valid_until);
	assert_string_equal(release_pick_index(&rel, "Packages", &(size_t){0})->path, "Packages");
	release_free(&rel);
}

static void release_bad_lines_name_their_line(void **state)
{
	static const char no_colon[] = "Suite: lab\nthis is not a field\n";
	static const char bad_sum[] = "Suite: lab\nSHA256:\n " H1 " 12 Packages\n nothex 12 Packages.gz\n";
	static const char short_sum[] = "SHA256:\n " H1 " Packages\n";
	struct release rel;
	struct lerr err;

	(void)state;
	assert_int_equal(release_parse("dists/lab/Release", no_colon, strlen(no_colon), &rel, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "dists/lab/Release:2:"));
	release_free(&rel);
	assert_int_equal(release_parse("Release", bad_sum, strlen(bad_sum), &rel, &err), -1);
	assert_non_null(strstr(err.msg, "Release:4:"));
	release_free(&rel);
	assert_int_equal(release_parse("Release", short_sum, strlen(short_sum), &rel, &err), -1);
	assert_non_null(strstr(err.msg, "Release:2:"));
	release_free(&rel);
}

static void release_dates_read_as_utc(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(release_date_parse("Thu, 01 Jan 1970 00:00:00 UTC", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(release_date_parse("Sat, 01 Jun 2024 10:00:00 UTC", &t), 0);
	assert_int_equal(t, 1717236000);
	assert_int_equal(release_date_parse("Fri, 11 Dec 2026 15:14:31 +0000", &t), 0);
	assert_int_equal(t, 1797002071);
	assert_int_equal(release_date_parse("29 Feb 2028 23:59:59 GMT", &t), 0);
	assert_int_equal(t, 1835481599);
	assert_int_equal(release_date_parse("Sat, 01 Foo 2024 10:00:00 UTC", &t), -1);
	assert_int_equal(release_date_parse("tomorrow", &t), -1);
	assert_int_equal(release_date_parse("Sat, 01 Jun 2024 10:00:00 +0200", &t), -1);
}

static void filenames_must_stay_below_the_root(void **state)
{
	(void)state;
	assert_true(apt_filename_safe("pool/main/a/app/app_1.0_amd64.deb"));
	assert_true(apt_filename_safe("app_1.0_amd64.deb"));
	assert_true(apt_filename_safe("pool/..x/a.deb"));
	assert_false(apt_filename_safe(""));
	assert_false(apt_filename_safe("/etc/passwd"));
	assert_false(apt_filename_safe("pool/../../etc/passwd"));
	assert_false(apt_filename_safe("pool/./a.deb"));
	assert_false(apt_filename_safe("pool//a.deb"));
	assert_false(apt_filename_safe("pool/a.deb/"));
	assert_false(apt_filename_safe(".."));
	assert_false(apt_filename_safe("pool\\a.deb"));
	assert_false(apt_filename_safe("pool/a\n.deb"));
}

/* A scratch directory with a stand-in gpgv that prints STATUS to its --status-fd and exits CODE. */
struct gpgv_fixture {
	char dir[64];
	char *gpgv, *keyring, *armored, *inrelease, *out, *args;
};

static int gpgv_setup(void **state)
{
	struct gpgv_fixture *f = xcalloc(1, sizeof(*f));
	struct lerr err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-test-gpgv-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->gpgv = xasprintf("%s/gpgv", f->dir);
	f->keyring = xasprintf("%s/lab.gpg", f->dir);
	f->armored = xasprintf("%s/lab.asc", f->dir);
	f->inrelease = xasprintf("%s/InRelease", f->dir);
	f->out = xasprintf("%s/Release", f->dir);
	f->args = xasprintf("%s/args", f->dir);
	assert_int_equal(fs_write_file(f->keyring, "\x99\x01", 2, 0644, &err), 0);
	assert_int_equal(fs_write_file(f->armored,
				       "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQE=\n=abcd\n"
				       "-----END PGP PUBLIC KEY BLOCK-----\n",
				       84, 0644, &err),
			 0);
	assert_int_equal(fs_write_file(f->inrelease, "signed", 6, 0644, &err), 0);
	*state = f;
	return 0;
}

static int gpgv_teardown(void **state)
{
	struct gpgv_fixture *f = *state;
	struct lerr err;

	fs_remove_tree(f->dir, &err);
	free(f->gpgv);
	free(f->keyring);
	free(f->armored);
	free(f->inrelease);
	free(f->out);
	free(f->args);
	free(f);
	return 0;
}

/* Writes the stand-in: it records its arguments, writes the signed text to --output, prints status. */
static void fake_gpgv(struct gpgv_fixture *f, const char *status, int code)
{
	char *script = xasprintf("#!/bin/sh\n"
				 "echo \"$@\" >'%s'\n"
				 "while [ $# -gt 1 ]; do [ \"$1\" = --output ] && printf 'Suite: lab\\n' >\"$2\"; "
				 "[ \"$1\" = --keyring ] && cp \"$2\" '%s.seen'; shift; done\n"
				 "printf '%s' >&3\n"
				 "exit %d\n",
				 f->args, f->args, status, code);
	struct lerr err;

	assert_int_equal(fs_write_file(f->gpgv, script, strlen(script), 0755, &err), 0);
	free(script);
}

static int verify(struct gpgv_fixture *f, const char *keyring, struct lerr *err)
{
	unlink(f->out);
	return apt_gpgv_verify(f->gpgv, keyring, f->inrelease, f->out, f->dir, "lab: InRelease", err);
}

static void gpgv_good_needs_goodsig_validsig_and_exit_0(void **state)
{
	struct gpgv_fixture *f = *state;
	struct lerr err;

	fake_gpgv(f,
		  "[GNUPG:] NEWSIG\\n[GNUPG:] GOODSIG 1234ABCD lab\\n"
		  "[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n",
		  0);
	assert_int_equal(verify(f, f->keyring, &err), 0);
	assert_true(fs_exists(f->out));
	/* GOODSIG alone (no VALIDSIG) is not enough. */
	fake_gpgv(f, "[GNUPG:] GOODSIG 1234ABCD lab\\n", 0);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_false(fs_exists(f->out));
	/* A good status with a failing exit and no reason is refused too. */
	fake_gpgv(f, "[GNUPG:] GOODSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n", 2);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	/* As apt: a second signature by a key not in the keyring (gpgv exits 2) does not spoil the good one. */
	fake_gpgv(f,
		  "[GNUPG:] GOODSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n"
		  "[GNUPG:] ERRSIG 5678 22 8 01 1 9\\n[GNUPG:] NO_PUBKEY 5678\\n",
		  2);
	assert_int_equal(verify(f, f->keyring, &err), 0);
	/* …but a bad second signature does. */
	fake_gpgv(f,
		  "[GNUPG:] GOODSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n"
		  "[GNUPG:] BADSIG 5678 other\\n",
		  1);
	assert_int_equal(verify(f, f->keyring, &err), -1);
}

static void gpgv_refusals_name_the_keyring_and_reason(void **state)
{
	struct gpgv_fixture *f = *state;
	struct lerr err;

	fake_gpgv(f, "[GNUPG:] ERRSIG 1234ABCD 22 8 01 1 9\\n[GNUPG:] NO_PUBKEY 1234ABCD\\n", 2);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SIGNATURE);
	assert_non_null(strstr(err.msg, "lab: InRelease: not signed by a key in '"));
	assert_non_null(strstr(err.msg, "lab.gpg' (NO_PUBKEY 1234ABCD)"));
	fake_gpgv(f, "[GNUPG:] BADSIG 1234ABCD lab\\n", 1);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_non_null(strstr(err.msg, "bad signature"));
	assert_non_null(strstr(err.msg, "BADSIG 1234ABCD"));
	fake_gpgv(f, "[GNUPG:] NODATA 1\\n", 2);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_non_null(strstr(err.msg, "not signed"));
	fake_gpgv(f, "[GNUPG:] EXPKEYSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n", 0);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_non_null(strstr(err.msg, "expired key"));
	/* SHA1 (hash algorithm 2) is refused as apt refuses it. */
	fake_gpgv(f, "[GNUPG:] GOODSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 2 01 AAAA\\n", 0);
	assert_int_equal(verify(f, f->keyring, &err), -1);
	assert_non_null(strstr(err.msg, "weak digest"));
}

static void gpgv_gets_an_armored_keyring_dearmored(void **state)
{
	struct gpgv_fixture *f = *state;
	struct buf seen = BUF_INIT(1024);
	char *seen_path = xasprintf("%s.seen", f->args);
	struct lerr err;

	fake_gpgv(f, "[GNUPG:] GOODSIG 1234ABCD lab\\n[GNUPG:] VALIDSIG AAAA 2026-12-04 1 0 4 0 22 8 01 AAAA\\n", 0);
	assert_int_equal(verify(f, f->armored, &err), 0);
	assert_int_equal(fs_read_file(seen_path, &seen, &err), 0);
	assert_int_equal(seen.len, 2);
	assert_memory_equal(seen.data, "\x99\x01", 2);
	buf_free(&seen);
	free(seen_path);
	/* The dearmored copy is scratch: gone once gpgv ran. */
	seen_path = xasprintf("%s/keyring.gpg", f->dir);
	assert_false(fs_exists(seen_path));
	free(seen_path);
}

static void gpgv_that_cannot_run_is_a_system_error(void **state)
{
	struct gpgv_fixture *f = *state;
	struct lerr err;
	char *missing = xasprintf("%s/nope", f->dir);

	assert_int_equal(apt_gpgv_verify(missing, f->keyring, f->inrelease, f->out, f->dir, "lab: InRelease", &err),
			 -1);
	assert_int_equal(err.code, LADING_ERR_SYSTEM);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(release_parses_fields_and_sha256_lines),
	    cmocka_unit_test(release_picks_the_index_apt_asks_for_first),
	    cmocka_unit_test(release_without_lists_accepts_any_architecture),
	    cmocka_unit_test(release_bad_lines_name_their_line),
	    cmocka_unit_test(release_dates_read_as_utc),
	    cmocka_unit_test(filenames_must_stay_below_the_root),
	    cmocka_unit_test_setup_teardown(gpgv_good_needs_goodsig_validsig_and_exit_0, gpgv_setup, gpgv_teardown),
	    cmocka_unit_test_setup_teardown(gpgv_refusals_name_the_keyring_and_reason, gpgv_setup, gpgv_teardown),
	    cmocka_unit_test_setup_teardown(gpgv_gets_an_armored_keyring_dearmored, gpgv_setup, gpgv_teardown),
	    cmocka_unit_test_setup_teardown(gpgv_that_cannot_run_is_a_system_error, gpgv_setup, gpgv_teardown),
	};
	return cmocka_run_group_tests_name("packages_release", tests, NULL, NULL);
}
