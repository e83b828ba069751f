/*
 * serve/catalog.c on OCI image layouts this test writes: what it serves
 * (repositories, tags, the blobs each repository may reach, media types),
 * what it refuses at load (damaged or incomplete layouts, clashing names),
 * and that a blob is only ever opened by a validated digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "serve/catalog.h"

#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_DOCKER "application/vnd.docker.distribution.manifest.v2+json"
#define REF_KEY "org.opencontainers.image.ref.name"

#define MAX_BLOBS 64

/* An OCI layout under construction: DIR/oci/{index.json,blobs/sha256/}. */
struct layout {
	char dir[64];
	char *oci;
	char *blobs;
	char *digests[MAX_BLOBS];
	size_t count;
	uint64_t bytes;	  /* every blob written */
	struct buf index; /* the manifests array being built */
};

/* What the standard layout holds (see make_standard). */
struct standard {
	const char *shared, *nginx_layer;
	const char *nginx127, *nginx128, *app_index, *app_amd64, *app_arm64, *app_amd64_layer, *app_config;
	size_t nginx127_len, app_index_len;
};

static int setup(void **state)
{
	struct layout *l = xcalloc(1, sizeof(*l));
	struct lerr err;

	snprintf(l->dir, sizeof(l->dir), "/tmp/lading-unit-catalog.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	l->oci = xasprintf("%s/oci", l->dir);
	l->blobs = xasprintf("%s/blobs/sha256", l->oci);
	assert_int_equal(fs_mkdir_p(l->blobs, &err), 0);
	buf_init(&l->index, 0);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	struct layout *l = *state;
	size_t i;

	fs_remove_tree(l->dir, NULL);
	for (i = 0; i < l->count; i++)
		free(l->digests[i]);
	buf_free(&l->index);
	free(l->blobs);
	free(l->oci);
	free(l);
	return 0;
}

/* Writes data as a blob (once); returns its "sha256:…" (owned by the layout). */
static const char *put_blob(struct layout *l, const char *data, size_t len)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	struct lerr err;
	size_t i;

	sha256_hex(data, len, hex);
	for (i = 0; i < l->count; i++)
		if (strcmp(l->digests[i] + 7, hex) == 0)
			return l->digests[i];
	assert_true(l->count < MAX_BLOBS);
	path = xasprintf("%s/%s", l->blobs, hex);
	assert_int_equal(fs_write_file(path, data, len, 0644, &err), 0);
	free(path);
	l->bytes += len;
	l->digests[l->count] = xasprintf("sha256:%s", hex);
	return l->digests[l->count++];
}

static const char *put_text(struct layout *l, const char *text)
{
	return put_blob(l, text, strlen(text));
}

/* An image manifest over a config and one or two layers (texts already stored); media_type NULL = none in the body. */
static const char *put_manifest(struct layout *l, const char *media_type, const char *config, const char *layer_a,
				const char *layer_b, size_t *len)
{
	static const char layer_fmt[] =
	    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}";
	struct buf b = BUF_INIT(0);
	const char *digest;

	/* Stored in this order (digests[0] config, [1] first layer ... in a fresh layout), which the tests rely on. */
	digest = put_text(l, config);
	buf_puts(&b, "{\"schemaVersion\":2,");
	if (media_type != NULL)
		buf_printf(&b, "\"mediaType\":\"%s\",", media_type);
	buf_printf(&b,
		   "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
		   "\"size\":%zu},\"layers\":[",
		   digest, strlen(config));
	digest = put_text(l, layer_a);
	buf_printf(&b, layer_fmt, digest, strlen(layer_a));
	if (layer_b != NULL) {
		digest = put_text(l, layer_b);
		buf_puts(&b, ",");
		buf_printf(&b, layer_fmt, digest, strlen(layer_b));
	}
	buf_puts(&b, "]}");
	digest = put_blob(l, b.data, b.len);
	if (len != NULL)
		*len = b.len;
	buf_free(&b);
	return digest;
}

