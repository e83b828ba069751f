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
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/image.h"
#include "provision/baremetal/live_init.h"
#include "provision/baremetal/site.h"

#define ISOLINUX_BIN "/usr/lib/ISOLINUX/isolinux.bin"
#define LDLINUX_C32 "/usr/lib/syslinux/modules/bios/ldlinux.c32"

static void live_init_is_the_script(void **state)
{
	struct buf file = BUF_INIT(1u << 20);
	struct lerr err = {0};

	(void)state;
	/* make check runs from the top of the tree; scripts/embed-live-init rewrites live_init_text.c */
	assert_int_equal(fs_read_file("provision/baremetal/live-init.sh", &file, &err), 0);
	assert_string_equal(bm_live_init, file.data);
	buf_free(&file);
}

struct fixture {
	char dir[64];
	struct bm_site *site;
};

static void put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct lerr err = {0};

	assert_int_equal(fs_write_file(path, text, strlen(text), 0644, &err), 0);
	free(path);
}

/* A site whose files live in a fresh directory; isolinux only when Debian's files are installed. */
static void fixture_make(struct fixture *f, const char *extra)
{
	struct lerr err = {0};
	struct buf yaml = BUF_INIT(0);
	char *site_file;
	int iso = access(ISOLINUX_BIN, R_OK) == 0 && access(LDLINUX_C32, R_OK) == 0;

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-image-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	put(f->dir, "vmlinuz", "kernel bytes");
	put(f->dir, "base.img", "base!"); /* 5 bytes: the overlay starts after 3 zero bytes */
	put(f->dir, "site.pub", "# the site's key\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7vN3 ops@site\n");
	put(f->dir, "ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	if (iso) {
		char *dir = xasprintf("%s/isolinux", f->dir), *cmd;

		assert_int_equal(mkdir(dir, 0755), 0);
		cmd = xasprintf("cp %s %s %s/", ISOLINUX_BIN, LDLINUX_C32, dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		free(dir);
	}
	buf_printf(&yaml,
		   "baremetal:\n  user: u\n  password_env: P\n  kernel: vmlinuz\n  initrd: base.img\n"
		   "  authorized_key: site.pub\n  registry_ca: ca.pem\n%s  nodes:\n"
		   "    - {name: n1, bmc: \"https://b\", address: 10.0.7.21, mac: \"52:54:00:00:00:01\", "
		   "gateway: 10.0.7.1, dns: [10.0.7.53]%s}\n",
		   iso ? "  isolinux: isolinux\n" : "", extra);
	site_file = xasprintf("%s/site.yaml", f->dir);
	assert_int_equal(bm_site_parse(site_file, yaml.data, yaml.len, &f->site, &err), 0);
	free(site_file);
	buf_free(&yaml);
}

static void fixture_free(struct fixture *f)
{
	struct lerr err = {0};

	bm_site_free(f->site);
	assert_int_equal(fs_remove_tree(f->dir, &err), 0);
}

/* The overlay archive after the base: its entries' names, modes and, for node.env, the text. */
static void read_overlay(const char *initrd, struct buf *names, struct buf *env)
{
	struct buf data = BUF_INIT(1u << 24);
	struct lerr err = {0};
	struct archive *a = archive_read_new();
	struct archive_entry *entry;

	assert_int_equal(fs_read_file(initrd, &data, &err), 0);
	assert_memory_equal(data.data, "base!\0\0\0", 8);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_memory(a, data.data + 8, data.len - 8), ARCHIVE_OK);
	while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
		buf_printf(names, "%s %o %lld\n", archive_entry_pathname(entry), (unsigned)archive_entry_perm(entry),
			   (long long)archive_entry_mtime(entry));
		if (strcmp(archive_entry_pathname(entry), "etc/lading/node.env") == 0) {
			char text[1024];
			la_ssize_t got = archive_read_data(a, text, sizeof(text));

			assert_true(got > 0);
			buf_add(env, text, (size_t)got, &err);
		}
	}
	archive_read_free(a);
	buf_free(&data);
}

