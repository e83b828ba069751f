/*
 * bundle/push_plan.c (pass 1 of `bundle push`) on bundles this test writes
 * with the real writer: which images go where, which blobs each target
 * repository needs (each once), and every refusal naming the image or entry.
 * Nothing here talks to a registry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/format/view.h"
#include "bundle/format/writer.h"
#include "bundle/layout.h"
#include "bundle/push_plan.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"

#define REGISTRY "registry.internal:5000"
#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define SHARED "shared base layer, bigger than the rest of them"

struct fixture {
	char dir[64];
	char *path; /* the bundle */
	struct bundle_manifest m;
	struct buf index; /* the manifests array of oci/index.json */
	char *digests[32];
	size_t digest_count;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/lading-unit-pushplan.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/site.tar.zst", f->dir);
	f->m.format = BUNDLE_FORMAT_VERSION;
	f->m.name = xstrdup("unit");
	f->m.created = 1795338000;
	f->m.tool = xstrdup("lading test");
	f->m.spec = xstrdup("name: unit\n");
	buf_init(&f->index, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	fs_remove_tree(f->dir, NULL);
	bundle_manifest_free(&f->m);
	buf_free(&f->index);
	for (i = 0; i < f->digest_count; i++)
		free(f->digests[i]);
	free(f->path);
	free(f);
	return 0;
}

/* Adds an entry with these bytes. */
static void add_entry(struct fixture *f, const char *path, const char *data, size_t len, const char *kind)
{
	char hex[SHA256_HEX_LEN + 1];
	struct bundle_entry *e;

	sha256_hex(data, len, hex);
	e = bundle_manifest_add_entry(&f->m, path, len, hex, kind, NULL);
	bundle_entry_set_data(e, data, len);
}

/* Adds text as oci/blobs/sha256/<hex> (once); returns its digest (owned by the fixture). */
static const char *blob(struct fixture *f, const char *text)
{
	char hex[SHA256_HEX_LEN + 1];
	char *path;
	size_t i;

	sha256_hex(text, strlen(text), hex);
	for (i = 0; i < f->digest_count; i++)
		if (strcmp(f->digests[i] + 7, hex) == 0)
			return f->digests[i];
	assert_true(f->digest_count < sizeof(f->digests) / sizeof(f->digests[0]));
	path = xasprintf("oci/blobs/sha256/%s", hex);
	add_entry(f, path, text, strlen(text), BUNDLE_KIND_OCI_BLOB);
	free(path);
	f->digests[f->digest_count] = xasprintf("sha256:%s", hex);
	return f->digests[f->digest_count++];
}

/* The JSON of an image manifest over config and layers (texts, NULL-terminated); caller frees. */
static char *manifest_json(struct fixture *f, const char *config, const char *const *layers)
{
	struct buf b = BUF_INIT(0);
	const char *digest = blob(f, config);
	size_t i;

	buf_printf(&b,
		   "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
		   "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
		   MEDIA_MANIFEST, digest, strlen(config));
	for (i = 0; layers[i] != NULL; i++) {
		digest = blob(f, layers[i]);
		buf_printf(
		    &b, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}",
		    i > 0 ? "," : "", digest, strlen(layers[i]));
	}
	buf_puts(&b, "]}");
	return buf_detach(&b, NULL);
}

/* Stores a manifest; returns its digest, *len its size. */
static const char *manifest(struct fixture *f, const char *config, const char *const *layers, size_t *len)
{
	char *json = manifest_json(f, config, layers);
	const char *digest = blob(f, json);

	*len = strlen(json);
	free(json);
	return digest;
}

