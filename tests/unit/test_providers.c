#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "providers/dirhash.h"
#include "providers/mirror.h"
#include "providers/tfversion.h"
#include "lib/buf.h"

static int tf_matches(const char *constraint, const char *version)
{
	struct tf_constraint *c = NULL;
	struct semver v;
	struct lerr err;
	int r;

	if (tf_constraint_parse(constraint, &c, &err) != 0)
		return -1;
	assert_int_equal(semver_parse(version, &v, &err), 0);
	r = tf_constraint_check(c, &v);
	tf_constraint_free(c);
	return r;
}

static void tf_constraints_follow_go_version(void **state)
{
	(void)state;
	assert_int_equal(tf_matches("~> 2.10", "2.31.0"), 1);
	assert_int_equal(tf_matches("~> 2.10", "2.9.0"), 0);
	assert_int_equal(tf_matches("~> 2.10", "3.0.0"), 0);
	assert_int_equal(tf_matches("~> 2.10.1", "2.10.9"), 1);
	assert_int_equal(tf_matches("~> 2.10.1", "2.11.0"), 0);
	assert_int_equal(tf_matches(">= 1.0, < 2.0", "1.9.9"), 1);
	assert_int_equal(tf_matches(">= 1.0, < 2.0", "2.0.0"), 0);
	assert_int_equal(tf_matches("1.2.3", "1.2.3"), 1);
	assert_int_equal(tf_matches("!= 1.2.3", "1.2.3"), 0);
	assert_int_equal(tf_matches(">= 1.0", "2.0.0-beta1"), 0);
	assert_int_equal(tf_matches("= 2.0.0-beta1", "2.0.0-beta1"), 1);
	assert_int_equal(tf_matches("~> banana", "1.0.0"), -1);
}

static void write_zip(const char *path, const char *name, const char *content)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	if (name != NULL) {
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0755);
		archive_entry_set_size(e, (la_int64_t)strlen(content));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, content, strlen(content)), (la_ssize_t)strlen(content));
	}
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Vectors from SPECS §4.5 (computed with an independent dirhash implementation). */
static void h1_matches_go_dirhash(void **state)
{
	char dir[] = "/tmp/lading-dirhash-XXXXXX";
	char h1[DIRHASH_H1_MAX];
	struct lerr err;
	char *zip, *file;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(dirhash_h1_dir(dir, h1, &err), 0);
	assert_string_equal(h1, "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	file = xasprintf("%s/terraform-provider-x_v1.0.0", dir);
	f = fopen(file, "w");
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(dirhash_h1_dir(dir, h1, &err), 0);
	assert_string_equal(h1, "h1:TH2UijXm21NIPW4/f5wiuw73s8o6ut6DIWdH/wElwqY=");
	zip = xasprintf("%s.zip", dir);
	write_zip(zip, "terraform-provider-x_v1.0.0", "hello\n");
	assert_int_equal(dirhash_h1_zip(zip, h1, &err), 0);
	assert_string_equal(h1, "h1:TH2UijXm21NIPW4/f5wiuw73s8o6ut6DIWdH/wElwqY=");
	write_zip(zip, NULL, NULL);
	assert_int_equal(dirhash_h1_zip(zip, h1, &err), 0);
	assert_string_equal(h1, "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	unlink(zip);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	free(zip);
	free(file);
}

static void h1_of_a_non_zip_is_an_error(void **state)
{
	char h1[DIRHASH_H1_MAX];
	struct lerr err;

	(void)state;
	assert_int_equal(dirhash_h1_zip("/etc/hostname", h1, &err), -1);
	assert_non_null(strstr(err.msg, "/etc/hostname"));
}

static void zip_names_parse_like_terraform(void **state)
{
	char version[64], platform[64];

	(void)state;
	assert_int_equal(provider_zip_name_parse("terraform-provider-vsphere_2.10.0_linux_amd64.zip", "vsphere",
						 version, sizeof(version), platform, sizeof(platform)),
			 0);
	assert_string_equal(version, "2.10.0");
	assert_string_equal(platform, "linux_amd64");
	assert_int_equal(provider_zip_name_parse("terraform-provider-vsphere_2.10.0_linux.zip", "vsphere", version,
						 sizeof(version), platform, sizeof(platform)),
			 -1);
	assert_int_equal(provider_zip_name_parse("terraform-provider-aws_1.0.0_linux_amd64.zip", "vsphere", version,
						 sizeof(version), platform, sizeof(platform)),
			 -1);
}

static void mirror_json_lists_versions_and_hashes(void **state)
{
	char dir[] = "/tmp/lading-mirror-XXXXXX";
	struct buf text = BUF_INIT(1 << 20);
	struct lerr err;
	char *zip, *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	zip = xasprintf("%s/terraform-provider-x_1.0.0_linux_amd64.zip", dir);
	write_zip(zip, "terraform-provider-x_v1.0.0", "hello\n");
	assert_int_equal(provider_mirror_write_json(dir, "x", &err), 0);
	path = xasprintf("%s/index.json", dir);
	assert_int_equal(fs_read_file(path, &text, &err), 0);
	assert_string_equal(text.data, "{\n  \"versions\": {\n    \"1.0.0\": {}\n  }\n}");
	free(path);
	buf_reset(&text);
	path = xasprintf("%s/1.0.0.json", dir);
	assert_int_equal(fs_read_file(path, &text, &err), 0);
	assert_non_null(strstr(text.data, "\"url\": \"terraform-provider-x_1.0.0_linux_amd64.zip\""));
	assert_non_null(strstr(text.data, "\"h1:TH2UijXm21NIPW4/f5wiuw73s8o6ut6DIWdH/wElwqY=\""));
	assert_non_null(strstr(text.data, "\"zh:"));
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	buf_free(&text);
	free(path);
	free(zip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tf_constraints_follow_go_version),	     cmocka_unit_test(h1_matches_go_dirhash),
	    cmocka_unit_test(h1_of_a_non_zip_is_an_error),	     cmocka_unit_test(zip_names_parse_like_terraform),
	    cmocka_unit_test(mirror_json_lists_versions_and_hashes),
	};
	return cmocka_run_group_tests_name("providers", tests, NULL, NULL);
}
