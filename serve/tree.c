/* The per-directory allow-list of served files (see tree.h). */
#define _GNU_SOURCE
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

#include "lib/xmalloc.h"
#include "bundle/format/view.h"

/* Bounds for the walk: a bundle has thousands of files, not millions. */
#define TREE_DEPTH_MAX 32
#define TREE_FILES_MAX 1000000

struct serve_tree {
	const struct bundle_view *bf; /* the bundle file served from, or NULL for a directory */
	char *prefix;		      /* with bf: "files/" (entries' paths are prefix + rel) */
	int root_fd;		      /* the directory, O_DIRECTORY; -1 for an empty tree or with bf */
	char *root;		      /* for messages */
	json_t *files;		      /* relative path -> true */
};

static int walk(struct serve_tree *tree, int dir_fd, const char *rel, int depth, const struct logger *lg,
		struct lerr *err);

static int walk_entry(struct serve_tree *tree, int dir_fd, const char *rel, const char *name, int depth,
		      const struct logger *lg, struct lerr *err)
{
	char *path = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	struct stat st;
	int sub_fd, r = 0;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		r = lerr_sys(err, "cannot stat '%s/%s'", tree->root, path);
	} else if (S_ISREG(st.st_mode)) {
		if (json_object_size(tree->files) >= TREE_FILES_MAX)
			r = lerr_set(err, LADING_ERR_LIMIT, "'%s': more than %d files", tree->root, TREE_FILES_MAX);
		else
			json_object_set_new(tree->files, path, json_true());
	} else if (S_ISDIR(st.st_mode)) {
		sub_fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_fd < 0)
			r = lerr_sys(err, "cannot open '%s/%s'", tree->root, path);
		else
			r = walk(tree, sub_fd, path, depth + 1, lg, err); /* walk closes sub_fd */
	} else {
		log_msg(lg, LOG_WARN, "'%s/%s': not a regular file (symbolic link?): not served", tree->root, path);
	}
	free(path);
	return r;
}

/* Walks the directory open on dir_fd (and closes it). */
static int walk(struct serve_tree *tree, int dir_fd, const char *rel, int depth, const struct logger *lg,
		struct lerr *err)
{
	DIR *dir;
	struct dirent *entry;
	int r = 0;

	if (depth > TREE_DEPTH_MAX) {
		close(dir_fd);
		return lerr_set(err, LADING_ERR_LIMIT, "'%s/%s': directories nested deeper than %d", tree->root, rel,
				TREE_DEPTH_MAX);
	}
	dir = fdopendir(dir_fd);
	if (dir == NULL) {
		close(dir_fd);
		return lerr_sys(err, "cannot read directory '%s/%s'", tree->root, rel);
	}
	for (;;) {
		errno = 0;
		entry = readdir(dir);
		if (entry == NULL) {
			if (errno != 0)
				r = lerr_sys(err, "cannot read directory '%s/%s'", tree->root, rel);
			break;
		}
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if ((r = walk_entry(tree, dirfd(dir), rel, entry->d_name, depth, lg, err)) != 0)
			break;
	}
	closedir(dir);
	return r;
}

int serve_tree_load(const char *dir, const struct logger *lg, struct serve_tree **out, struct lerr *err)
{
	struct serve_tree *tree = xcalloc(1, sizeof(*tree));
	int walk_fd;

	tree->root = xstrdup(dir);
	tree->files = json_object();
	tree->root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tree->root_fd < 0 && errno != ENOENT) {
		lerr_sys(err, "cannot open directory '%s'", dir);
		goto fail;
	}
	if (tree->root_fd >= 0) {
		walk_fd = dup(tree->root_fd);
		if (walk_fd < 0) {
			lerr_sys(err, "cannot open directory '%s'", dir);
			goto fail;
		}
		if (walk(tree, walk_fd, "", 0, lg, err) != 0)
			goto fail;
	}
	*out = tree;
	return 0;
fail:
	serve_tree_free(tree);
	return -1;
}

