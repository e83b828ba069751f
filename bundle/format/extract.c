/* Verified extraction: staging directory, every entry checked, then one rename. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/format/extract.h"
#include "bundle/format/manifest.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/leftover.h"
#include "lib/xmalloc.h"

#define CHUNK (256u << 10)

/*
 * The staging directory is an absolute, symlink-free path (realpath of the
 * parent), so libarchive's checks on it hold; the archive's own names were
 * already refused by the reader if absolute or with '..'.
 */
#define DISK_FLAGS                                                                                                     \
	(ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_NO_OVERWRITE |            \
	 ARCHIVE_EXTRACT_TIME)

struct extractor {
	struct archive *disk;
	char *staging;
	int staging_lock; /* flock on the staging directory for the whole run (lib/leftover.h) */
	char *chunk;
};

static int dest_usable(const char *dest, struct lerr *err)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	int empty = 1;

	if (lstat(dest, &st) != 0)
		return errno == ENOENT ? 0 : lerr_sys(err, "cannot use '%s'", dest);
	if (!S_ISDIR(st.st_mode))
		return lerr_set(err, LADING_ERR_USAGE, "'%s' exists and is not a directory", dest);
	if ((dir = opendir(dest)) == NULL)
		return lerr_sys(err, "cannot open '%s'", dest);
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(dir);
	if (!empty)
		return lerr_set(err, LADING_ERR_USAGE, "'%s' is not empty: extract into a new directory", dest);
	return 0;
}

/*
 * "<realpath(parent)>/.<base>.lading-staging.<pid>". Staging directories of
 * earlier extractions into the same dest whose run is dead (killed) are
 * removed first: they are never reused.
 */
static char *staging_path(const char *dest, const struct logger *lg, struct lerr *err)
{
	char *copy1 = xstrdup(dest);
	char *copy2 = xstrdup(dest);
	char *parent = realpath(dirname(copy1), NULL);
	char *result = NULL;

	if (parent == NULL)
		lerr_sys(err, "cannot use '%s'", dest);
	else {
		leftover_sweep(parent, leftover_match_staging, basename(copy2), "extract", lg, NULL);
		result = xasprintf("%s/.%s.lading-staging.%ld", parent, basename(copy2), (long)getpid());
	}
	free(parent);
	free(copy1);
	free(copy2);
	return result;
}

static int sync_fd(int fd, const char *path, struct lerr *err)
{
	if (fsync(fd) != 0 && errno != EINVAL)
		return lerr_sys(err, "cannot sync '%s'", path);
	return 0;
}

/*
 * fsync every file and directory under the staging directory (fd, path), so
 * that after the rename the tree is on disk, not only the name.
 */
static int sync_tree(int fd, const char *path, int depth, struct lerr *err)
{
	DIR *dir;
	struct dirent *de;
	int dup_fd, r = 0;

	if (depth > 64)
		return lerr_set(err, LADING_ERR_SYSTEM, "'%s': directories nested too deep to sync", path);
	if ((dup_fd = dup(fd)) < 0)
		return lerr_sys(err, "cannot sync '%s'", path);
	if ((dir = fdopendir(dup_fd)) == NULL) {
		close(dup_fd);
		return lerr_sys(err, "cannot sync '%s'", path);
	}
	while (r == 0 && (de = readdir(dir)) != NULL) {
		struct stat st;
		char *child_path;
		int child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			continue;
		child_path = xasprintf("%s/%s", path, de->d_name);
		child = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (child < 0)
			r = lerr_sys(err, "cannot sync '%s'", child_path);
		else {
			r = S_ISDIR(st.st_mode) ? sync_tree(child, child_path, depth + 1, err)
						: sync_fd(child, child_path, err);
			close(child);
		}
		free(child_path);
	}
	closedir(dir);
	return r != 0 ? r : sync_fd(fd, path, err);
}

static int sync_parent(const char *path, struct lerr *err)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd >= 0) {
		r = sync_fd(fd, path, err);
		close(fd);
	}
	free(copy);
	return r;
}

/* libarchive says "Write failed"; the system's reason (a full disk) is what the user can act on. */
static int disk_fail(struct extractor *x, const char *name, struct lerr *err)
{
	int code = archive_errno(x->disk);

	return lerr_set(err, LADING_ERR_SYSTEM, "cannot extract '%s' into '%s': %s%s%s", name, x->staging,
			archive_error_string(x->disk) ? archive_error_string(x->disk) : "unknown error",
			code > 0 ? ": " : "", code > 0 ? strerror(code) : "");
}