/* Stores an index over children (digest, size pairs); returns its digest. */
static const char *index_of(struct fixture *f, const char *const *children, const size_t *sizes, size_t count,
			    const char *child_type, size_t *len)
{
	struct buf b = BUF_INIT(0);
	const char *digest;
	size_t i;

	buf_printf(&b, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[", MEDIA_INDEX);
	for (i = 0; i < count; i++)
		buf_printf(&b,
			   "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\","
			   "\"architecture\":\"%s\"}}",
			   i > 0 ? "," : "", child_type, children[i], sizes[i], i == 0 ? "amd64" : "arm64");
	buf_puts(&b, "]}");
	digest = blob(f, b.data);
	*len = b.len;
	buf_free(&b);
	return digest;
}

/* Names digest in oci/index.json under ref (NULL: no annotation). */
static void name_image(struct fixture *f, const char *media_type, const char *digest, size_t len, const char *ref)
{
	buf_printf(&f->index, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu", f->index.len > 0 ? "," : "",
		   media_type, digest, len);
	if (ref != NULL)
		buf_printf(&f->index, ",\"annotations\":{\"%s\":\"%s\"}", BUNDLE_OCI_REF_ANNOTATION, ref);
	buf_puts(&f->index, "}");
}

/* Writes the bundle: oci/index.json (unless index_json is "" = none) and every entry added so far. */
static void write_bundle(struct fixture *f, const char *index_json)
{
	struct bundle_write_opts opts = {0};
	struct lerr err;
	char *text = NULL;

	if (index_json == NULL)
		index_json = text =
		    xasprintf("{\"schemaVersion\":2,\"manifests\":[%s]}", f->index.data ? f->index.data : "");
	if (*index_json != '\0') {
		add_entry(f, "oci/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, BUNDLE_KIND_OCI_LAYOUT);
		add_entry(f, "oci/index.json", index_json, strlen(index_json), BUNDLE_KIND_OCI_LAYOUT);
	}
	assert_int_equal(bundle_manifest_sort(&f->m, &err), 0);
	if (bundle_write(f->path, &f->m, &opts, &err) != 0)
		fail_msg("%s", err.msg);
	free(text);
}

static void opts_init(struct bundle_push_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->registry = REGISTRY;
	opts->dry_run = 1;
}

/* The plan from the bundle's view (bundle/push_plan.c's one-pass path), or -1 with err as the build gave it. */
static int plan_from_view(struct fixture *f, const struct bundle_push_opts *opts, struct push_plan *plan,
			  struct lerr *err)
{
	struct bundle_view *view = NULL;
	int r;

	memset(plan, 0, sizeof(*plan));
	r = bundle_view_open(f->path, opts->head, opts->head_ctx, &view, err);
	if (r < 0)
		return -1;
	if (r == 0)
		fail_msg("the fixture's bundle cannot be pushed from the file: %s", err->msg);
	r = push_plan_build_view(view, opts, plan, err);
	bundle_view_close(view);
	return r;
}

/* Both plans name the same images, manifests (in order) and blobs. */
static void plans_agree(const struct push_plan *a, const struct push_plan *b)
{
	size_t i, k;

	assert_int_equal(a->image_count, b->image_count);
	assert_int_equal(a->blob_count, b->blob_count);
	assert_int_equal(a->blob_bytes, b->blob_bytes);
	assert_int_equal(a->largest_blob, b->largest_blob);
	assert_int_equal(a->file_entries, b->file_entries);
	for (i = 0; i < a->image_count; i++) {
		const struct plan_image *x = &a->images[i], *y = &b->images[i];

		assert_string_equal(x->display, y->display);
		assert_string_equal(a->manifests[x->top].digest, b->manifests[y->top].digest);
		assert_int_equal(x->child_count, y->child_count);
		for (k = 0; k < x->child_count; k++)
			assert_string_equal(a->manifests[x->children[k]].digest, b->manifests[y->children[k]].digest);
		assert_int_equal(x->extra_count, y->extra_count);
	}
	for (i = 0; i < a->blob_count; i++) {
		assert_string_equal(a->blobs[i].digest, b->blobs[i].digest);
		assert_int_equal(a->blobs[i].image_count, b->blobs[i].image_count);
	}
}

static void plan_ok(struct fixture *f, const struct bundle_push_opts *opts, struct push_plan *plan)
{
	struct push_plan from_view;
	struct lerr err;

	if (push_plan_build(f->path, opts, plan, &err) != 0)
		fail_msg("%s", err.msg);
	if (plan_from_view(f, opts, &from_view, &err) != 0)
		fail_msg("from the view: %s", err.msg);
	plans_agree(plan, &from_view);
	push_plan_free(&from_view);
}

/* Building the plan fails with code; returns the (one-line) message. */
static const char *plan_fails(struct fixture *f, const struct bundle_push_opts *opts, int code)
{
	static struct lerr err;
	struct push_plan plan;

	lerr_clear(&err);
	assert_int_equal(push_plan_build(f->path, opts, &plan, &err), -1);
	assert_int_equal(err.code, code);
	assert_true(err.msg[0] != '\0');
	assert_null(strchr(err.msg, '\n'));
	/* Nothing is left in the plan after a failure. */
	assert_null(plan.images);
	assert_null(plan.blobs);
	assert_null(plan.manifests);
	assert_int_equal(plan.image_count + plan.blob_count + plan.manifest_count, 0);
	return err.msg;
}

/* As plan_fails, and the plan from the view fails with the same code and message. */
static const char *plans_fail(struct fixture *f, const struct bundle_push_opts *opts, int code)
{
	const char *msg = plan_fails(f, opts, code);
	struct push_plan plan;
	struct lerr err;

	lerr_clear(&err);
	assert_int_equal(plan_from_view(f, opts, &plan, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	assert_null(plan.images);
	assert_null(plan.blobs);
	return msg;
}

struct standard {
	const char *nginx, *app, *app_amd64, *app_arm64;
};

/* nginx:1.27 (shared + own layer) and team/app:1, an index whose two children share SHARED too. */
static void make_standard(struct fixture *f, struct standard *s)
{
	static const char *const nginx_layers[] = {SHARED, "nginx layer", NULL};
	static const char *const amd64_layers[] = {SHARED, "app amd64 layer", NULL};
	static const char *const arm64_layers[] = {"app arm64 layer", NULL};
	const char *children[2];
	size_t sizes[2], len;

	s->nginx = manifest(f, "{\"os\":\"linux\",\"n\":1}", nginx_layers, &len);
	name_image(f, MEDIA_MANIFEST, s->nginx, len, "docker.io/library/nginx:1.27");
	s->app_amd64 = children[0] = manifest(f, "{\"os\":\"linux\",\"a\":1}", amd64_layers, &sizes[0]);
	s->app_arm64 = children[1] = manifest(f, "{\"os\":\"linux\",\"a\":2}", arm64_layers, &sizes[1]);
	s->app = index_of(f, children, sizes, 2, MEDIA_MANIFEST, &len);
	name_image(f, MEDIA_INDEX, s->app, len, "ghcr.io/team/app:1");
	add_entry(f, "files/notes.txt", "hello\n", 6, "file");
	add_entry(f, "providers/registry.terraform.io/hashicorp/null/index.json", "{}", 2, "provider");
	add_entry(f, "providers/registry.terraform.io/hashicorp/null/3.2.1.json", "{}", 2, "provider");
}

static void plan_maps_images_to_their_targets(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	struct push_plan plan;
	struct standard s;
	const struct plan_image *img;

	make_standard(f, &s);
	write_bundle(f, NULL);
	opts_init(&opts);
	plan_ok(f, &opts, &plan);
	assert_int_equal(plan.image_count, 2);
	img = &plan.images[0];
	assert_string_equal(img->source, "docker.io/library/nginx:1.27");
	assert_string_equal(img->digest, s.nginx);
	assert_string_equal(img->target.repository, "library/nginx");
	assert_string_equal(img->target.tag, "1.27");
	assert_string_equal(img->display, REGISTRY "/library/nginx:1.27");
	assert_string_equal(plan.manifests[img->top].digest, s.nginx);
	assert_int_equal(img->child_count, 0);
	img = &plan.images[1];
	assert_string_equal(img->display, REGISTRY "/team/app:1");
	assert_string_equal(plan.manifests[img->top].digest, s.app);
	assert_true(plan.manifests[img->top].parsed.is_index);
	assert_int_equal(img->child_count, 2);
	assert_string_equal(plan.manifests[img->children[0]].digest, s.app_amd64);
	assert_string_equal(plan.manifests[img->children[1]].digest, s.app_arm64);
	/* Manifests and indexes are kept; configs (also JSON) are not. */
	assert_int_equal(plan.manifest_count, 4);
	assert_int_equal(plan.file_entries, 1);
	assert_int_equal(plan.provider_entries, 2);
	push_plan_free(&plan);
	assert_int_equal(plan.image_count + plan.manifest_count + plan.blob_count, 0);
}

static void each_blob_is_planned_once_per_target_repository(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	struct push_plan plan;
	struct standard s;
	const struct plan_blob *shared;
	uint64_t bytes = 0, largest = 0;
	size_t i;

	make_standard(f, &s);
	write_bundle(f, NULL);
	opts_init(&opts);
	plan_ok(f, &opts, &plan);
	/* 3 configs + SHARED + nginx, amd64 and arm64 layers: manifests are not blobs to upload. */
	assert_int_equal(plan.blob_count, 7);
	for (i = 0; i < plan.blob_count; i++) {
		if (i > 0)
			assert_true(strcmp(plan.blobs[i - 1].digest, plan.blobs[i].digest) < 0);
		assert_ptr_equal(push_plan_blob(&plan, plan.blobs[i].digest), &plan.blobs[i]);
		assert_null(push_plan_blob(&plan, s.nginx));
		bytes += plan.blobs[i].size;
		if (plan.blobs[i].size > largest)
			largest = plan.blobs[i].size;
	}
	assert_int_equal(plan.blob_bytes, bytes);
	assert_int_equal(plan.largest_blob, strlen(SHARED));
	assert_int_equal(largest, strlen(SHARED));
	/* SHARED goes to both repositories, once each, although team/app's two children both use it. */
	shared = push_plan_blob(&plan, f->digests[1]);
	assert_non_null(shared);
	assert_int_equal(shared->size, strlen(SHARED));
	assert_int_equal(shared->image_count, 2);
	assert_int_equal(shared->images[0], 0);
	assert_int_equal(shared->images[1], 1);
	push_plan_free(&plan);
}

static void two_tags_of_one_repository_need_a_shared_blob_once(void **state)
{
	struct fixture *f = *state;
	static const char *const layers_a[] = {SHARED, "a", NULL};
	static const char *const layers_b[] = {SHARED, "b", NULL};
	struct bundle_push_opts opts;
	struct push_plan plan;
	const char *a, *b;
	size_t len_a, len_b;
	const struct plan_blob *shared;

	a = manifest(f, "{\"v\":1}", layers_a, &len_a);
	b = manifest(f, "{\"v\":2}", layers_b, &len_b);
	name_image(f, MEDIA_MANIFEST, a, len_a, "docker.io/library/nginx:1.27");
	name_image(f, MEDIA_MANIFEST, b, len_b, "docker.io/library/nginx:1.28");
	write_bundle(f, NULL);
	opts_init(&opts);
	plan_ok(f, &opts, &plan);
	shared = push_plan_blob(&plan, f->digests[1]);
	assert_non_null(shared);
	assert_int_equal(shared->image_count, 1);
	assert_int_equal(plan.blob_count, 5);
	push_plan_free(&plan);
}

static void two_sources_on_one_target_name_are_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const layers_a[] = {"a", NULL};
	static const char *const layers_b[] = {"b", NULL};
	struct bundle_push_opts opts;
	struct push_plan plan;
	const char *a, *b;
	size_t len_a, len_b;

	a = manifest(f, "{\"v\":1}", layers_a, &len_a);
	b = manifest(f, "{\"v\":2}", layers_b, &len_b);
	name_image(f, MEDIA_MANIFEST, a, len_a, "docker.io/team/app:1");
	name_image(f, MEDIA_MANIFEST, b, len_b, "ghcr.io/team/app:1");
	/* The same image under a second name that maps to the same target is no clash. */
	name_image(f, MEDIA_MANIFEST, a, len_a, "team/app:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_USAGE),
			    "docker.io/team/app:1 and ghcr.io/team/app:1 would both be pushed as " REGISTRY
			    "/team/app:1: use --keep-host (or --prefix) to keep them apart");
	opts.naming.keep_host = 1;
	plan_ok(f, &opts, &plan);
	assert_string_equal(plan.images[0].display, REGISTRY "/docker.io/team/app:1");
	assert_string_equal(plan.images[1].display, REGISTRY "/ghcr.io/team/app:1");
	push_plan_free(&plan);
}

static void prefix_and_digest_refs_shape_the_display_name(void **state)
{
	struct fixture *f = *state;
	static const char *const layers[] = {"a", NULL};
	struct bundle_push_opts opts;
	struct push_plan plan;
	const char *a;
	char *ref, *want;
	size_t len;

	a = manifest(f, "{\"v\":1}", layers, &len);
	ref = xasprintf("docker.io/library/busybox@%s", a);
	name_image(f, MEDIA_MANIFEST, a, len, ref);
	write_bundle(f, NULL);
	opts_init(&opts);
	opts.naming.prefix = "mirror";
	plan_ok(f, &opts, &plan);
	want = xasprintf(REGISTRY "/mirror/library/busybox@%s", a);
	assert_string_equal(plan.images[0].display, want);
	assert_null(plan.images[0].target.tag);
	push_plan_free(&plan);
	free(want);
	free(ref);
}

static void missing_top_manifest_names_the_image(void **state)
{
	struct fixture *f = *state;
	char absent[DIGEST_STR_MAX], *want;
	struct bundle_push_opts opts;

	snprintf(absent, sizeof(absent), "sha256:%064d", 5);
	name_image(f, MEDIA_MANIFEST, absent, 10, "docker.io/library/nginx:1.27");
	write_bundle(f, NULL);
	opts_init(&opts);
	want = xasprintf("docker.io/library/nginx:1.27: the bundle lacks its manifest %s", absent);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT), want);
	free(want);
}

static void missing_layer_names_image_digest_and_size(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	char absent[DIGEST_STR_MAX], *json, *want;
	const char *config = blob(f, "{\"v\":1}"), *digest;

	snprintf(absent, sizeof(absent), "sha256:%064d", 6);
	json = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"x\",\"digest\":\"%s\","
			 "\"size\":7},\"layers\":[{\"mediaType\":\"y\",\"digest\":\"%s\",\"size\":1234}]}",
			 MEDIA_MANIFEST, config, absent);
	digest = blob(f, json);
	name_image(f, MEDIA_MANIFEST, digest, strlen(json), "nginx:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	want = xasprintf("nginx:1: the bundle lacks blob %s (1234 bytes) that it needs", absent);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT), want);
	free(want);
	free(json);
}

static void layer_of_another_size_counts_as_missing(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	char *json, *want;
	const char *config = blob(f, "{\"v\":1}"), *layer = blob(f, "layer"), *digest;

	/* The layer is in the bundle with 5 bytes; the manifest says 6. */
	json = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"x\",\"digest\":\"%s\","
			 "\"size\":7},\"layers\":[{\"mediaType\":\"y\",\"digest\":\"%s\",\"size\":6}]}",
			 MEDIA_MANIFEST, config, layer);
	digest = blob(f, json);
	name_image(f, MEDIA_MANIFEST, digest, strlen(json), "nginx:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	want = xasprintf("nginx:1: the bundle lacks blob %s (6 bytes) that it needs", layer);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT), want);
	free(want);
	free(json);
}

static void missing_index_child_names_the_image(void **state)
{
	struct fixture *f = *state;
	static const char *const layers[] = {"a", NULL};
	struct bundle_push_opts opts;
	const char *children[2];
	char absent[DIGEST_STR_MAX], *want;
	size_t sizes[2], len;
	const char *index;

	children[0] = manifest(f, "{\"v\":1}", layers, &sizes[0]);
	snprintf(absent, sizeof(absent), "sha256:%064d", 8);
	children[1] = absent;
	sizes[1] = 99;
	index = index_of(f, children, sizes, 2, MEDIA_MANIFEST, &len);
	name_image(f, MEDIA_INDEX, index, len, "ghcr.io/team/app:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	want = xasprintf("ghcr.io/team/app:1: the bundle lacks manifest %s of its index", absent);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT), want);
	free(want);
}

static void nested_indexes_are_planned_children_first(void **state)
{
	struct fixture *f = *state;
	static const char *const layers[] = {"a", NULL};
	struct bundle_push_opts opts;
	struct push_plan plan;
	const char *child, *inner, *outer;
	size_t child_len, inner_len, outer_len;

	child = manifest(f, "{\"v\":1}", layers, &child_len);
	inner = index_of(f, &child, &child_len, 1, MEDIA_MANIFEST, &inner_len);
	outer = index_of(f, &inner, &inner_len, 1, MEDIA_INDEX, &outer_len);
	name_image(f, MEDIA_INDEX, outer, outer_len, "ghcr.io/team/app:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	plan_ok(f, &opts, &plan);
	assert_int_equal(plan.images[0].child_count, 2);
	assert_string_equal(plan.manifests[plan.images[0].children[0]].digest, child);
	assert_string_equal(plan.manifests[plan.images[0].children[1]].digest, inner);
	assert_string_equal(plan.manifests[plan.images[0].top].digest, outer);
	assert_int_equal(plan.images[0].extra_count, 0);
	push_plan_free(&plan);
}

static void layout_index_entries_need_a_digest_and_a_name(void **state)
{
	struct fixture *f = *state;
	static const char *const layers[] = {"a", NULL};
	struct bundle_push_opts opts;
	const char *a;
	size_t len;

	a = manifest(f, "{\"v\":1}", layers, &len);
	name_image(f, MEDIA_MANIFEST, a, len, "nginx:1");
	name_image(f, MEDIA_MANIFEST, a, len, NULL);
	write_bundle(f, NULL);
	opts_init(&opts);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT),
			    "oci/index.json: manifests[1] needs a sha256 digest and " BUNDLE_OCI_REF_ANNOTATION);
}

static void layout_index_with_a_bad_digest_is_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;

	name_image(f, MEDIA_MANIFEST, "sha256:ABC", 3, "nginx:1");
	write_bundle(f, NULL);
	opts_init(&opts);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT),
			    "oci/index.json: manifests[0] needs a sha256 digest and " BUNDLE_OCI_REF_ANNOTATION);
}

