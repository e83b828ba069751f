#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/lock.h"
#include "bundle/spec.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

static void spec_reads_names_images_platforms_registries(void **state)
{
	static const char text[] = "name: site-2026-11\n"
				   "images:\n"
				   "  - docker.io/library/nginx:1.27\n"
				   "  - ref: 127.0.0.1:5000/multi:1\n"
				   "    platforms: [linux/amd64, linux/arm64/v8]\n"
				   "registries:\n"
				   "  - host: 127.0.0.1:5000\n"
				   "    plain_http: true\n";
	struct bundle_spec spec;
	struct lerr err;

	(void)state;
	assert_int_equal(bundle_spec_parse("lading.yaml", text, strlen(text), &spec, &err), 0);
	assert_string_equal(spec.name, "site-2026-11");
	assert_int_equal(spec.image_count, 2);
	assert_string_equal(spec.images[0].ref, "docker.io/library/nginx:1.27");
	assert_int_equal(spec.images[0].platform_count, 0);
	assert_int_equal(spec.images[1].platform_count, 2);
	assert_string_equal(spec.images[1].platforms[1], "linux/arm64/v8");
	assert_int_equal(spec.images[1].line, 4);
	assert_int_equal(spec.registries.count, 1);
	assert_string_equal(spec.registries.items[0].host, "127.0.0.1:5000");
	assert_int_equal(spec.registries.items[0].plain_http, 1);
	assert_string_equal(spec.text, text);
	bundle_spec_free(&spec);
}