static int disk_header(struct extractor *x, const char *name, int is_dir, uint64_t size, struct lerr *err)
{
	struct archive_entry *e = archive_entry_new();
	char *full = xasprintf("%s/%s", x->staging, name);
	int r = 0;

	archive_entry_set_pathname(e, full);
	archive_entry_set_filetype(e, is_dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, is_dir ? 0755 : 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	if (archive_write_header(x->disk, e) != ARCHIVE_OK)
		r = disk_fail(x, name, err);
	archive_entry_free(e);
	free(full);
	return r;
}

static int disk_data(struct extractor *x, const char *name, const void *data, size_t len, struct lerr *err)
{
	if (archive_write_data(x->disk, data, len) != (la_ssize_t)len)
		return disk_fail(x, name, err);
	return 0;
}

static int extract_file(struct extractor *x, struct bundle_reader *r, const struct bundle_entry *row,
			struct progress *progress, struct lerr *err)
{
	ssize_t got;

	if (disk_header(x, row->path, 0, row->size, err) != 0)
		return -1;
	while ((got = bundle_reader_read(r, x->chunk, CHUNK, err)) > 0) {
		if (disk_data(x, row->path, x->chunk, (size_t)got, err) != 0)
			return -1;
		progress_add(progress, (uint64_t)got);
	}
	if (got < 0)
		return -1;
	if (archive_write_finish_entry(x->disk) != ARCHIVE_OK)
		return disk_fail(x, row->path, err);
	return 0;
}

static int extract_head(struct extractor *x, struct bundle_reader *r, const struct bundle_extract_opts *opts,
			struct lerr *err)
{
	const char *json, *sig;
	size_t json_len, sig_len;

	bundle_reader_head(r, &json, &json_len, &sig, &sig_len);
	if (opts->head != NULL &&
	    opts->head(opts->head_ctx, json, json_len, sig, sig_len, bundle_reader_manifest(r), err) != 0)
		return -1;
	if (disk_header(x, BUNDLE_MANIFEST_NAME, 0, json_len, err) != 0 ||
	    disk_data(x, BUNDLE_MANIFEST_NAME, json, json_len, err) != 0)
		return -1;
	if (sig != NULL && (disk_header(x, BUNDLE_SIGNATURE_NAME, 0, sig_len, err) != 0 ||
			    disk_data(x, BUNDLE_SIGNATURE_NAME, sig, sig_len, err) != 0))
		return -1;
	return 0;
}

static int extract_all(struct extractor *x, struct bundle_reader *r, const struct bundle_extract_opts *opts,
		       struct lerr *err)
{
	const struct bundle_manifest *m = bundle_reader_manifest(r);
	const struct bundle_entry *row;
	const char *name;
	struct progress progress;
	uint64_t total = 0;
	size_t i;
	int rc;

	if (extract_head(x, r, opts, err) != 0)
		return -1;
	for (i = 0; i < m->entry_count; i++)
		total += m->entries[i].size;
	progress_start(&progress, opts->lg, "extracting", total);
	while ((rc = bundle_reader_next(r, &row, &name, err)) == 1) {
		if (row == NULL)
			rc = disk_header(x, name, 1, 0, err);
		else if ((rc = extract_file(x, r, row, &progress, err)) == 0)
			log_msg(opts->lg, LOG_VERBOSE, "%s: ok", row->path);
		if (rc != 0)
			return -1;
	}
	if (rc != 0)
		return -1;
	progress_end(&progress);
	return 0;
}

/* The base must be the very bundle the delta names: its lading.json bytes have that sha256. */
static int check_base_head(struct bundle_reader *base, const char *base_path, const struct bundle_manifest *delta,
			   struct lerr *err)
{
	const char *json, *sig;
	size_t json_len, sig_len;
	char hex[SHA256_HEX_LEN + 1];

	bundle_reader_head(base, &json, &json_len, &sig, &sig_len);
	sha256_hex(json, json_len, hex);
	if (strcmp(delta->base_digest + 7, hex) != 0)
		return lerr_set(err, LADING_ERR_USAGE,
				"%s is not the base of this delta: its lading.json is sha256:%s, the delta's base is "
				"'%s' (%s)",
				base_path, hex, delta->base_name, delta->base_digest);
	return 0;
}

/*
 * Writes the entries a delta leaves to its base, read from the base: each is
 * checked by the base's reader against the base's lading.json (pinned by the
 * delta's signed digest of it) and must have the sha256 the delta lists.
 */
static int extract_base(struct extractor *x, const char *base_path, const struct bundle_manifest *delta,
			const struct bundle_extract_opts *opts, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	const struct bundle_entry *row, *want;
	const char *name;
	struct progress progress;
	size_t needed = 0, done = 0, i;
	uint64_t total = 0;
	int rc = -1;

	for (i = 0; i < delta->entry_count; i++)
		if (delta->entries[i].in_base) {
			needed++;
			total += delta->entries[i].size;
		}
	if (bundle_reader_open(&r, base_path, err) != 0)
		return -1;
	if (check_base_head(r, base_path, delta, err) != 0)
		goto out;
	progress_start(&progress, opts->lg, "extracting from the base", total);
	while ((rc = bundle_reader_next(r, &row, &name, err)) == 1) {
		rc = 0;
		if (row == NULL || (want = bundle_manifest_find(delta, row->path)) == NULL || !want->in_base)
			continue;
		if (strcmp(want->sha256, row->sha256) != 0 || want->size != row->size) {
			rc = lerr_set(err, LADING_ERR_SIGNATURE, "%s: %s has sha256 %s, the delta lists %s", base_path,
				      row->path, row->sha256, want->sha256);
			break;
		}
		if ((rc = extract_file(x, r, row, &progress, err)) != 0)
			break;
		done++;
	}
	if (rc != 0)
		goto out;
	progress_end(&progress);
	if (done != needed) {
		for (i = 0; i < delta->entry_count; i++)
			if (delta->entries[i].in_base &&
			    bundle_manifest_find(bundle_reader_manifest(r), delta->entries[i].path) == NULL)
				break;
		rc = lerr_set(err, LADING_ERR_SIGNATURE, "%s lacks %s, which the delta leaves to it", base_path,
			      i < delta->entry_count ? delta->entries[i].path : "an entry");
		goto out;
	}
	log_msg(opts->lg, LOG_VERBOSE, "%s: %zu entries taken from the base", base_path, done);
	rc = 0;
out:
	bundle_reader_close(r);
	return rc;
}

int bundle_extract(const char *path, const char *dest_dir, const struct bundle_extract_opts *opts, struct lerr *err)
{
	struct bundle_reader *r = NULL;
	struct extractor x;
	struct lerr ignored;
	int r_ok = -1;

	memset(&x, 0, sizeof(x));
	x.staging_lock = -1;
	if (dest_usable(dest_dir, err) != 0)
		return -1;
	if (bundle_reader_open(&r, path, err) != 0)
		return -1;
	if ((x.staging = staging_path(dest_dir, opts->lg, err)) == NULL)
		goto out;
	if (mkdir(x.staging, 0755) != 0) {
		lerr_sys(err, "cannot create '%s'", x.staging);
		free(x.staging);
		x.staging = NULL;
		goto out;
	}
	if ((x.staging_lock = leftover_lock_path(x.staging, err)) < 0)
		goto out;
	x.chunk = xmalloc(CHUNK);
	x.disk = archive_write_disk_new();
	if (archive_write_disk_set_options(x.disk, DISK_FLAGS) != ARCHIVE_OK) {
		disk_fail(&x, "options", err);
		goto out;
	}
	if (extract_all(&x, r, opts, err) != 0)
		goto out;
	if (bundle_reader_manifest(r)->base_digest != NULL && opts->base == NULL && !opts->stored_only) {
		lerr_set(err, LADING_ERR_USAGE, "%s is a delta on '%s' (%s): give that bundle with --base", path,
			 bundle_reader_manifest(r)->base_name, bundle_reader_manifest(r)->base_digest);
		goto out;
	}
	if (bundle_reader_manifest(r)->base_digest != NULL && opts->base != NULL &&
	    extract_base(&x, opts->base, bundle_reader_manifest(r), opts, err) != 0)
		goto out;
	if (archive_write_close(x.disk) != ARCHIVE_OK) {
		disk_fail(&x, dest_dir, err);
		goto out;
	}
	if (sync_tree(x.staging_lock, x.staging, 0, err) != 0)
		goto out;
	/* rename(2) replaces an empty directory, so an existing empty dest_dir is fine. */
	if (rename(x.staging, dest_dir) != 0) {
		lerr_sys(err, "cannot rename '%s' to '%s'", x.staging, dest_dir);
		goto out;
	}
	free(x.staging);
	x.staging = NULL;
	if (sync_parent(dest_dir, err) != 0)
		goto out;
	r_ok = 0;
out:
	if (x.staging_lock >= 0)
		close(x.staging_lock);
	if (x.disk != NULL)
		archive_write_free(x.disk);
	if (x.staging != NULL)
		fs_remove_tree(x.staging, &ignored);
	free(x.staging);
	free(x.chunk);
	bundle_reader_close(r);
	return r_ok;
}