static void layout_index_that_is_not_an_index_is_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;

	write_bundle(f, "{\"schemaVersion\":2}");
	opts_init(&opts);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT),
			    "oci/index.json: not an OCI image index (no manifests list)");
}

static void layout_index_that_is_not_json_is_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;

	write_bundle(f, "{\"manifests\": [");
	opts_init(&opts);
	assert_int_equal(
	    strncmp(plans_fail(f, &opts, LADING_ERR_FORMAT), "oci/index.json: not an OCI image index (", 40), 0);
}

static void unmappable_source_name_is_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const layers[] = {"a", NULL};
	struct bundle_push_opts opts;
	const char *a;
	size_t len;

	a = manifest(f, "{\"v\":1}", layers, &len);
	name_image(f, MEDIA_MANIFEST, a, len, "Not A Ref::");
	write_bundle(f, NULL);
	opts_init(&opts);
	assert_non_null(strstr(plans_fail(f, &opts, LADING_ERR_FORMAT), "Not A Ref::"));
}

static void bundle_with_nothing_to_push_is_refused(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	char *want;

	/* Charts are not pushed by `bundle push`: a bundle of charts only gives it nothing to do. */
	add_entry(f, "charts/demo-1.0.0.tgz", "not really a chart", 18, "chart");
	write_bundle(f, "");
	opts_init(&opts);
	want = xasprintf("%s: the bundle holds no oci/index.json and nothing else to push", f->path);
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_FORMAT), want);
	free(want);
}