static void expect_spec_error(const char *text, const char *message)
{
	struct bundle_spec spec;
	struct lerr err;

	lerr_clear(&err);
	assert_int_equal(bundle_spec_parse("lading.yaml", text, strlen(text), &spec, &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_string_equal(err.msg, message);
}

static void spec_errors_name_file_line_column(void **state)
{
	(void)state;
	expect_spec_error("name: a\nimagez: []\n", "lading.yaml:2:1: unknown key 'imagez' in the bundle spec");
	expect_spec_error("name: a\nimages: nginx\n", "lading.yaml:2:9: images: expected a sequence, got a scalar");
	expect_spec_error("name: a\nimages:\n  - ref: x\n    platform: [linux/amd64]\n",
			  "lading.yaml:4:5: unknown key 'platform' in an image");
	expect_spec_error("name: a\nimages:\n  - ref: x\n    platforms: [linux]\n",
			  "lading.yaml:4:17: platform 'linux': expected os/arch or os/arch/variant, or all");
	expect_spec_error("name: a\nimages: [x, y, x]\n",
			  "lading.yaml:2:16: image 'x' is listed twice (first at line 2)");
	expect_spec_error("images: [x]\n", "lading.yaml:1:1: 'name' is missing from the bundle spec");
	expect_spec_error("name: ../evil\n", "lading.yaml:1:7: name '../evil': use letters, digits, '.', '_' and "
					     "'-' (at most 128)");
	expect_spec_error("name: a\nregistries:\n  - host: h\n    plain_http: maybe\n",
			  "lading.yaml:4:17: plain_http: expected true or false, got 'maybe'");
	expect_spec_error("name: a\nimages:\n  - [x]\n",
			  "lading.yaml:3:5: image: expected a reference or a mapping with ref and platforms, got a "
			  "sequence");
}

static void spec_packages_defaults_and_errors(void **state)
{
	static const char text[] = "name: a\n"
				   "packages:\n"
				   "  - apt: http://deb.debian.org/debian/\n"
				   "    suite: bookworm\n"
				   "    components: [main, non-free]\n"
				   "    keyring: keys/debian.gpg\n"
				   "    install: containerd\n"
				   "  - apt: file:///srv/flat\n"
				   "    name: flat\n"
				   "    suite: /\n"
				   "    architectures: [arm64]\n"
				   "    keyring: /k.gpg\n"
				   "    baseline: node.status\n"
				   "    install: [a, b=1.0]\n";
	struct bundle_spec spec;
	struct lerr err;
	const struct spec_apt *a;

	(void)state;
	assert_int_equal(bundle_spec_parse("site/lading.yaml", text, strlen(text), &spec, &err), 0);
	assert_int_equal(spec.sources.apt_count, 2);
	a = &spec.sources.apts[0];
	assert_string_equal(a->name, "deb.debian.org-bookworm");
	assert_string_equal(a->url, "http://deb.debian.org/debian");
	assert_string_equal(a->keyring, "site/keys/debian.gpg");
	assert_int_equal(a->component_count, 2);
	assert_string_equal(a->architectures[0], "amd64");
	assert_int_equal(a->install_count, 1);
	assert_null(a->baseline);
	a = &spec.sources.apts[1];
	assert_string_equal(a->name, "flat");
	assert_string_equal(a->keyring, "/k.gpg");
	assert_string_equal(a->baseline, "site/node.status");
	assert_string_equal(a->install[1], "b=1.0");
	assert_int_equal(a->component_count, 0);
	bundle_spec_free(&spec);

	expect_spec_error("name: a\npackages:\n  - apt: http://h/d\n    suite: s\n    components: [main]\n"
			  "    install: [x]\n",
			  "lading.yaml:3:5: a package source needs 'keyring' (the OpenPGP keyring that signs its "
			  "InRelease, e.g. /usr/share/keyrings/debian-archive-keyring.gpg)");
	expect_spec_error("name: a\npackages:\n  - apt: http://h/d\n    suite: /\n    components: [main]\n"
			  "    keyring: k\n    install: [x]\n",
			  "lading.yaml:3:5: a flat repository (suite ending in /) takes no 'components'");
	expect_spec_error("name: a\npackages:\n  - apt: ftp://h/d\n    suite: s\n    components: [main]\n"
			  "    keyring: k\n    install: [x]\n",
			  "lading.yaml:3:10: 'apt' must be an http://, https:// or file:/// URL");
	expect_spec_error("name: a\npackages:\n  - apt: http://h/d\n    suite: s\n    components: [main]\n"
			  "    keyring: k\n    install: [x, \"y z\"]\n",
			  "lading.yaml:7:18: 'y z' in install is not a single name (one per list item)");
	expect_spec_error("name: a\npackages:\n  - {apt: http://h/d, suite: s, components: [main], keyring: k, "
			  "install: [x]}\n  - {apt: http://h/d, suite: s, components: [c], keyring: k, install: [y]}\n",
			  "lading.yaml:4:5: package source name 'h-s' is used twice (give each source its own name:)");
}

static void lock_round_trip_and_missing_file(void **state)
{
	char dir[] = "/tmp/lading-unit-lock.XXXXXX";
	struct bundle_lock lock = {NULL, 0}, back;
	struct lerr err;
	char *spec_path, *path;
	struct buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);
	static const char d1[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	static const char bad[] = "{\"lock_version\":1,\"images\":[{\"ref\":\"a\",\"digest\":\"md5:x\"}]}";
	struct bundle_lock bad_lock;
	static const char d2[] = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

	(void)state;
	assert_non_null(mkdtemp(dir));
	spec_path = xasprintf("%s/lading.yaml", dir);
	path = bundle_lock_path(spec_path);
	assert_int_equal(bundle_lock_load(path, 0, &back, &err), 0);
	assert_int_equal(back.count, 0);
	assert_int_equal(bundle_lock_load(path, 1, &back, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	bundle_lock_set(&lock, "zeta:1", d1);
	bundle_lock_set(&lock, "alpha:1", d2);
	bundle_lock_set(&lock, "zeta:1", d2);
	assert_int_equal(bundle_lock_save(path, &lock, &err), 0);
	assert_int_equal(bundle_lock_load(path, 1, &back, &err), 0);
	assert_int_equal(back.count, 2);
	assert_string_equal(back.images[0].ref, "alpha:1"); /* sorted */
	assert_string_equal(bundle_lock_find(&back, "zeta:1"), d2);
	assert_null(bundle_lock_find(&back, "nope"));
	/* Saving what was read gives the same bytes. */
	assert_int_equal(fs_read_file(path, &a, &err), 0);
	assert_int_equal(bundle_lock_save(path, &back, &err), 0);
	assert_int_equal(fs_read_file(path, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	assert_int_equal(fs_write_file(path, bad, strlen(bad), 0644, &err), 0);
	assert_int_equal(bundle_lock_load(path, 1, &bad_lock, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "images[0]"));
	bundle_lock_free(&lock);
	bundle_lock_free(&back);
	buf_free(&a);
	buf_free(&b);
	assert_int_equal(fs_remove_tree(dir, &err), 0);
	free(path);
	free(spec_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spec_reads_names_images_platforms_registries),
	    cmocka_unit_test(spec_errors_name_file_line_column),
	    cmocka_unit_test(spec_packages_defaults_and_errors),
	    cmocka_unit_test(lock_round_trip_and_missing_file),
	};
	return cmocka_run_group_tests_name("bundle_spec", tests, NULL, NULL);
}
