#include "provision/baremetal/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "provision/baremetal/hostkey.h"
#include "provision/baremetal/live_init.h"
#include "provision/ssh/knownhosts.h"

#define BM_KEYFILE_MAX (64u * 1024)
#define BM_CAFILE_MAX (1024u * 1024)
#define BM_OVERLAY_MAX (4u * 1024 * 1024)
#define BM_COPY_CHUNK (64u * 1024)

/* isolinux reads plain ISO 9660 names (8.3 at level 1), so every name here fits 8.3. */
static const char isolinux_cfg[] = "DEFAULT lading\n"
				   "PROMPT 0\n"
				   "TIMEOUT 1\n"
				   "LABEL lading\n"
				   "  KERNEL /boot/vmlinuz\n"
				   "  APPEND initrd=/boot/initrd.img console=tty0 console=ttyS0,115200n8 panic=30\n";

void bm_image_free(struct bm_image *img)
{
	free(img->dir);
	free(img->initrd);
	free(img->iso);
	memset(img, 0, sizeof(*img));
}

/* Shell single quotes: the value as one word, a quote written as '\''. */
static void env_line(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s='", name);
	for (; value != NULL && *value != '\0'; value++)
		if (*value == '\'')
			buf_puts(out, "'\\''");
		else
			buf_printf(out, "%c", *value);
	buf_puts(out, "'\n");
}

static void node_env(const struct bm_node *node, struct buf *out)
{
	char address[128];

	if (node->dhcp)
		snprintf(address, sizeof(address), "dhcp");
	else
		snprintf(address, sizeof(address), "%s/%d", node->address, node->prefix);
	buf_puts(out, "# Written by lading baremetal image: read by /init.\n");
	env_line(out, "LADING_NODE", node->name);
	env_line(out, "LADING_MAC", node->mac);
	env_line(out, "LADING_ADDRESS", address);
	env_line(out, "LADING_GATEWAY", node->gateway);
	env_line(out, "LADING_DNS", node->dns);
}

/* An authorized_keys file: public keys only, so a private key given by mistake never lands in an image. */
static int read_authorized(const struct bm_node *node, struct buf *keys, struct lerr *err)
{
	const char *line, *end;
	int count = 0;

	if (fs_read_file(node->authorized_key, keys, err) != 0)
		return lerr_prefix(err, "%s: authorized_key", node->name);
	if (memchr(keys->data, '\0', keys->len) != NULL || strstr(keys->data, "PRIVATE KEY") != NULL)
		return lerr_set(
		    err, LADING_ERR_USAGE,
		    "%s: authorized_key '%s' is not a public key file (give the .pub, never the private key)",
		    node->name, node->authorized_key);
	for (line = keys->data; line < keys->data + keys->len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(keys->data + keys->len - line));
		if (end == NULL)
			end = keys->data + keys->len;
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (line == end || *line == '#')
			continue;
		if (strncmp(line, "ssh-", 4) != 0 && strncmp(line, "ecdsa-", 6) != 0 && strncmp(line, "sk-", 3) != 0)
			return lerr_set(
			    err, LADING_ERR_USAGE,
			    "%s: authorized_key '%s': a line is not an OpenSSH public key (ssh-ed25519 AAAA...)",
			    node->name, node->authorized_key);
		count++;
	}
	if (count == 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s: authorized_key '%s' holds no key", node->name,
				node->authorized_key);
	if (keys->data[keys->len - 1] != '\n')
		buf_puts(keys, "\n");
	return 0;
}

static int read_ca(const struct bm_node *node, struct buf *ca, struct lerr *err)
{
	if (fs_read_file(node->registry_ca, ca, err) != 0)
		return lerr_prefix(err, "%s: registry_ca", node->name);
	if (memchr(ca->data, '\0', ca->len) != NULL || strstr(ca->data, "-----BEGIN CERTIFICATE-----") == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: registry_ca '%s' holds no PEM certificate", node->name,
				node->registry_ca);
	return 0;
}