static void bundle_of_files_only_plans_no_images(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	struct push_plan plan;

	add_entry(f, "files/a.txt", "a", 1, "file");
	write_bundle(f, "");
	opts_init(&opts);
	plan_ok(f, &opts, &plan);
	assert_int_equal(plan.image_count, 0);
	assert_int_equal(plan.blob_count, 0);
	assert_int_equal(plan.file_entries, 1);
	assert_null(push_plan_blob(&plan, "sha256:0000000000000000000000000000000000000000000000000000000000000000"));
	push_plan_free(&plan);
}

static void missing_bundle_names_the_file(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	struct push_plan plan;
	struct lerr err;

	opts_init(&opts);
	assert_int_equal(push_plan_build(f->path, &opts, &plan, &err), -1);
	assert_non_null(strstr(err.msg, f->path));
	assert_null(strchr(err.msg, '\n'));
}

struct head_seen {
	int calls;
	char json_sha256[SHA256_HEX_LEN + 1];
	int refuse;
};

static int head_hook(void *ctx, const char *json, size_t json_len, const char *sig, size_t sig_len,
		     const struct bundle_manifest *m, struct lerr *err)
{
	struct head_seen *seen = ctx;

	(void)sig, (void)sig_len, (void)m;
	seen->calls++;
	sha256_hex(json, json_len, seen->json_sha256);
	return seen->refuse ? lerr_set(err, LADING_ERR_SIGNATURE, "site.tar.zst: signature refused") : 0;
}

