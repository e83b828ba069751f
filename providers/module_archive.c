#define _GNU_SOURCE /* mkdtemp */
/*
 * A module archive made deterministic (see module.h): the upstream archive is
 * read once, each regular file of the kept subtree goes to a numbered scratch
 * file (no name from the archive ever becomes a filesystem path), then the
 * .tar.gz is written from those in sorted order with fixed metadata.
 */
#include "providers/module.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"

struct tree_file {
	char *path; /* in the normalized tree */
	size_t seq; /* scratch file number; later entries of the same path win */
	int exec;
	uint64_t size;
};

struct tree {
	const char *what;
	const char *scratch;
	struct tree_file *files;
	size_t count;
	uint64_t bytes;
};

int module_entry_path(const char *name, const char *subdir, char **out)
{
	char *copy, *p;
	size_t len, sub_len = subdir != NULL ? strlen(subdir) : 0;
	int r = 0;

	*out = NULL;
	if (name[0] == '/' || name[0] == '\0')
		return -1;
	while (strncmp(name, "./", 2) == 0)
		name += 2;
	copy = xstrdup(name);
	len = strlen(copy);
	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if (len == 0 || strcmp(copy, ".") == 0)
		goto out; /* the root itself */
	for (p = copy; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) {
			r = -1;
			goto out;
		}
	if (!fs_relpath_is_safe(copy, 4096)) {
		r = -1;
		goto out;
	}
	if (sub_len > 0) {
		if (strncmp(copy, subdir, sub_len) != 0 || copy[sub_len] != '/')
			goto out; /* outside the subtree, or the subdir itself */
		*out = xstrdup(copy + sub_len + 1);
	} else {
		*out = xstrdup(copy);
	}
	r = 1;
out:
	free(copy);
	return r;
}

static int compare_files(const void *a, const void *b)
{
	const struct tree_file *fa = a, *fb = b;
	int c = strcmp(fa->path, fb->path);

	return c != 0 ? c : (fa->seq < fb->seq ? 1 : -1); /* the newest first, so it is the one kept */
}

static int save_data(struct tree *t, struct archive *a, const char *name, struct tree_file *f, struct lerr *err)
{
	char *path = xasprintf("%s/%zu", t->scratch, f->seq), chunk[1 << 16];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r = -1;
	la_ssize_t got;

	if (fd < 0) {
		lerr_sys(err, "%s: cannot create '%s'", t->what, path);
		goto out;
	}
	while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		f->size += (uint64_t)got;
		t->bytes += (uint64_t)got;
		if (t->bytes > MODULE_TREE_MAX) {
			lerr_set(err, LADING_ERR_LIMIT, "%s: the unpacked module is over %llu bytes", t->what,
				 (unsigned long long)MODULE_TREE_MAX);
			goto out;
		}
		if (fs_write_all(fd, chunk, (size_t)got, path, err) != 0)
			goto out;
	}
	if (got < 0) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: entry '%s': %s", t->what, name, archive_error_string(a));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* One header of the upstream archive: kept, skipped, or refused. */
static int read_entry(struct tree *t, struct archive *a, struct archive_entry *entry, const char *subdir,
		      struct lerr *err)
{
	const char *name = archive_entry_pathname(entry);
	mode_t type = archive_entry_filetype(entry);
	struct tree_file f = {NULL, t->count, 0, 0};
	int where = name != NULL ? module_entry_path(name, subdir, &f.path) : -1;

	if (where < 0)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: archive entry '%s' escapes the module's root", t->what,
				name ? name : "(no name)");
	if (where == 0 || type == AE_IFDIR) {
		free(f.path);
		return 0;
	}
	if (type != AE_IFREG || archive_entry_hardlink(entry) != NULL) {
		free(f.path);
		return lerr_set(err, LADING_ERR_FORMAT,
				"%s: archive entry '%s' is a link or special file: only files and directories are "
				"carried",
				t->what, name);
	}
	if (t->count >= MODULE_ENTRIES_MAX) {
		free(f.path);
		return lerr_set(err, LADING_ERR_LIMIT, "%s: the module has over %u files", t->what, MODULE_ENTRIES_MAX);
	}
	f.exec = (archive_entry_perm(entry) & 0111) != 0;
	t->files = grow_array(t->files, t->count, sizeof(*t->files));
	t->files[t->count++] = f;
	return save_data(t, a, name, &t->files[t->count - 1], err);
}

