/*
 * The OCI image layout behind the registry API (see catalog.h). All lookups
 * go through jansson objects built at load time; nothing from a request is
 * ever turned into a path except a validated 64-hex digest.
 */
#define _GNU_SOURCE
#include "catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "bundle/format/view.h"

/* Caps for the JSON files read at load (manifests are small; index.json lists images). */
#define CATALOG_INDEX_MAX (64u << 20)
#define CATALOG_MANIFEST_MAX (4u << 20)
#define CATALOG_DEPTH_MAX 4

#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"
/* The upstream index an image's top level came from (bundle/layout.h): served by its digest too. */
#define UPSTREAM_ANNOTATION "io.lading.upstream-index"

struct serve_catalog {
	const struct bundle_view *bf; /* served from this bundle file, or NULL for a directory */
	int blobs_fd;		      /* oci/blobs/sha256, O_DIRECTORY; -1 with bf */
	char *blobs_dir;	      /* for messages */
	int verify_blobs;	      /* hash every blob at load (a directory nobody verified) */
	json_t *repos;		      /* name -> {"tags": {tag: digest}, "refs": {digest: size}} */
	json_t *manifests;	      /* digest -> media type */
	json_t *blob_sizes;	      /* digest -> size, every referenced digest */
	size_t images;
};

static int blob_append(void *ctx, const void *data, size_t len, struct lerr *err)
{
	return buf_add(ctx, data, len, err);
}