static void head_hook_sees_the_json_the_plan_remembers(void **state)
{
	struct fixture *f = *state;
	struct bundle_push_opts opts;
	struct push_plan plan;
	struct standard s;
	struct head_seen seen = {0, "", 0};

	make_standard(f, &s);
	write_bundle(f, NULL);
	opts_init(&opts);
	opts.head = head_hook;
	opts.head_ctx = &seen;
	plan_ok(f, &opts, &plan);
	/* Once by the verifying pass, once by the view's open. */
	assert_int_equal(seen.calls, 2);
	assert_string_equal(plan.json_sha256, seen.json_sha256);
	push_plan_free(&plan);

	seen.refuse = 1;
	assert_string_equal(plans_fail(f, &opts, LADING_ERR_SIGNATURE), "site.tar.zst: signature refused");
	assert_int_equal(seen.calls, 4);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(plan_maps_images_to_their_targets),
	    T(each_blob_is_planned_once_per_target_repository),
	    T(two_tags_of_one_repository_need_a_shared_blob_once),
	    T(two_sources_on_one_target_name_are_refused),
	    T(prefix_and_digest_refs_shape_the_display_name),
	    T(missing_top_manifest_names_the_image),
	    T(missing_layer_names_image_digest_and_size),
	    T(layer_of_another_size_counts_as_missing),
	    T(missing_index_child_names_the_image),
	    T(nested_indexes_are_planned_children_first),
	    T(layout_index_entries_need_a_digest_and_a_name),
	    T(layout_index_with_a_bad_digest_is_refused),
	    T(layout_index_that_is_not_an_index_is_refused),
	    T(layout_index_that_is_not_json_is_refused),
	    T(unmappable_source_name_is_refused),
	    T(bundle_with_nothing_to_push_is_refused),
	    T(bundle_of_files_only_plans_no_images),
	    T(missing_bundle_names_the_file),
	    T(head_hook_sees_the_json_the_plan_remembers),
	};
	return cmocka_run_group_tests_name("bundle_push_plan", tests, NULL, NULL);
}