static void image_holds_the_node_identity(void **state)
{
	struct fixture f;
	struct bm_image img, again;
	struct lerr err = {0};
	struct buf names = BUF_INIT(0), env = BUF_INIT(0);
	char *out;

	(void)state;
	fixture_make(&f, "");
	out = xasprintf("%s/out", f.dir);
	assert_int_equal(bm_image_build(&f.site->nodes[0], out, NULL, &img, &err), 0);
	assert_int_equal(img.key_created, 1);
	assert_int_equal(img.host_blob_len, 51);
	assert_non_null(strstr(img.host_fingerprint, "SHA256:"));
	read_overlay(img.initrd, &names, &env);
	assert_non_null(strstr(names.data, "init 755 0\n"));
	assert_non_null(strstr(names.data, "etc/ssh/ssh_host_ed25519_key 600 0\n"));
	assert_non_null(strstr(names.data, "root 700 0\n"));
	assert_non_null(strstr(names.data, "root/.ssh/authorized_keys 600 0\n"));
	assert_non_null(strstr(names.data, "usr/local/share/ca-certificates/lading-registry.crt 644 0\n"));
	assert_non_null(strstr(env.data, "LADING_NODE='n1'\n"));
	assert_non_null(strstr(env.data, "LADING_MAC='52:54:00:00:00:01'\n"));
	assert_non_null(strstr(env.data, "LADING_ADDRESS='10.0.7.21/24'\n"));
	assert_non_null(strstr(env.data, "LADING_GATEWAY='10.0.7.1'\n"));
	assert_non_null(strstr(env.data, "LADING_DNS='10.0.7.53'\n"));
	if (img.iso != NULL) {
		struct archive *a = archive_read_new();
		struct archive_entry *entry;
		struct buf iso_names = BUF_INIT(0);

		archive_read_support_format_iso9660(a);
		assert_int_equal(archive_read_open_filename(a, img.iso, 65536), ARCHIVE_OK);
		while (archive_read_next_header(a, &entry) == ARCHIVE_OK)
			buf_printf(&iso_names, "%s\n", archive_entry_pathname(entry));
		archive_read_free(a);
		assert_non_null(strstr(iso_names.data, "boot/vmlinuz\n"));
		assert_non_null(strstr(iso_names.data, "boot/initrd.img\n"));
		assert_non_null(strstr(iso_names.data, "isolinux/isolinux.cfg\n"));
		buf_free(&iso_names);
	}
	/* A second build keeps the node's key: the same identity, nothing generated. */
	assert_int_equal(bm_image_build(&f.site->nodes[0], out, NULL, &again, &err), 0);
	assert_int_equal(again.key_created, 0);
	assert_memory_equal(again.host_blob, img.host_blob, img.host_blob_len);
	bm_image_free(&again);
	bm_image_free(&img);
	buf_free(&names);
	buf_free(&env);
	free(out);
	fixture_free(&f);
}

static void image_refuses_bad_inputs(void **state)
{
	struct fixture f;
	struct bm_image img;
	struct lerr err = {0};
	char *out;

	(void)state;
	fixture_make(&f, "");
	out = xasprintf("%s/out", f.dir);
	put(f.dir, "site.pub", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n");
	assert_int_equal(bm_image_build(&f.site->nodes[0], out, NULL, &img, &err), -1);
	assert_non_null(strstr(err.msg, "n1: authorized_key"));
	assert_non_null(strstr(err.msg, "never the private key"));
	put(f.dir, "site.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7vN3 ops@site\n");
	put(f.dir, "ca.pem", "not a certificate\n");
	assert_int_equal(bm_image_build(&f.site->nodes[0], out, NULL, &img, &err), -1);
	assert_non_null(strstr(err.msg, "holds no PEM certificate"));
	free(f.site->nodes[0].authorized_key);
	f.site->nodes[0].authorized_key = NULL;
	assert_int_equal(bm_image_build(&f.site->nodes[0], out, NULL, &img, &err), -1);
	assert_non_null(strstr(err.msg, "n1: no 'authorized_key' in the site file"));
	free(out);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(live_init_is_the_script),
	    cmocka_unit_test(image_holds_the_node_identity),
	    cmocka_unit_test(image_refuses_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