/* Adds a descriptor to index.json; ref NULL = no ref.name annotation, media_type NULL = none. */
static void index_add(struct layout *l, const char *media_type, const char *digest, size_t size, const char *ref)
{
	if (l->index.len > 0)
		buf_puts(&l->index, ",");
	buf_printf(&l->index, "{\"digest\":\"%s\",\"size\":%zu", digest, size);
	if (media_type != NULL)
		buf_printf(&l->index, ",\"mediaType\":\"%s\"", media_type);
	if (ref != NULL)
		buf_printf(&l->index, ",\"annotations\":{\"%s\":\"%s\"}", REF_KEY, ref);
	buf_puts(&l->index, "}");
}

static void write_file(struct layout *l, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", l->oci, name);
	struct lerr err;

	assert_int_equal(fs_write_file(path, text, strlen(text), 0644, &err), 0);
	free(path);
}

static void write_index(struct layout *l)
{
	char *text = xasprintf("{\"schemaVersion\":2,\"manifests\":[%s]}", l->index.data ? l->index.data : "");

	write_file(l, "index.json", text);
	free(text);
}

/*
 * nginx 1.27 and 1.28 (sharing a layer; 1.28's body says it is a Docker
 * manifest), an app index with two platform manifests, and one descriptor
 * without a ref name (not served).
 */
static void make_standard(struct layout *l, struct standard *s)
{
	char *body;
	size_t amd64_len, arm64_len, len;

	s->nginx127 =
	    put_manifest(l, MEDIA_MANIFEST, "cfg nginx 1.27", "shared layer", "nginx 1.27 layer", &s->nginx127_len);
	s->nginx128 = put_manifest(l, MEDIA_DOCKER, "cfg nginx 1.28", "shared layer", "nginx 1.28 layer", &len);
	s->shared = put_text(l, "shared layer");
	s->nginx_layer = put_text(l, "nginx 1.27 layer");
	index_add(l, MEDIA_MANIFEST, s->nginx127, s->nginx127_len, "docker.io/library/nginx:1.27");
	index_add(l, MEDIA_MANIFEST, s->nginx128, len, "docker.io/library/nginx:1.28");

	s->app_amd64 = put_manifest(l, NULL, "cfg app", "app amd64 layer", NULL, &amd64_len);
	s->app_arm64 = put_manifest(l, NULL, "cfg app", "app arm64 layer", NULL, &arm64_len);
	s->app_config = put_text(l, "cfg app");
	s->app_amd64_layer = put_text(l, "app amd64 layer");
	body = xasprintf("{\"schemaVersion\":2,\"manifests\":["
			 "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
			 "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
			 "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
			 "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}",
			 MEDIA_MANIFEST, s->app_amd64, amd64_len, MEDIA_MANIFEST, s->app_arm64, arm64_len);
	s->app_index = put_text(l, body);
	s->app_index_len = strlen(body);
	free(body);
	/* No mediaType in the body nor in the descriptor: the shape says index. */
	index_add(l, NULL, s->app_index, s->app_index_len, "ghcr.io/team/app:1");
	index_add(l, MEDIA_MANIFEST, s->nginx127, s->nginx127_len, NULL);
	write_index(l);
}

static void assert_one_line(const struct lerr *err)
{
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
}

static struct serve_catalog *load_ok(struct layout *l, const struct naming_opts *naming, const struct logger *lg)
{
	struct serve_catalog *cat = NULL;
	struct lerr err;

