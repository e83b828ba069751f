#include "providers/dirhash.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* Provider zips hold a handful of files; a cap keeps a hostile zip from growing the list. */
#define DIRHASH_MAX_FILES 100000

struct hashed_file {
	char *name;
	char hex[SHA256_HEX_LEN + 1];
};

struct file_list {
	struct hashed_file *items;
	size_t count;
};

static int list_add(struct file_list *list, const char *name, const char *hex, const char *where, struct lerr *err)
{
	if (strchr(name, '\n') != NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "'%s': file name with a newline cannot be hashed", where);
	if (list->count >= DIRHASH_MAX_FILES)
		return lerr_set(err, LADING_ERR_LIMIT, "'%s': more than %d files", where, DIRHASH_MAX_FILES);
	list->items = grow_array(list->items, list->count, sizeof(*list->items));
	list->items[list->count].name = xstrdup(name);
	memcpy(list->items[list->count].hex, hex, sizeof(list->items[0].hex));
	list->count++;
	return 0;
}

static void list_free(struct file_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hashed_file *)a)->name, ((const struct hashed_file *)b)->name);
}

/* dirhash.Hash1: sha256 over "hex  name\n" lines sorted by name, base64. */
static void list_hash1(struct file_list *list, char out[DIRHASH_H1_MAX])
{
	struct sha256_ctx *ctx = sha256_new();
	unsigned char raw[32];
	char hex[SHA256_HEX_LEN + 1];
	size_t i;

	if (list->count > 1)
		qsort(list->items, list->count, sizeof(*list->items), by_name);
	for (i = 0; i < list->count; i++) {
		sha256_update(ctx, list->items[i].hex, SHA256_HEX_LEN);
		sha256_update(ctx, "  ", 2);
		sha256_update(ctx, list->items[i].name, strlen(list->items[i].name));
		sha256_update(ctx, "\n", 1);
	}
	sha256_final_hex(ctx, hex);
	sha256_free(ctx);
	for (i = 0; i < 32; i++) {
		unsigned int byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		raw[i] = (unsigned char)byte;
	}
	memcpy(out, "h1:", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, raw, 32);
}

/* libarchive does not recognise a zip that is only its end record (22 bytes, "PK\5\6"). */
static int zip_is_empty(const char *path)
{
	unsigned char head[23];
	size_t got;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return 0;
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	return got == 22 && memcmp(head, "PK\5\6", 4) == 0;
}

int dirhash_h1_zip(const char *zip_path, char out[DIRHASH_H1_MAX], struct lerr *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	struct file_list list = {NULL, 0};
	struct sha256_ctx *ctx = sha256_new();
	char *chunk = xmalloc(1 << 16);
	char hex[SHA256_HEX_LEN + 1];
	int r = -1, status;

	if (zip_is_empty(zip_path)) {
		list_hash1(&list, out);
		r = 0;
		goto out;
	}
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, zip_path, 1 << 16) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_FORMAT, "'%s': %s", zip_path, archive_error_string(a));
		goto out;
	}
	while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		la_ssize_t got;

		while ((got = archive_read_data(a, chunk, 1 << 16)) > 0)
			sha256_update(ctx, chunk, (size_t)got);
		if (got < 0) {
			lerr_set(err, LADING_ERR_FORMAT, "'%s': %s", zip_path, archive_error_string(a));
			goto out;
		}
		sha256_final_hex(ctx, hex);
		if (list_add(&list, archive_entry_pathname(entry), hex, zip_path, err) != 0)
			goto out;
	}
	if (status != ARCHIVE_EOF) {
		lerr_set(err, LADING_ERR_FORMAT, "'%s': %s", zip_path, archive_error_string(a));
		goto out;
	}
	list_hash1(&list, out);
	r = 0;
out:
	archive_read_free(a);
	sha256_free(ctx);
	free(chunk);
	list_free(&list);
	return r;
}

static int walk_dir(const char *root, const char *rel, struct file_list *list, int depth, struct lerr *err)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *dir = NULL;
	struct dirent *ent;
	int r = -1;

	if (depth > 64) {
		lerr_set(err, LADING_ERR_LIMIT, "'%s': directories nested too deeply", path);
		goto out;
	}
	if ((dir = opendir(path)) == NULL) {
		lerr_sys(err, "cannot read directory '%s'", path);
		goto out;
	}
	while ((ent = readdir(dir)) != NULL) {
		char *child_rel, *child;
		struct stat st;
		char hex[SHA256_HEX_LEN + 1];
		int failed;

		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		child_rel = rel[0] ? xasprintf("%s/%s", rel, ent->d_name) : xstrdup(ent->d_name);
		child = xasprintf("%s/%s", root, child_rel);
		if (lstat(child, &st) != 0)
			failed = lerr_sys(err, "cannot stat '%s'", child);
		else if (S_ISDIR(st.st_mode))
			failed = walk_dir(root, child_rel, list, depth + 1, err);
		else
			failed = sha256_file(child, hex, NULL, err) != 0 ||
				 list_add(&list[0], child_rel, hex, root, err) != 0;
		free(child_rel);
		free(child);
		if (failed)
			goto out;
	}
	r = 0;
out:
	if (dir != NULL)
		closedir(dir);
	free(path);
	return r;
}

int dirhash_h1_dir(const char *dir, char out[DIRHASH_H1_MAX], struct lerr *err)
{
	struct file_list list = {NULL, 0};
	int r = -1;

	if (walk_dir(dir, "", &list, 0, err) == 0) {
		list_hash1(&list, out);
		r = 0;
	}
	list_free(&list);
	return r;
}

int dirhash_zh(const char *zip_path, char out[DIRHASH_H1_MAX + 16], struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (sha256_file(zip_path, hex, NULL, err) != 0)
		return -1;
	memcpy(out, "zh:", 3);
	memcpy(out + 3, hex, SHA256_HEX_LEN + 1);
	return 0;
}
