/* Image maps in one chart's values (see image_maps.h). */
#include "charts/image_maps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charts/chart_archive.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

#define VALUES_DEPTH_MAX 64

const char *chart_scan_pool(struct chart_scan *c, char *text)
{
	c->origins = grow_array(c->origins, c->origin_count, sizeof(*c->origins));
	c->origins[c->origin_count++] = text;
	return text;
}

/* The repository of a reference: without @digest and without the last component's :tag. */
static char *repository_of(const char *ref)
{
	char *repo = xstrdup(ref), *at = strchr(repo, '@'), *last, *colon;

	if (at != NULL)
		*at = '\0';
	last = strrchr(repo, '/') != NULL ? strrchr(repo, '/') : repo;
	if ((colon = strchr(last, ':')) != NULL)
		*colon = '\0';
	return repo;
}

int chart_scan_mentioned(const struct chart_scan *c, const char *ref)
{
	char *repo = repository_of(ref);
	size_t i;
	int found = 0;

	for (i = 0; i < c->mentioned_count && !found; i++)
		found = strcmp(c->mentioned[i], repo) == 0;
	free(repo);
	return found;
}

static void mention(struct chart_scan *c, const char *ref)
{
	if (chart_scan_mentioned(c, ref))
		return;
	c->mentioned = grow_array(c->mentioned, c->mentioned_count, sizeof(*c->mentioned));
	c->mentioned[c->mentioned_count++] = repository_of(ref);
}

void chart_scan_add(struct chart_scan *c, char *ref, char *source)
{
	size_t i;

	for (i = 0; i < c->out->count; i++)
		if (strcmp(c->out->items[i].ref, ref) == 0) {
			free(ref);
			free(source);
			return;
		}
	c->out->items = grow_array(c->out->items, c->out->count, sizeof(*c->out->items));
	c->out->items[c->out->count].ref = ref;
	c->out->items[c->out->count++].source = source;
}

/* "image", "thanosImage", "initImage": keys whose value is an image. */
static int key_imageish(const char *key)
{
	size_t len = key != NULL ? strlen(key) : 0;

	return len >= 5 && strcasecmp(key + len - 5, "image") == 0;
}

/* A reference as written, not a template or prose. */
int chart_ref_like(const char *text)
{
	return text != NULL && text[0] != '\0' && strstr(text, "{{") == NULL && strpbrk(text, " \t\n") == NULL;
}

static int is_image_map(const struct cvalue *map, const char *key)
{
	const char *repository = cvalue_scalar(map, "repository");
	int has_repo = repository != NULL && strstr(repository, "://") == NULL;
	int has_image = cvalue_scalar(map, "image") != NULL;
	int tagish = cvalue_get(map, "tag") != NULL || cvalue_get(map, "version") != NULL ||
		     cvalue_get(map, "digest") != NULL || cvalue_get(map, "sha") != NULL ||
		     cvalue_get(map, "registry") != NULL;

	if (has_repo && (has_image || tagish || key_imageish(key)))
		return 1;
	if (has_image && tagish)
		return 1;
	return key_imageish(key) && cvalue_scalar(map, "name") != NULL && tagish;
}

/*
 * registry/repository[/image]:tag[@digest], the way the charts' helpers
 * print it (ingress-nginx and Grafana keep the tag next to the digest).
 */
static char *compose(const struct cvalue *map, const char *key, const struct chart_image_defaults *d)
{
	const char *registry = cvalue_scalar(map, "registry"), *repository = cvalue_scalar(map, "repository");
	const char *image = cvalue_scalar(map, "image"), *tag = cvalue_scalar(map, "tag");
	const char *digest = cvalue_scalar(map, "digest"), *last;
	struct buf ref = BUF_INIT(0);
	char *name;

	if (repository == NULL && image == NULL && key_imageish(key))
		repository = cvalue_scalar(map, "name");
	if (tag == NULL)
		tag = cvalue_scalar(map, "version");
	if (digest == NULL)
		digest = cvalue_scalar(map, "sha");
	if (tag == NULL && digest == NULL)
		tag = d->tag; /* with a digest and no tag, Bitnami's helper prints repo@digest */
	if (d->registry != NULL)
		registry = d->registry;
	name = repository != NULL && image != NULL ? xasprintf("%s/%s", repository, image)
						   : xstrdup(repository != NULL ? repository : image);
	if (registry != NULL && !(strncmp(name, registry, strlen(registry)) == 0 && name[strlen(registry)] == '/'))
		buf_printf(&ref, "%s/", registry);
	buf_puts(&ref, name);
	last = strrchr(name, '/') != NULL ? strrchr(name, '/') : name;
	if (tag != NULL && strchr(last, ':') == NULL && strchr(last, '@') == NULL)
		buf_printf(&ref, ":%s", tag);
	if (digest != NULL)
		buf_printf(&ref, "@%s%s", hex_is_sha256(digest) ? "sha256:" : "", digest);
	free(name);
	if (!chart_ref_like(ref.data)) {
		buf_free(&ref);
		return NULL;
	}
	return buf_detach(&ref, NULL);
}