	if (serve_catalog_load(l->oci, naming, 1, lg, &cat, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(cat);
	return cat;
}

/* Loading fails with code; returns the message (static) after checking it is one line. */
static const char *load_fails(struct layout *l, const struct naming_opts *naming, int code)
{
	static struct lerr err;
	struct serve_catalog *cat = NULL;

	lerr_clear(&err);
	assert_int_equal(serve_catalog_load(l->oci, naming, 1, NULL, &cat, &err), -1);
	assert_null(cat);
	assert_int_equal(err.code, code);
	assert_one_line(&err);
	return err.msg;
}

static void catalog_lists_every_repository_once(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;
	struct serve_catalog_stats stats;
	const char **names;
	size_t count = 99;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	names = serve_catalog_repo_names(cat, &count);
	assert_int_equal(count, 2);
	assert_string_equal(names[0], "library/nginx");
	assert_string_equal(names[1], "team/app");
	assert_null(names[2]);
	free(names);
	serve_catalog_stats(cat, &stats);
	assert_int_equal(stats.images, 3); /* the unnamed descriptor is not served */
	assert_int_equal(stats.repositories, 2);
	assert_int_equal(stats.blobs, l->count);
	assert_int_equal(stats.bytes, l->bytes);
	assert_true(serve_catalog_has_repo(cat, "library/nginx"));
	assert_false(serve_catalog_has_repo(cat, "library"));
	assert_false(serve_catalog_has_repo(cat, "docker.io/library/nginx"));
	serve_catalog_free(cat);
}

static void tags_point_to_their_manifests_and_list_sorted(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;
	const char **tags;
	size_t count = 99;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	assert_string_equal(serve_catalog_tag(cat, "library/nginx", "1.27"), s.nginx127);
	assert_string_equal(serve_catalog_tag(cat, "library/nginx", "1.28"), s.nginx128);
	assert_string_equal(serve_catalog_tag(cat, "team/app", "1"), s.app_index);
	assert_null(serve_catalog_tag(cat, "library/nginx", "1"));
	assert_null(serve_catalog_tag(cat, "team/app", "1.27"));
	assert_null(serve_catalog_tag(cat, "no/such", "1"));
	tags = serve_catalog_tag_names(cat, "library/nginx", &count);
	assert_int_equal(count, 2);
	assert_string_equal(tags[0], "1.27");
	assert_string_equal(tags[1], "1.28");
	assert_null(tags[2]);
	free(tags);
	tags = serve_catalog_tag_names(cat, "no/such", &count);
	assert_int_equal(count, 0);
	assert_null(tags[0]);
	free(tags);
	serve_catalog_free(cat);
}

static void a_repository_reaches_only_the_blobs_its_images_reference(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	assert_true(serve_catalog_blob_in_repo(cat, "library/nginx", s.shared));
	assert_true(serve_catalog_blob_in_repo(cat, "library/nginx", s.nginx127));
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", s.app_index));
	/* An index's children and their blobs belong to the index's repository. */
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", s.app_amd64));
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", s.app_arm64));
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", s.app_amd64_layer));
	assert_true(serve_catalog_blob_in_repo(cat, "team/app", s.app_config));
	/* ... and to no other. */
	assert_false(serve_catalog_blob_in_repo(cat, "library/nginx", s.app_amd64_layer));
	assert_false(serve_catalog_blob_in_repo(cat, "team/app", s.shared));
	assert_false(serve_catalog_blob_in_repo(cat, "team/app", s.nginx127));
	assert_false(serve_catalog_blob_in_repo(cat, "no/such", s.shared));
	serve_catalog_free(cat);
}

static void manifests_are_typed_by_their_own_media_type(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	assert_string_equal(serve_catalog_manifest_type(cat, "library/nginx", s.nginx127), MEDIA_MANIFEST);
	/* The body's mediaType wins over the descriptor's (OCI image spec: it is what the client verifies). */
	assert_string_equal(serve_catalog_manifest_type(cat, "library/nginx", s.nginx128), MEDIA_DOCKER);
	/* Neither says: an object with "manifests" is an index, anything else a manifest. */
	assert_string_equal(serve_catalog_manifest_type(cat, "team/app", s.app_index), MEDIA_INDEX);
	/* The index's descriptor of a child names the type the body leaves out. */
	assert_string_equal(serve_catalog_manifest_type(cat, "team/app", s.app_amd64), MEDIA_MANIFEST);
	/* Not a manifest (a layer, a config), or a manifest of another repository: none. */
	assert_null(serve_catalog_manifest_type(cat, "library/nginx", s.shared));
	assert_null(serve_catalog_manifest_type(cat, "team/app", s.app_config));
	assert_null(serve_catalog_manifest_type(cat, "team/app", s.nginx127));
	serve_catalog_free(cat);
}

static void descriptor_without_a_ref_name_is_skipped_with_a_warning(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;
	struct logger lg = {tmpfile(), LOG_WARN, 0, 0};
	char text[512] = "";
	char *want;
	size_t got;

	assert_non_null(lg.out);
	make_standard(l, &s);
	cat = load_ok(l, &naming, &lg);
	rewind(lg.out);
	got = fread(text, 1, sizeof(text) - 1, lg.out);
	text[got] = '\0';
	want =
	    xasprintf("lading: warning: %s/index.json: manifest 3 has no %s annotation: not served\n", l->oci, REF_KEY);
	assert_string_equal(text, want);
	free(want);
	fclose(lg.out);
	serve_catalog_free(cat);
}

static void prefix_and_keep_host_rename_repositories(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {"mirror/", 1};
	struct standard s;
	struct serve_catalog *cat;
	const char **names;
	size_t count;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	names = serve_catalog_repo_names(cat, &count);
	assert_int_equal(count, 2);
	assert_string_equal(names[0], "mirror/docker.io/library/nginx");
	assert_string_equal(names[1], "mirror/ghcr.io/team/app");
	free(names);
	assert_string_equal(serve_catalog_tag(cat, "mirror/docker.io/library/nginx", "1.27"), s.nginx127);
	assert_false(serve_catalog_has_repo(cat, "library/nginx"));
	serve_catalog_free(cat);
}

static void open_blob_takes_only_validated_digests(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;
	static const char *const bad[] = {
	    "sha256:../../../../etc/passwd",
	    "sha256:abc",
	    "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "",
	};
	char upper[DIGEST_STR_MAX], buffer[64];
	struct lerr err;
	uint64_t size = 0;
	size_t i;
	int fd = -1;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	assert_int_equal(serve_catalog_open_blob(cat, s.shared, &fd, &size, &err), 0);
	assert_int_equal(size, strlen("shared layer"));
	assert_int_equal(read(fd, buffer, sizeof(buffer)), (ssize_t)size);
	assert_memory_equal(buffer, "shared layer", size);
	close(fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = -1;
		assert_int_equal(serve_catalog_open_blob(cat, bad[i], &fd, &size, &err), -1);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		assert_int_equal(fd, -1);
		assert_one_line(&err);
	}
	snprintf(upper, sizeof(upper), "%s", s.shared);
	for (i = 7; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_int_equal(serve_catalog_open_blob(cat, upper, &fd, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	serve_catalog_free(cat);
}

static void open_blob_refuses_missing_links_and_directories(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct standard s;
	struct serve_catalog *cat;
	char zeros[DIGEST_STR_MAX], ones[DIGEST_STR_MAX], twos[DIGEST_STR_MAX];
	char *path, *target;
	struct lerr err;
	uint64_t size;
	int fd = -1;

	make_standard(l, &s);
	cat = load_ok(l, &naming, NULL);
	snprintf(zeros, sizeof(zeros), "sha256:%064d", 0);
	assert_int_equal(serve_catalog_open_blob(cat, zeros, &fd, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, zeros));
	assert_one_line(&err);

	/* A symbolic link in the blob directory is not followed, even to a real blob. */
	snprintf(ones, sizeof(ones), "sha256:%064d", 1);
	path = xasprintf("%s/%s", l->blobs, ones + 7);
	target = xasprintf("%s/%s", l->blobs, s.shared + 7);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(serve_catalog_open_blob(cat, ones, &fd, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_int_equal(fd, -1);
	free(path);
	free(target);

	snprintf(twos, sizeof(twos), "sha256:%064d", 2);
	path = xasprintf("%s/%s", l->blobs, twos + 7);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(serve_catalog_open_blob(cat, twos, &fd, &size, &err), -1);
	assert_int_equal(err.code, LADING_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(fd, -1);
	free(path);
	serve_catalog_free(cat);
}

static void same_ref_twice_for_one_image_is_fine(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct serve_catalog *cat;
	struct serve_catalog_stats stats;
	const char *m;
	size_t len;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	index_add(l, MEDIA_MANIFEST, m, len, "docker.io/library/nginx:1.27");
	index_add(l, MEDIA_MANIFEST, m, len, "nginx:1.27");
	write_index(l);
	cat = load_ok(l, &naming, NULL);
	serve_catalog_stats(cat, &stats);
	assert_int_equal(stats.repositories, 1);
	assert_int_equal(stats.blobs, 3);
	serve_catalog_free(cat);
}

static void two_images_on_one_name_are_refused(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0}, keep = {NULL, 1};
	struct serve_catalog *cat;
	const char *a, *b, *msg;
	size_t len_a, len_b;

	a = put_manifest(l, MEDIA_MANIFEST, "cfg a", "layer a", NULL, &len_a);
	b = put_manifest(l, MEDIA_MANIFEST, "cfg b", "layer b", NULL, &len_b);
	index_add(l, MEDIA_MANIFEST, a, len_a, "docker.io/team/app:1");
	index_add(l, MEDIA_MANIFEST, b, len_b, "ghcr.io/team/app:1");
	write_index(l);
	msg = load_fails(l, &naming, LADING_ERR_USAGE);
	assert_string_equal(msg, "image ghcr.io/team/app:1: team/app:1 is already taken by another image; use "
				 "--keep-host or --prefix to tell them apart");
	/* With the host kept they are two repositories. */
	cat = load_ok(l, &keep, NULL);
	assert_true(serve_catalog_has_repo(cat, "docker.io/team/app"));
	assert_true(serve_catalog_has_repo(cat, "ghcr.io/team/app"));
	serve_catalog_free(cat);
}

static void missing_layout_names_the_directory(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	char *want;
	const char *msg;

	fs_remove_tree(l->oci, NULL);
	msg = load_fails(l, &naming, LADING_ERR_SYSTEM);
	want =
	    xasprintf("cannot open '%s' (is '%s' an OCI image layout?): No such file or directory", l->blobs, l->oci);
	assert_string_equal(msg, want);
	free(want);
}

static void missing_or_malformed_index_is_refused(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct serve_catalog *cat = NULL;
	char *path = xasprintf("%s/index.json", l->oci);
	struct lerr err;
	const char *msg;

	/* No index.json at all. */
	assert_int_equal(serve_catalog_load(l->oci, &naming, 1, NULL, &cat, &err), -1);
	assert_null(cat);
	assert_non_null(strstr(err.msg, path));
	assert_one_line(&err);

	write_file(l, "index.json", "{\"manifests\": [");
	msg = load_fails(l, &naming, LADING_ERR_FORMAT);
	assert_int_equal(strncmp(msg, path, strlen(path)), 0);
	assert_non_null(strstr(msg, "not an OCI image index"));

	write_file(l, "index.json", "{\"schemaVersion\": 2}");
	msg = load_fails(l, &naming, LADING_ERR_FORMAT);
	assert_int_equal(strncmp(msg, path, strlen(path)), 0);
	assert_non_null(strstr(msg, "no manifests array"));
	assert_null(strstr(msg, "-1")); /* valid JSON has no error position to show */

	write_file(l, "index.json", "[]");
	load_fails(l, &naming, LADING_ERR_FORMAT);
	free(path);
}

static void bad_digest_in_index_names_the_image(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};

	index_add(l, MEDIA_MANIFEST, "sha256:abc", 10, "nginx:1");
	write_index(l);
	assert_string_equal(load_fails(l, &naming, LADING_ERR_FORMAT),
			    "image nginx:1: index.json descriptor has no valid sha256 digest");
}

static void unmappable_ref_name_is_refused(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	const char *m;
	size_t len;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	index_add(l, MEDIA_MANIFEST, m, len, "Not A Ref::");
	write_index(l);
	assert_non_null(strstr(load_fails(l, &naming, LADING_ERR_FORMAT), "Not A Ref::"));
}

static void altered_manifest_is_refused_as_damaged(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	const char *m;
	char *path, *want;
	size_t len;
	struct lerr err;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	index_add(l, MEDIA_MANIFEST, m, len, "nginx:1");
	write_index(l);
	path = xasprintf("%s/%s", l->blobs, m + 7);
	assert_int_equal(fs_write_file(path, "{\"schemaVersion\":2}", 19, 0644, &err), 0);
	want = xasprintf("image nginx:1: manifest %s in '%s': content has digest sha256:", m, l->blobs);
	assert_int_equal(strncmp(load_fails(l, &naming, LADING_ERR_SIGNATURE), want, strlen(want)), 0);
	free(want);
	free(path);
}

static void missing_blob_names_image_manifest_and_digest(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	const char *m, *layer;
	char *path, *want;
	size_t len;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	layer = l->digests[1];
	index_add(l, MEDIA_MANIFEST, m, len, "nginx:1");
	write_index(l);
	path = xasprintf("%s/%s", l->blobs, layer + 7);
	assert_int_equal(unlink(path), 0);
	want = xasprintf("image nginx:1: manifest %s: blob %s: not in '%s': No such file or directory", m, layer,
			 l->blobs);
	assert_string_equal(load_fails(l, &naming, LADING_ERR_NOTFOUND), want);
	free(want);
	free(path);
}

static void blob_of_another_size_is_refused(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	const char *m, *layer;
	char *path, *want;
	size_t len;
	struct lerr err;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	layer = l->digests[1];
	index_add(l, MEDIA_MANIFEST, m, len, "nginx:1");
	write_index(l);
	path = xasprintf("%s/%s", l->blobs, layer + 7);
	assert_int_equal(fs_write_file(path, "layer plus", 10, 0644, &err), 0);
	want = xasprintf("image nginx:1: blob %s: 10 bytes on disk, 5 in manifest %s", layer, m);
	assert_string_equal(load_fails(l, &naming, LADING_ERR_SIGNATURE), want);
	free(want);
	free(path);
}

static void json_that_is_no_manifest_is_refused(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	const char *m = put_text(l, "{\"schemaVersion\":2,\"config\":{}}");
	const char *junk = put_text(l, "not json at all");
	char *want;

	index_add(l, MEDIA_MANIFEST, m, 31, "nginx:1");
	write_index(l);
	want = xasprintf("image nginx:1: manifest %s: neither an index nor an image manifest", m);
	assert_string_equal(load_fails(l, &naming, LADING_ERR_FORMAT), want);
	free(want);

	buf_reset(&l->index);
	index_add(l, MEDIA_MANIFEST, junk, 15, "nginx:1");
	write_index(l);
	want = xasprintf("image nginx:1: manifest %s: invalid JSON: ", junk);
	assert_int_equal(strncmp(load_fails(l, &naming, LADING_ERR_FORMAT), want, strlen(want)), 0);
	free(want);
}

/* An index whose only child is the previous level, depth levels deep above a manifest. */
static const char *nest(struct layout *l, const char *bottom, size_t bottom_len, int depth, size_t *len)
{
	const char *digest = bottom;
	size_t size = bottom_len;
	char *body;
	int i;

	for (i = 0; i < depth; i++) {
		body = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{\"mediaType\":\"%s\","
				 "\"digest\":\"%s\",\"size\":%zu}]}",
				 MEDIA_INDEX, i == 0 ? MEDIA_MANIFEST : MEDIA_INDEX, digest, size);
		digest = put_text(l, body);
		size = strlen(body);
		free(body);
	}
	*len = size;
	return digest;
}

static void indexes_nest_at_most_four_deep(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct serve_catalog *cat;
	const char *m, *top;
	size_t len, top_len;

	m = put_manifest(l, MEDIA_MANIFEST, "cfg", "layer", NULL, &len);
	top = nest(l, m, len, 4, &top_len);
	index_add(l, MEDIA_INDEX, top, top_len, "nginx:ok");
	write_index(l);
	cat = load_ok(l, &naming, NULL);
	assert_true(serve_catalog_blob_in_repo(cat, "library/nginx", l->digests[1]));
	serve_catalog_free(cat);

	buf_reset(&l->index);
	top = nest(l, m, len, 5, &top_len);
	index_add(l, MEDIA_INDEX, top, top_len, "nginx:deep");
	write_index(l);
	assert_non_null(strstr(load_fails(l, &naming, LADING_ERR_FORMAT), "indexes nested deeper than 4"));
}

static void oversized_manifest_is_a_limit_error(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	size_t big = (4u << 20) + 1;
	char *data = xmalloc(big);
	char digest[DIGEST_STR_MAX], hex[SHA256_HEX_LEN + 1];
	char *path, *want;
	struct lerr err;

	memset(data, ' ', big);
	data[0] = '{';
	data[big - 1] = '}';
	sha256_hex(data, big, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	path = xasprintf("%s/%s", l->blobs, hex);
	assert_int_equal(fs_write_file(path, data, big, 0644, &err), 0);
	index_add(l, MEDIA_MANIFEST, digest, big, "nginx:1");
	write_index(l);
	want = xasprintf("image nginx:1: manifest %s in '%s': larger than %u bytes", digest, l->blobs, 4u << 20);
	assert_string_equal(load_fails(l, &naming, LADING_ERR_LIMIT), want);
	free(want);
	free(path);
	free(data);
}

static void empty_layout_serves_nothing_but_loads(void **state)
{
	struct layout *l = *state;
	struct naming_opts naming = {NULL, 0};
	struct serve_catalog *cat;
	struct serve_catalog_stats stats;
	const char **names;
	size_t count = 99;

	write_index(l);
	cat = load_ok(l, &naming, NULL);
	serve_catalog_stats(cat, &stats);
	assert_int_equal(stats.images + stats.repositories + stats.blobs + stats.bytes, 0);
	names = serve_catalog_repo_names(cat, &count);
	assert_int_equal(count, 0);
	assert_null(names[0]);
	free(names);
	serve_catalog_free(cat);
	serve_catalog_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(catalog_lists_every_repository_once),
	    T(tags_point_to_their_manifests_and_list_sorted),
	    T(a_repository_reaches_only_the_blobs_its_images_reference),
	    T(manifests_are_typed_by_their_own_media_type),
	    T(descriptor_without_a_ref_name_is_skipped_with_a_warning),
	    T(prefix_and_keep_host_rename_repositories),
	    T(open_blob_takes_only_validated_digests),
	    T(open_blob_refuses_missing_links_and_directories),
	    T(same_ref_twice_for_one_image_is_fine),
	    T(two_images_on_one_name_are_refused),
	    T(missing_layout_names_the_directory),
	    T(missing_or_malformed_index_is_refused),
	    T(bad_digest_in_index_names_the_image),
	    T(unmappable_ref_name_is_refused),
	    T(altered_manifest_is_refused_as_damaged),
	    T(missing_blob_names_image_manifest_and_digest),
	    T(blob_of_another_size_is_refused),
	    T(json_that_is_no_manifest_is_refused),
	    T(indexes_nest_at_most_four_deep),
	    T(oversized_manifest_is_a_limit_error),
	    T(empty_layout_serves_nothing_but_loads),
	};
	return cmocka_run_group_tests_name("serve_catalog", tests, NULL, NULL);
}