static int blob_read_small(struct serve_catalog *cat, const char *digest, struct buf *b, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];
	struct serve_blob blob;
	uint64_t size;
	int fd = -1, r = -1;
	ssize_t got;
	char chunk[16384];

	if (serve_catalog_blob(cat, digest, &blob, err) != 0)
		return -1;
	fd = blob.fd;
	size = blob.size;
	if (size > CATALOG_MANIFEST_MAX) {
		lerr_set(err, LADING_ERR_LIMIT, "manifest %s in '%s': larger than %u bytes", digest, cat->blobs_dir,
			 CATALOG_MANIFEST_MAX);
		goto out;
	}
	/* From a bundle file the entry is checked chunk by chunk against lading.json as it is read. */
	if (fd < 0 && bundle_view_read_range(blob.bf, blob.entry, 0, size, blob_append, b, err) != 0)
		goto out;
	while (fd >= 0 && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lerr_sys(err, "cannot read manifest %s in '%s'", digest, cat->blobs_dir);
			goto out;
		}
		if (buf_add(b, chunk, (size_t)got, err) != 0)
			goto out;
	}
	sha256_hex(b->data ? b->data : "", b->len, hex);
	if (strcmp(hex, digest + 7) != 0) {
		lerr_set(err, LADING_ERR_SIGNATURE,
			 "manifest %s in '%s': content has digest sha256:%s; the layout is damaged", digest,
			 cat->blobs_dir, hex);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Streams the blob in fd through sha256 and compares it with its name. */
static int blob_check_digest(struct serve_catalog *cat, const char *digest, int fd, struct lerr *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (sha256_fd(fd, digest, hex, NULL, err) != 0)
		return -1;
	if (strcmp(hex, digest + 7) != 0)
		return lerr_set(err, LADING_ERR_SIGNATURE,
				"blob %s in '%s': content has digest sha256:%s; the layout is damaged or was altered",
				digest, cat->blobs_dir, hex);
	return 0;
}

/*
 * Records a referenced blob after checking it exists with the size its
 * descriptor claims, and its digest when the catalog verifies blobs.
 */
static int add_blob(struct serve_catalog *cat, json_t *refs, json_t *desc, const char *parent, struct lerr *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *want = json_object_get(desc, "size");
	struct serve_blob blob;
	uint64_t size;
	int fd;

	if (digest == NULL || !digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "manifest %s: a descriptor has no valid sha256 digest", parent);
	if (serve_catalog_blob(cat, digest, &blob, err) != 0)
		return lerr_prefix(err, "manifest %s", parent);
	fd = blob.fd;
	size = blob.size;
	if (json_is_integer(want) && (json_int_t)size != json_integer_value(want)) {
		if (fd >= 0)
			close(fd);
		return lerr_set(err, LADING_ERR_SIGNATURE, "blob %s: %llu bytes on disk, %lld in manifest %s", digest,
				(unsigned long long)size, (long long)json_integer_value(want), parent);
	}
	/* a blob shared by several manifests is hashed once */
	if (fd >= 0 && cat->verify_blobs && json_object_get(cat->blob_sizes, digest) == NULL &&
	    blob_check_digest(cat, digest, fd, err) != 0) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	json_object_set_new(refs, digest, json_integer((json_int_t)size));
	json_object_set_new(cat->blob_sizes, digest, json_integer((json_int_t)size));
	return 0;
}

static int add_manifest(struct serve_catalog *cat, json_t *refs, json_t *desc, int depth, int partial,
			struct lerr *err);

/* True when the blob a descriptor names is in the layout (an upstream index may name absent ones). */
static int blob_present(const struct serve_catalog *cat, json_t *desc)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	struct stat st;

	struct serve_blob blob;
	struct lerr ignored;

	if (cat->bf != NULL)
		return digest != NULL && serve_catalog_blob(cat, digest, &blob, &ignored) == 0;
	return digest != NULL && digest_is_sha256(digest) &&
	       fstatat(cat->blobs_fd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int add_manifest_children(struct serve_catalog *cat, json_t *refs, json_t *doc, const char *digest, int depth,
				 int partial, struct lerr *err)
{
	json_t *children = json_object_get(doc, "manifests"), *layers, *item;
	size_t i;

	if (json_is_array(children)) {
		json_array_foreach(children, i, item)
		{
			if (partial && !blob_present(cat, item))
				continue; /* a platform the bundle does not carry */
			if (add_manifest(cat, refs, item, depth + 1, partial, err) != 0)
				return -1;
		}
		return 0;
	}
	item = json_object_get(doc, "config");
	layers = json_object_get(doc, "layers");
	if (!json_is_object(item) || !json_is_array(layers))
		return lerr_set(err, LADING_ERR_FORMAT, "manifest %s: neither an index nor an image manifest", digest);
	if (add_blob(cat, refs, item, digest, err) != 0)
		return -1;
	json_array_foreach(layers, i, item) if (add_blob(cat, refs, item, digest, err) != 0) return -1;
	return 0;
}

static int add_manifest(struct serve_catalog *cat, json_t *refs, json_t *desc, int depth, int partial, struct lerr *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *media_type = json_string_value(json_object_get(desc, "mediaType"));
	struct buf body = BUF_INIT(CATALOG_MANIFEST_MAX);
	json_t *doc = NULL, *own_type;
	json_error_t jerr;
	int r = -1;

	if (depth > CATALOG_DEPTH_MAX)
		return lerr_set(err, LADING_ERR_FORMAT, "manifest %s: indexes nested deeper than %d", digest,
				CATALOG_DEPTH_MAX);
	if (digest == NULL || !digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "'%s': a manifest descriptor has no valid sha256 digest",
				cat->blobs_dir);
	if (blob_read_small(cat, digest, &body, err) != 0)
		goto out;
	doc = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (!json_is_object(doc)) {
		lerr_set(err, LADING_ERR_FORMAT, "manifest %s: invalid JSON: %s", digest, jerr.text);
		goto out;
	}
	/* The Content-Type served must be the manifest's own mediaType (OCI image spec §Image Manifest). */
	own_type = json_object_get(doc, "mediaType");
	if (json_is_string(own_type))
		media_type = json_string_value(own_type);
	if (media_type == NULL)
		media_type = json_is_array(json_object_get(doc, "manifests"))
				 ? "application/vnd.oci.image.index.v1+json"
				 : "application/vnd.oci.image.manifest.v1+json";
	json_object_set_new(cat->manifests, digest, json_string(media_type));
	json_object_set_new(refs, digest, json_integer((json_int_t)body.len));
	json_object_set_new(cat->blob_sizes, digest, json_integer((json_int_t)body.len));
	r = add_manifest_children(cat, refs, doc, digest, depth, partial, err);
out:
	json_decref(doc);
	buf_free(&body);
	return r;
}

static json_t *repo_entry(struct serve_catalog *cat, const char *name)
{
	json_t *repo = json_object_get(cat->repos, name);

	if (repo == NULL) {
		repo = json_pack("{s:{},s:{}}", "tags", "refs");
		json_object_set_new(cat->repos, name, repo);
	}
	return repo;
}

/*
 * The upstream index of a subset of platforms: served under its own digest
 * with the carried children, so a pull by that digest works for them. The tag
 * stays on the top level (every child present), which any client can copy whole.
 */
static int add_upstream(struct serve_catalog *cat, json_t *refs, json_t *desc, struct lerr *err)
{
	const char *digest =
	    json_string_value(json_object_get(json_object_get(desc, "annotations"), UPSTREAM_ANNOTATION));
	json_t *up;
	int r;

	if (digest == NULL)
		return 0;
	if (!digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "index.json: %s '%s' is not a sha256 digest",
				UPSTREAM_ANNOTATION, digest);
	up = json_pack("{s:s}", "digest", digest);
	r = add_manifest(cat, refs, up, 0, 1, err);
	json_decref(up);
	return r;
}

static int add_image(struct serve_catalog *cat, json_t *desc, const struct naming_opts *naming, struct lerr *err)
{
	const char *ref = json_string_value(json_object_get(json_object_get(desc, "annotations"), REF_NAME_ANNOTATION));
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	struct naming_target target = {NULL, NULL, ""};
	json_t *repo, *tags, *old;
	int r = -1;

	if (ref == NULL)
		return 1; /* not an image the bundle named: nothing to serve it under */
	if (naming_map(ref, naming, &target, err) != 0)
		return -1;
	if (digest == NULL || !digest_is_sha256(digest)) {
		lerr_set(err, LADING_ERR_FORMAT, "image %s: index.json descriptor has no valid sha256 digest", ref);
		goto out;
	}
	repo = repo_entry(cat, target.repository);
	tags = json_object_get(repo, "tags");
	if (target.tag != NULL) {
		old = json_object_get(tags, target.tag);
		if (old != NULL && strcmp(json_string_value(old), digest) != 0) {
			lerr_set(err, LADING_ERR_USAGE,
				 "image %s: %s:%s is already taken by another image; use --keep-host or --prefix to "
				 "tell them apart",
				 ref, target.repository, target.tag);
			goto out;
		}
		json_object_set_new(tags, target.tag, json_string(digest));
	}
	if (add_manifest(cat, json_object_get(repo, "refs"), desc, 0, 0, err) != 0 ||
	    add_upstream(cat, json_object_get(repo, "refs"), desc, err) != 0) {
		lerr_prefix(err, "image %s", ref);
		goto out;
	}
	cat->images++;
	r = 0;
out:
	naming_target_free(&target);
	return r;
}

static int load_index(struct serve_catalog *cat, const char *oci_dir, const struct naming_opts *naming,
		      const struct logger *lg, struct lerr *err)
{
	char *path = xasprintf("%s/index.json", oci_dir);
	struct buf body = BUF_INIT(CATALOG_INDEX_MAX);
	json_t *index = NULL, *desc;
	json_error_t jerr;
	size_t i;
	int r = -1, added;

	if (cat->bf != NULL ? bundle_view_read_all(cat->bf, "oci/index.json", CATALOG_INDEX_MAX, &body, err)
			    : fs_read_file(path, &body, err))
		goto out;
	index = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
	if (index == NULL) {
		lerr_set(err, LADING_ERR_FORMAT, "%s:%d:%d: not an OCI image index: %s", path, jerr.line, jerr.column,
			 jerr.text);
		goto out;
	}
	if (!json_is_array(json_object_get(index, "manifests"))) {
		/* valid JSON: jansson has no position to give */
		lerr_set(err, LADING_ERR_FORMAT, "%s: not an OCI image index: no manifests array", path);
		goto out;
	}
	json_array_foreach(json_object_get(index, "manifests"), i, desc)
	{
		added = add_image(cat, desc, naming, err);
		if (added < 0)
			goto out;
		if (added > 0)
			log_msg(lg, LOG_WARN, "%s: manifest %zu has no %s annotation: not served", path, i,
				REF_NAME_ANNOTATION);
	}
	r = 0;
out:
	json_decref(index);
	buf_free(&body);
	free(path);
	return r;
}

int serve_catalog_load(const char *oci_dir, const struct naming_opts *naming, int verify_blobs, const struct logger *lg,
		       struct serve_catalog **out, struct lerr *err)
{
	struct serve_catalog *cat = xcalloc(1, sizeof(*cat));

	cat->verify_blobs = verify_blobs;
	cat->blobs_dir = xasprintf("%s/blobs/sha256", oci_dir);
	cat->repos = json_object();
	cat->manifests = json_object();
	cat->blob_sizes = json_object();
	cat->blobs_fd = open(cat->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cat->blobs_fd < 0) {
		lerr_sys(err, "cannot open '%s' (is '%s' an OCI image layout?)", cat->blobs_dir, oci_dir);
		goto fail;
	}
	if (load_index(cat, oci_dir, naming, lg, err) != 0)
		goto fail;
	*out = cat;
	return 0;
fail:
	serve_catalog_free(cat);
	return -1;
}

int serve_catalog_load_bundle(const struct bundle_view *bf, const struct naming_opts *naming, const struct logger *lg,
			      struct serve_catalog **out, struct lerr *err)
{
	struct serve_catalog *cat = xcalloc(1, sizeof(*cat));
	char *oci = xasprintf("%s: oci", bundle_view_path(bf));

	cat->bf = bf;
	cat->blobs_fd = -1;
	cat->blobs_dir = xasprintf("%s/blobs/sha256", oci);
	cat->repos = json_object();
	cat->manifests = json_object();
	cat->blob_sizes = json_object();
	if (load_index(cat, oci, naming, lg, err) != 0) {
		serve_catalog_free(cat);
		cat = NULL;
	}
	free(oci);
	*out = cat;
	return cat != NULL ? 0 : -1;
}

void serve_catalog_free(struct serve_catalog *cat)
{
	if (cat == NULL)
		return;
	if (cat->blobs_fd >= 0)
		close(cat->blobs_fd);
	json_decref(cat->repos);
	json_decref(cat->manifests);
	json_decref(cat->blob_sizes);
	free(cat->blobs_dir);
	free(cat);
}

void serve_catalog_stats(const struct serve_catalog *cat, struct serve_catalog_stats *stats)
{
	const char *digest;
	json_t *size;

	memset(stats, 0, sizeof(*stats));
	stats->images = cat->images;
	stats->repositories = json_object_size(cat->repos);
	stats->blobs = json_object_size(cat->blob_sizes);
	json_object_foreach(cat->blob_sizes, digest, size) stats->bytes += (uint64_t)json_integer_value(size);
}

int serve_catalog_has_repo(const struct serve_catalog *cat, const char *repo)
{
	return json_object_get(cat->repos, repo) != NULL;
}

const char *serve_catalog_tag(const struct serve_catalog *cat, const char *repo, const char *tag)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(cat->repos, repo), "tags"), tag));
}