/* Keys of the top values map that belong to subcharts, global or tags: walked elsewhere or not images. */
static int skipped_key(const char *key, char *const *skip, size_t skip_count)
{
	size_t i;

	if (strcmp(key, "global") == 0 || strcmp(key, "tags") == 0)
		return 1;
	for (i = 0; i < skip_count; i++)
		if (strcmp(skip[i], key) == 0)
			return 1;
	return 0;
}

struct walk {
	struct chart_scan *c;
	const struct chart_image_defaults *d;
	char *const *skip;
	size_t skip_count;
};

static void walk(const struct walk *w, const struct cvalue *node, const char *key, struct buf *path, int depth,
		 int disabled);

static void walk_child(const struct walk *w, const struct cvalue *child, const char *key, struct buf *path,
		       const char *step, int depth, int disabled)
{
	size_t mark = path->len;

	buf_printf(path, "%s", step);
	walk(w, child, key, path, depth + 1, disabled);
	path->len = mark;
	if (path->data != NULL)
		path->data[mark] = '\0';
}

/* An image found: added, or with disabled (under `enabled: false`) only remembered as named. */
static void found(const struct walk *w, char *ref, char *source, int disabled)
{
	mention(w->c, ref);
	if (disabled) {
		free(ref);
		free(source);
		return;
	}
	chart_scan_add(w->c, ref, source);
}

static void walk(const struct walk *w, const struct cvalue *node, const char *key, struct buf *path, int depth,
		 int disabled)
{
	size_t i;
	int image_map;
	char *ref, step[32];

	if (node == NULL || depth > VALUES_DEPTH_MAX || node->type == CVALUE_SCALAR)
		return;
	if (node->type == CVALUE_SEQ) {
		for (i = 0; i < node->count; i++) {
			snprintf(step, sizeof(step), "[%zu]", i);
			walk_child(w, node->items[i], key, path, step, depth, disabled);
		}
		return;
	}
	if (cvalue_bool(cvalue_get(node, "enabled")) == 0)
		disabled = 1;
	image_map = depth > 0 && is_image_map(node, key);
	if (image_map && w->d->registry != NULL) {
		/* The chart's own registry too: the annotations list images before global.imageRegistry moves them. */
		struct chart_image_defaults own = {w->d->tag, NULL};

		if ((ref = compose(node, key, &own)) != NULL)
			mention(w->c, ref);
		free(ref);
	}
	if (image_map && (ref = compose(node, key, w->d)) != NULL) {
		const struct cvalue *from = cvalue_get(node, cvalue_get(node, "repository") ? "repository" : "image");

		found(w, ref, xasprintf("%s:%s", from && from->origin ? from->origin : "values", path->data), disabled);
	}
	for (i = 0; i < node->count; i++) {
		const struct cvalue *child = node->items[i];
		char *sub;

		if (depth == 0 && skipped_key(node->keys[i], w->skip, w->skip_count))
			continue;
		sub = xasprintf("%s%s", depth > 0 ? "." : "", node->keys[i]);
		if (child->type == CVALUE_SCALAR) {
			if (!image_map && key_imageish(node->keys[i]) && chart_ref_like(child->text))
				found(w, xstrdup(child->text),
				      xasprintf("%s:%s%s", child->origin ? child->origin : "values", path->data, sub),
				      disabled);
		} else {
			walk_child(w, child, node->keys[i], path, sub, depth, disabled);
		}
		free(sub);
	}
}

void chart_scan_values(struct chart_scan *c, const struct cvalue *values, const struct chart_image_defaults *d,
		       char *const *skip, size_t skip_count, int mention_only)
{
	struct walk w = {c, d, skip, skip_count};
	struct buf key_path = BUF_INIT(0);

	buf_puts(&key_path, "");
	walk(&w, values, NULL, &key_path, 0, mention_only);
	buf_free(&key_path);
}

void chart_scan_free(struct chart_scan *c)
{
	size_t i;

	for (i = 0; i < c->origin_count; i++)
		free(c->origins[i]);
	free(c->origins);
	for (i = 0; i < c->mentioned_count; i++)
		free(c->mentioned[i]);
	free(c->mentioned);
	c->origins = c->mentioned = NULL;
	c->origin_count = c->mentioned_count = 0;
}

int chart_values_images(const char *name, const char *text, size_t len, const char *app_version, char ***images,
			size_t *count, struct lerr *err)
{
	struct chart_image_list list = {NULL, 0};
	struct chart_scan c = {&list, NULL, 0, NULL, 0, err};
	struct chart_image_defaults d = {app_version, NULL};
	struct cvalue *values;
	struct ydoc doc;
	size_t i;

	if (ydoc_load_string(&doc, name, text, len, err) != 0)
		return -1;
	values = cvalue_from_ynode(doc.root, name);
	chart_scan_values(&c, values, &d, NULL, 0, 0);
	for (i = 0; i < list.count; i++) {
		*images = grow_array(*images, *count, sizeof(**images));
		(*images)[(*count)++] = list.items[i].ref;
		list.items[i].ref = NULL;
	}
	chart_scan_free(&c);
	chart_image_list_free(&list);
	cvalue_free(values);
	ydoc_free(&doc);
	return 0;
}