int serve_tree_load_bundle(const struct bundle_view *bf, const char *part, struct serve_tree **out, struct lerr *err)
{
	const struct bundle_manifest *m = bundle_view_manifest(bf);
	struct serve_tree *tree = xcalloc(1, sizeof(*tree));
	size_t i, len;

	tree->bf = bf;
	tree->root_fd = -1;
	tree->prefix = xasprintf("%s/", part);
	tree->root = xasprintf("%s: %s", bundle_view_path(bf), part);
	tree->files = json_object();
	len = strlen(tree->prefix);
	/* lading.json's paths are checked (safe, unique, relative) when it is parsed. */
	for (i = 0; i < m->entry_count; i++) {
		if (strncmp(m->entries[i].path, tree->prefix, len) != 0 || m->entries[i].path[len] == '\0')
			continue;
		if (json_object_size(tree->files) >= TREE_FILES_MAX) {
			lerr_set(err, LADING_ERR_LIMIT, "'%s': more than %d files", tree->root, TREE_FILES_MAX);
			serve_tree_free(tree);
			return -1;
		}
		json_object_set_new(tree->files, m->entries[i].path + len, json_true());
	}
	*out = tree;
	return 0;
}

void serve_tree_free(struct serve_tree *tree)
{
	if (tree == NULL)
		return;
	free(tree->prefix);
	if (tree->root_fd >= 0)
		close(tree->root_fd);
	json_decref(tree->files);
	free(tree->root);
	free(tree);
}

size_t serve_tree_count(const struct serve_tree *tree)
{
	return json_object_size(tree->files);
}

int serve_tree_each(const struct serve_tree *tree, int (*fn)(void *ctx, const char *rel), void *ctx)
{
	const char *rel;
	json_t *value;
	int r;

	json_object_foreach(tree->files, rel, value)
	{
		(void)value;
		if ((r = fn(ctx, rel)) != 0)
			return r;
	}
	return 0;
}

int serve_tree_has(const struct serve_tree *tree, const char *rel)
{
	return json_object_get(tree->files, rel) != NULL;
}

/*
 * Opens rel under dir_fd without following any symbolic link on the way and
 * without leaving dir_fd (Linux openat2 RESOLVE_BENEATH): a directory swapped
 * for a link after the walk cannot lead outside. Elsewhere, or on kernels
 * before 5.6, falls back to openat with O_NOFOLLOW on the last element.
 */
static int open_beneath(int dir_fd, const char *rel)
{
#if defined(__linux__) && defined(SYS_openat2)
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
#endif
	return openat(dir_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

int serve_tree_open(const struct serve_tree *tree, const char *rel, int *fd, uint64_t *size, struct lerr *err)
{
	struct stat st;
	int opened;

	if (!serve_tree_has(tree, rel))
		return lerr_set(err, LADING_ERR_NOTFOUND, "'%s' is not served from '%s'", rel, tree->root);
	/* rel is a name the walk found itself, never request text that was not matched exactly. */
	opened = open_beneath(tree->root_fd, rel);
	if (opened < 0)
		return lerr_set(err, LADING_ERR_NOTFOUND, "cannot open '%s/%s': %s", tree->root, rel, strerror(errno));
	if (fstat(opened, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(opened);
		return lerr_set(err, LADING_ERR_NOTFOUND, "'%s/%s': not a regular file", tree->root, rel);
	}
	*fd = opened;
	*size = (uint64_t)st.st_size;
	return 0;
}

int serve_tree_blob(const struct serve_tree *tree, const char *rel, struct serve_blob *b, struct lerr *err)
{
	char *path;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (tree->bf == NULL)
		return serve_tree_open(tree, rel, &b->fd, &b->size, err);
	if (!serve_tree_has(tree, rel))
		return lerr_set(err, LADING_ERR_NOTFOUND, "'%s' is not served from '%s'", rel, tree->root);
	path = xasprintf("%s%s", tree->prefix, rel);
	b->bf = tree->bf;
	b->entry = bundle_view_find(tree->bf, path);
	free(path);
	if (b->entry == NULL)
		return lerr_set(err, LADING_ERR_NOTFOUND, "'%s' is not served from '%s'", rel, tree->root);
	b->size = b->entry->size;
	return 0;
}