static la_ssize_t overlay_write(struct archive *a, void *ctx, const void *data, size_t len)
{
	struct buf *out = ctx;
	struct lerr err;

	(void)a;
	lerr_clear(&err);
	if (buf_add(out, data, len, &err) != 0) {
		archive_set_error(a, ENOSPC, "the node overlay passed %u bytes", BM_OVERLAY_MAX);
		return -1;
	}
	return (la_ssize_t)len;
}

/*
 * An entry from memory (a file, a directory, a link): owner 0 and mtime 0,
 * so the same inputs give the same bytes. what names the archive in errors.
 */
static int mem_entry(struct archive *a, const char *what, const char *path, mode_t type, mode_t perm, const void *data,
		     size_t len, long ino, struct lerr *err)
{
	struct archive_entry *entry = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, type);
	archive_entry_set_perm(entry, perm);
	archive_entry_set_size(entry, type == AE_IFREG ? (la_int64_t)len : 0);
	archive_entry_set_nlink(entry, type == AE_IFDIR ? 2 : 1);
	archive_entry_set_ino(entry, ino);
	archive_entry_set_mtime(entry, 0, 0);
	if (archive_write_header(a, entry) != ARCHIVE_OK ||
	    (type == AE_IFREG && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len))
		r = lerr_set(err, LADING_ERR_SYSTEM, "cannot write the %s entry '%s': %s", what, path,
			     archive_error_string(a));
	archive_entry_free(entry);
	return r;
}

struct overlay_item {
	const char *path;
	mode_t type;
	mode_t perm;
	const char *data;
	size_t len;
};

static int overlay_build(const struct overlay_item *items, size_t count, struct buf *out, struct lerr *err)
{
	struct archive *a = archive_write_new();
	size_t i;
	int r = 0;

	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, out, NULL, overlay_write, NULL, NULL) != ARCHIVE_OK) {
		r = lerr_set(err, LADING_ERR_SYSTEM, "cannot start the node overlay: %s", archive_error_string(a));
		archive_write_free(a);
		return r;
	}
	for (i = 0; i < count && r == 0; i++)
		r = mem_entry(a, "node overlay", items[i].path, items[i].type, items[i].perm, items[i].data,
			      items[i].len, (long)i + 1, err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = lerr_set(err, LADING_ERR_SYSTEM, "cannot finish the node overlay: %s", archive_error_string(a));
	archive_write_free(a);
	return r;
}

