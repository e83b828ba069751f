/* lading.lock: a small sorted JSON map from reference to digest. */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/lock.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

char *bundle_lock_path(const char *spec_path)
{
	char *copy = xstrdup(spec_path);
	char *path = xasprintf("%s/%s", dirname(copy), BUNDLE_LOCK_NAME);

	free(copy);
	return path;
}

const char *bundle_lock_find(const struct bundle_lock *lock, const char *ref)
{
	size_t i;

	for (i = 0; i < lock->count; i++)
		if (strcmp(lock->images[i].ref, ref) == 0)
			return lock->images[i].digest;
	return NULL;
}

void bundle_lock_set(struct bundle_lock *lock, const char *ref, const char *digest)
{
	size_t i;

	for (i = 0; i < lock->count; i++)
		if (strcmp(lock->images[i].ref, ref) == 0) {
			free(lock->images[i].digest);
			lock->images[i].digest = xstrdup(digest);
			return;
		}
	lock->images = grow_array(lock->images, lock->count, sizeof(*lock->images));
	lock->images[lock->count].ref = xstrdup(ref);
	lock->images[lock->count].digest = xstrdup(digest);
	lock->count++;
}

static int parse_lock(const char *path, json_t *root, struct bundle_lock *lock, struct lerr *err)
{
	json_t *version = json_object_get(root, "lock_version");
	json_t *images = json_object_get(root, "images");
	size_t i;

	if (!json_is_integer(version) || json_integer_value(version) != BUNDLE_LOCK_VERSION)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: unsupported lock_version (this lading writes %d)", path,
				BUNDLE_LOCK_VERSION);
	if (!json_is_array(images))
		return lerr_set(err, LADING_ERR_FORMAT, "%s: 'images' must be a list", path);
	for (i = 0; i < json_array_size(images); i++) {
		json_t *item = json_array_get(images, i);
		const char *ref = json_string_value(json_object_get(item, "ref"));
		const char *digest = json_string_value(json_object_get(item, "digest"));

		if (ref == NULL || digest == NULL || !digest_is_sha256(digest))
			return lerr_set(err, LADING_ERR_FORMAT,
					"%s: images[%zu] needs 'ref' and a 'digest' like sha256:<64 hex> (delete the "
					"file to re-resolve)",
					path, i);
		if (bundle_lock_find(lock, ref) != NULL)
			return lerr_set(err, LADING_ERR_FORMAT, "%s: '%s' is locked twice", path, ref);
		bundle_lock_set(lock, ref, digest);
	}
	return 0;
}

int bundle_lock_load(const char *path, int must_exist, struct bundle_lock *out, struct lerr *err)
{
	struct buf text = BUF_INIT(BUNDLE_LOCK_MAX);
	struct bundle_lock lock = {NULL, 0};
	json_error_t jerr;
	json_t *root = NULL;
	int r = -1;

	if (!fs_exists(path) && !must_exist) {
		*out = lock;
		return 0;
	}
	if (fs_read_file(path, &text, err) != 0) {
		if (errno == ENOENT)
			lerr_recode(err, LADING_ERR_NOTFOUND);
		goto out;
	}
	if ((root = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (parse_lock(path, root, &lock, err) != 0)
		goto out;
	*out = lock;
	memset(&lock, 0, sizeof(lock));
	r = 0;
out:
	json_decref(root);
	buf_free(&text);
	bundle_lock_free(&lock);
	return r;
}

static int image_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bundle_lock_image *)a)->ref, ((const struct bundle_lock_image *)b)->ref);
}

int bundle_lock_save(const char *path, const struct bundle_lock *lock, struct lerr *err)
{
	struct bundle_lock_image *sorted = xcalloc(lock->count + 1, sizeof(*sorted));
	json_t *root = json_object();
	json_t *images = json_array();
	char *text = NULL;
	char *with_newline = NULL;
	size_t i;
	int r = -1;

	if (lock->count > 0) { /* a spec with only charts, providers or files locks no image */
		memcpy(sorted, lock->images, lock->count * sizeof(*sorted));
		qsort(sorted, lock->count, sizeof(*sorted), image_cmp);
	}
	for (i = 0; i < lock->count; i++)
		json_array_append_new(images,
				      json_pack("{s:s, s:s}", "ref", sorted[i].ref, "digest", sorted[i].digest));
	json_object_set_new(root, "lock_version", json_integer(BUNDLE_LOCK_VERSION));
	json_object_set_new(root, "images", images);
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s: cannot serialise the lock", path);
		goto out;
	}
	with_newline = xasprintf("%s\n", text);
	r = fs_write_file(path, with_newline, strlen(with_newline), 0644, err);
out:
	free(with_newline);
	free(text);
	free(sorted);
	json_decref(root);
	return r;
}

void bundle_lock_free(struct bundle_lock *lock)
{
	size_t i;

	if (lock == NULL)
		return;
	for (i = 0; i < lock->count; i++) {
		free(lock->images[i].ref);
		free(lock->images[i].digest);
	}
	free(lock->images);
	lock->images = NULL;
	lock->count = 0;
}