static int read_archive(struct tree *t, const char *path, const char *subdir, struct lerr *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	int status, r = -1;

	if (a == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: out of memory", t->what);
	/* The compressions go-getter unpacks; not _all, which may run external programs on untrusted input. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: cannot read the archive: %s", t->what, archive_error_string(a));
		goto out;
	}
	while ((status = archive_read_next_header(a, &entry)) == ARCHIVE_OK || status == ARCHIVE_WARN)
		if (read_entry(t, a, entry, subdir, err) != 0)
			goto out;
	if (status != ARCHIVE_EOF) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: not a readable tar or zip archive: %s", t->what,
			 archive_error_string(a));
		goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	return r;
}

static int write_header(struct archive *out, const char *path, mode_t type, mode_t perm, uint64_t size,
			const char *what, struct lerr *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (e == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: out of memory", what);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	rc = archive_write_header(out, e);
	archive_entry_free(e);
	if (rc != ARCHIVE_OK)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: %s: %s", what, path, archive_error_string(out));
	return 0;
}

/* The directories of path that prev (the file before it in sorted order) did not already bring. */
static int write_parents(struct archive *out, const char *prev, const char *path, const char *what, struct lerr *err)
{
	const char *slash;

	for (slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - path) + 1;
		char *dir;
		int r;

		if (prev != NULL && strncmp(prev, path, len) == 0)
			continue;
		dir = xstrndup(path, len);
		r = write_header(out, dir, AE_IFDIR, 0755, 0, what, err);
		free(dir);
		if (r != 0)
			return -1;
	}
	return 0;
}

static int write_file(struct archive *out, const struct tree *t, const struct tree_file *f, struct lerr *err)
{
	char *path = xasprintf("%s/%zu", t->scratch, f->seq), chunk[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;
	ssize_t got;

	if (fd < 0) {
		lerr_sys(err, "%s: cannot open '%s'", t->what, path);
		goto out;
	}
	if (write_header(out, f->path, AE_IFREG, f->exec ? 0755 : 0644, f->size, t->what, err) != 0)
		goto out;
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		if (archive_write_data(out, chunk, (size_t)got) != got) {
			lerr_set(err, LADING_ERR_SYSTEM, "%s: %s: %s", t->what, f->path, archive_error_string(out));
			goto out;
		}
	if (got < 0) {
		lerr_sys(err, "%s: cannot read '%s'", t->what, path);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

static int write_tree(const struct tree *t, int fd, struct lerr *err)
{
	struct archive *out = archive_write_new();
	const char *prev = NULL;
	size_t i;
	int r = -1;

	if (out == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: out of memory", t->what);
	/* No gzip timestamp or name: the same tree gives the same bytes. */
	if (archive_write_set_format_pax_restricted(out) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(out) != ARCHIVE_OK ||
	    archive_write_set_filter_option(out, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(out, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(out, fd) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot write the archive: %s", t->what,
			 archive_error_string(out));
		goto out;
	}
	for (i = 0; i < t->count; i++) {
		if (prev != NULL && strcmp(prev, t->files[i].path) == 0)
			continue; /* an older copy of the same name */
		if (write_parents(out, prev, t->files[i].path, t->what, err) != 0 ||
		    write_file(out, t, &t->files[i], err) != 0)
			goto out;
		prev = t->files[i].path;
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot write the archive: %s", t->what,
			 archive_error_string(out));
		goto out;
	}
	r = 0;
out:
	archive_write_free(out);
	return r;
}

/* Writes the sorted tree into the scratch dir, then renames it to its sha256 in the store. */
static int store_tree(struct tree *t, const char *store, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err)
{
	char *tmp = xasprintf("%s/out.tar.gz", t->scratch), *final = NULL;
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644), r = -1;

	if (fd < 0) {
		lerr_sys(err, "%s: cannot create '%s'", t->what, tmp);
		goto out;
	}
	qsort(t->files, t->count, sizeof(*t->files), compare_files);
	if (write_tree(t, fd, err) != 0)
		goto out;
	if (fsync(fd) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		lerr_sys(err, "%s: cannot write '%s'", t->what, tmp);
		goto out;
	}
	if (sha256_fd(fd, tmp, hex, size, err) != 0)
		goto out;
	final = urlstore_path(store, hex);
	if (rename(tmp, final) != 0) {
		lerr_sys(err, "%s: cannot rename '%s' to '%s'", t->what, tmp, final);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(final);
	return r;
}

int module_archive_normalize(const char *path, const char *subdir, const char *store, const char *what,
			     char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct lerr *err)
{
	char *scratch = xasprintf("%s/.module-XXXXXX", store);
	struct tree t = {what, NULL, NULL, 0, 0};
	size_t i;
	int r = -1;

	if (mkdtemp(scratch) == NULL) {
		lerr_sys(err, "%s: cannot create a directory in '%s'", what, store);
		free(scratch);
		return -1;
	}
	t.scratch = scratch;
	if (read_archive(&t, path, subdir, err) != 0)
		goto out;
	if (t.count == 0) {
		if (subdir != NULL)
			lerr_set(err, LADING_ERR_NOTFOUND, "%s: subdirectory '%s' is not in the archive (or is empty)",
				 what, subdir);
		else
			lerr_set(err, LADING_ERR_FORMAT, "%s: the archive holds no files", what);
		goto out;
	}
	r = store_tree(&t, store, hex, size, err);
out:
	for (i = 0; i < t.count; i++)
		free(t.files[i].path);
	free(t.files);
	fs_remove_tree(scratch, NULL);
	free(scratch);
	return r;
}