/* base, zero bytes up to a multiple of 4 (the kernel looks for the next archive's header there), overlay. */
static int initrd_write(const struct bm_node *node, const char *path, const struct buf *overlay, struct lerr *err)
{
	static const char zeros[4] = {0, 0, 0, 0};
	struct fs_atomic out;
	uint64_t copied = 0;
	int in = open(node->initrd, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return lerr_sys(err, "%s: initrd '%s': cannot open", node->name, node->initrd);
	if (fs_atomic_open(&out, path, 0600, err) != 0) {
		close(in);
		return -1;
	}
	if (fs_copy_fd(in, out.fd, &copied, node->initrd, err) != 0 ||
	    fs_write_all(out.fd, zeros, (4 - copied % 4) % 4, path, err) != 0 ||
	    fs_write_all(out.fd, overlay->data, overlay->len, path, err) != 0 || fs_atomic_commit(&out, err) != 0) {
		fs_atomic_abort(&out);
		close(in);
		return -1;
	}
	close(in);
	if (copied == 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s: initrd '%s' is empty", node->name, node->initrd);
	return 0;
}

static int iso_add_file(struct archive *a, const char *name, const char *path, struct lerr *err)
{
	struct archive_entry *entry;
	struct stat st;
	char *chunk;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return lerr_sys(err, "cannot open '%s' for the ISO", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is not a regular file", path);
	}
	entry = archive_entry_new();
	archive_entry_set_pathname(entry, name);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0444);
	archive_entry_set_size(entry, st.st_size);
	archive_entry_set_mtime(entry, 0, 0);
	chunk = xmalloc(BM_COPY_CHUNK);
	if (archive_write_header(a, entry) != ARCHIVE_OK)
		r = lerr_set(err, LADING_ERR_SYSTEM, "ISO entry '%s': %s", name, archive_error_string(a));
	while (r == 0 && (got = fs_read_some(fd, chunk, BM_COPY_CHUNK, path, err)) != 0) {
		if (got < 0)
			r = -1;
		else if (archive_write_data(a, chunk, (size_t)got) != got)
			r = lerr_set(err, LADING_ERR_SYSTEM, "ISO entry '%s': %s", name, archive_error_string(a));
	}
	free(chunk);
	archive_entry_free(entry);
	close(fd);
	return r;
}

/* El Torito no-emulation boot of isolinux.bin, which patches its boot info table (libarchive's iso9660 writer). */
static int iso_write(const struct bm_node *node, const struct bm_image *img, struct lerr *err)
{
	char *bin = xasprintf("%s/isolinux.bin", node->isolinux),
	     *ldlinux = xasprintf("%s/ldlinux.c32", node->isolinux);
	struct archive *a = archive_write_new();
	struct fs_atomic out;
	int r = -1;

	if (!fs_exists(bin) || !fs_exists(ldlinux)) {
		lerr_set(err, LADING_ERR_USAGE,
			 "%s: isolinux '%s' must hold isolinux.bin and ldlinux.c32 (Debian's isolinux and "
			 "syslinux-common packages)",
			 node->name, node->isolinux);
		goto out_free;
	}
	if (fs_atomic_open(&out, img->iso, 0600, err) != 0)
		goto out_free;
	if (archive_write_set_format_iso9660(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "iso9660:volume-id=LADING,iso9660:boot=isolinux/isolinux.bin,"
					 "iso9660:boot-catalog=isolinux/boot.cat,iso9660:boot-load-size=4,"
					 "iso9660:boot-info-table,iso9660:boot-type=no-emulation") != ARCHIVE_OK ||
	    archive_write_open_fd(a, out.fd) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot start the ISO: %s", node->name, archive_error_string(a));
		goto out_abort;
	}
	if (iso_add_file(a, "isolinux/isolinux.bin", bin, err) != 0 ||
	    iso_add_file(a, "isolinux/ldlinux.c32", ldlinux, err) != 0 ||
	    mem_entry(a, "ISO", "isolinux/isolinux.cfg", AE_IFREG, 0444, isolinux_cfg, sizeof(isolinux_cfg) - 1, 0,
		      err) != 0 ||
	    iso_add_file(a, "boot/vmlinuz", node->kernel, err) != 0 ||
	    iso_add_file(a, "boot/initrd.img", img->initrd, err) != 0) {
		lerr_prefix(err, "%s", node->name);
		goto out_abort;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot finish the ISO '%s': %s", node->name, img->iso,
			 archive_error_string(a));
		goto out_abort;
	}
	r = fs_atomic_commit(&out, err);
out_abort:
	if (r != 0)
		fs_atomic_abort(&out);
out_free:
	archive_write_free(a);
	free(bin);
	free(ldlinux);
	return r;
}

static int need(const struct bm_node *node, const char *value, const char *key, struct lerr *err)
{
	if (value != NULL)
		return 0;
	return lerr_set(err, LADING_ERR_USAGE, "%s: no '%s' in the site file's baremetal section (lading-site(5))",
			node->name, key);
}