int serve_catalog_blob_in_repo(const struct serve_catalog *cat, const char *repo, const char *digest)
{
	return json_object_get(json_object_get(json_object_get(cat->repos, repo), "refs"), digest) != NULL;
}

const char *serve_catalog_manifest_type(const struct serve_catalog *cat, const char *repo, const char *digest)
{
	if (!serve_catalog_blob_in_repo(cat, repo, digest))
		return NULL;
	return json_string_value(json_object_get(cat->manifests, digest));
}

int serve_catalog_open_blob(const struct serve_catalog *cat, const char *digest, int *fd, uint64_t *size,
			    struct lerr *err)
{
	struct stat st;
	int opened;

	if (!digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is not a sha256 digest", digest);
	/* The only path ever built from outside input: 64 validated hex digits, no '/', no '..'. */
	opened = openat(cat->blobs_fd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (opened < 0)
		return lerr_set(err, LADING_ERR_NOTFOUND, "blob %s: not in '%s': %s", digest, cat->blobs_dir,
				strerror(errno));
	if (fstat(opened, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(opened);
		return lerr_set(err, LADING_ERR_NOTFOUND, "blob %s in '%s': not a regular file", digest,
				cat->blobs_dir);
	}
	*fd = opened;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char **sorted_keys(json_t *object, size_t *count)
{
	const char **names = xcalloc(json_object_size(object) + 1, sizeof(*names));
	const char *key;
	json_t *value;
	size_t n = 0;

	json_object_foreach(object, key, value) names[n++] = key;
	qsort(names, n, sizeof(*names), compare_names);
	*count = n;
	return names;
}

const char **serve_catalog_repo_names(const struct serve_catalog *cat, size_t *count)
{
	return sorted_keys(cat->repos, count);
}

const char **serve_catalog_tag_names(const struct serve_catalog *cat, const char *repo, size_t *count)
{
	return sorted_keys(json_object_get(json_object_get(cat->repos, repo), "tags"), count);
}

int serve_catalog_blob(const struct serve_catalog *cat, const char *digest, struct serve_blob *b, struct lerr *err)
{
	char path[sizeof("oci/blobs/sha256/") + SHA256_HEX_LEN];

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (cat->bf == NULL)
		return serve_catalog_open_blob(cat, digest, &b->fd, &b->size, err);
	if (!digest_is_sha256(digest))
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is not a sha256 digest", digest);
	snprintf(path, sizeof(path), "oci/blobs/sha256/%s", digest + 7);
	b->bf = cat->bf;
	b->entry = bundle_view_find(cat->bf, path);
	if (b->entry == NULL)
		return lerr_set(err, LADING_ERR_NOTFOUND, "blob %s: not in '%s'", digest, cat->blobs_dir);
	b->size = b->entry->size;
	return 0;
}