static int build_live(const struct bm_node *node, struct bm_image *img, const struct bm_hostkey *key, struct lerr *err)
{
	struct buf keys = BUF_INIT(BM_KEYFILE_MAX), ca = BUF_INIT(BM_CAFILE_MAX), env = BUF_INIT(0);
	struct buf overlay = BUF_INIT(BM_OVERLAY_MAX);
	struct overlay_item items[16];
	size_t n = 0;
	int r = -1;

	if (read_authorized(node, &keys, err) != 0 || (node->registry_ca != NULL && read_ca(node, &ca, err) != 0))
		goto out;
	node_env(node, &env);
#define DIR_ITEM(p, m) items[n++] = (struct overlay_item){(p), AE_IFDIR, (m), NULL, 0}
#define FILE_ITEM(p, m, d, l)                                                                                          \
	items[n++] = (struct overlay_item)                                                                             \
	{                                                                                                              \
		(p), AE_IFREG, (m), (d), (l)                                                                           \
	}
	FILE_ITEM("init", 0755, bm_live_init, strlen(bm_live_init));
	DIR_ITEM("etc", 0755);
	DIR_ITEM("etc/lading", 0755);
	FILE_ITEM("etc/lading/node.env", 0644, env.data, env.len);
	DIR_ITEM("etc/ssh", 0755);
	FILE_ITEM("etc/ssh/ssh_host_ed25519_key", 0600, key->private_pem, strlen(key->private_pem));
	FILE_ITEM("etc/ssh/ssh_host_ed25519_key.pub", 0644, key->public_line, strlen(key->public_line));
	DIR_ITEM("root", 0700);
	DIR_ITEM("root/.ssh", 0700);
	FILE_ITEM("root/.ssh/authorized_keys", 0600, keys.data, keys.len);
	if (node->registry_ca != NULL) {
		DIR_ITEM("usr", 0755);
		DIR_ITEM("usr/local", 0755);
		DIR_ITEM("usr/local/share", 0755);
		DIR_ITEM("usr/local/share/ca-certificates", 0755);
		FILE_ITEM("usr/local/share/ca-certificates/lading-registry.crt", 0644, ca.data, ca.len);
	}
#undef DIR_ITEM
#undef FILE_ITEM
	if (overlay_build(items, n, &overlay, err) != 0 || initrd_write(node, img->initrd, &overlay, err) != 0)
		goto out;
	if (node->isolinux != NULL && iso_write(node, img, err) != 0)
		goto out;
	r = 0;
out:
	if (overlay.data != NULL)
		OPENSSL_cleanse(overlay.data, overlay.len);
	buf_free(&overlay);
	buf_free(&keys);
	buf_free(&ca);
	buf_free(&env);
	return r;
}

int bm_image_build(const struct bm_node *node, const char *out_dir, const struct logger *lg, struct bm_image *img,
		   struct lerr *err)
{
	struct bm_hostkey key;
	int r;

	memset(img, 0, sizeof(*img));
	if (node->iso != NULL) {
		if (!fs_exists(node->iso))
			return lerr_set(err, LADING_ERR_USAGE, "%s: iso '%s' does not exist", node->name, node->iso);
		img->iso = xstrdup(node->iso);
		return 0;
	}
	if (need(node, node->kernel, "kernel", err) != 0 || need(node, node->initrd, "initrd", err) != 0 ||
	    need(node, node->authorized_key, "authorized_key", err) != 0 ||
	    (!node->dhcp && need(node, node->address, "address", err) != 0))
		return -1;
	if (!fs_exists(node->kernel))
		return lerr_set(err, LADING_ERR_USAGE, "%s: kernel '%s' does not exist", node->name, node->kernel);
	img->dir = xasprintf("%s/%s", out_dir, node->name);
	if (fs_mkdir_p(img->dir, err) != 0 || chmod(img->dir, 0700) != 0) {
		if (err->code == LADING_OK)
			lerr_sys(err, "cannot make '%s' private", img->dir);
		bm_image_free(img);
		return -1;
	}
	memset(&key, 0, sizeof(key));
	{
		char *comment = xasprintf("root@%s", node->name);

		r = bm_hostkey_load_or_create(img->dir, comment, &key, &img->key_created, err);
		free(comment);
	}
	if (r != 0) {
		bm_image_free(img);
		return -1;
	}
	memcpy(img->host_blob, key.blob, key.blob_len);
	img->host_blob_len = key.blob_len;
	kh_fingerprint(key.blob, key.blob_len, img->host_fingerprint, sizeof(img->host_fingerprint));
	img->initrd = xasprintf("%s/initrd.img", img->dir);
	if (node->isolinux != NULL)
		img->iso = xasprintf("%s/%s.iso", img->dir, node->name);
	log_msg(lg, LOG_VERBOSE, "%s: host key %s (%s)", node->name, img->host_fingerprint,
		img->key_created ? "new" : "kept");
	r = build_live(node, img, &key, err);
	bm_hostkey_free(&key);
	if (r != 0)
		bm_image_free(img);
	return r;
}
