/* lading.yaml: a keyword table of sections, each with its own parser. */
#include <stdlib.h>
#include <string.h>

#include "bundle/spec.h"
#include "lib/hostcfg.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

typedef int (*spec_section_fn)(struct bundle_spec *spec, const struct ynode *node, struct lerr *err);

static int parse_name(struct bundle_spec *spec, const struct ynode *node, struct lerr *err);
static int parse_images(struct bundle_spec *spec, const struct ynode *node, struct lerr *err);
static int parse_registries(struct bundle_spec *spec, const struct ynode *node, struct lerr *err);
static int parse_images_from(struct bundle_spec *spec, const struct ynode *node, struct lerr *err);

static int parse_charts(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_charts(&spec->sources, node, err);
}

static int parse_providers(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_providers(&spec->sources, node, err);
}

static int parse_git(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_git(&spec->sources, node, err);
}

static int parse_modules(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_modules(&spec->sources, node, err);
}

static int parse_files(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_files(&spec->sources, node, err);
}

static int parse_packages(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return spec_sources_parse_packages(&spec->sources, node, err);
}

/* One row per top-level key (readconf.c style); charts, providers, files go here. */
static const struct {
	const char *key;
	spec_section_fn parse;
} spec_sections[] = {
    {"name", parse_name},
    {"images", parse_images},
    {"images_from", parse_images_from},
    {"registries", parse_registries},
    {"charts", parse_charts},
    {"providers", parse_providers},
    {"git", parse_git}, /* before modules: a git module joins the git: entry of its URL */
    {"modules", parse_modules},
    {"files", parse_files},
    {"packages", parse_packages},
    {NULL, NULL},
};

static int parse_name(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	const char *name;

	if (ynode_string(node, "name", &name, err) != 0)
		return -1;
	if (!spec_name_is_valid(name))
		return ynode_error(node, err, LADING_ERR_USAGE,
				   "name '%s': use letters, digits, '.', '_' and '-' (at most 128)", name);
	spec->name = xstrdup(name);
	return 0;
}

int bundle_platform_is_valid(const char *text)
{
	int parts = 1, len = 0;
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (*p == '/') {
			if (len == 0)
				return 0;
			parts++;
			len = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
			   *p == '-') {
			len++;
		} else {
			return 0;
		}
	}
	return len > 0 && (parts == 2 || parts == 3);
}

static int parse_platforms(struct spec_image *img, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	/* "all": every platform, the upstream index kept byte for byte (images/fetch.h) */
	if (node->type == YNODE_SCALAR && node->value != NULL && strcmp(node->value, "all") == 0) {
		img->platforms = xcalloc(1, sizeof(char *));
		img->platforms[img->platform_count++] = xstrdup("all");
		return 0;
	}
	if (ynode_expect(node, YNODE_SEQ, "platforms", err) != 0)
		return -1;
	if (node->count == 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "platforms: list at least one, like linux/amd64");
	img->platforms = xcalloc(node->count, sizeof(char *));
	for (i = 0; i < node->count; i++) {
		const char *text;

		if (ynode_string(node->items[i], "platform", &text, err) != 0)
			return -1;
		if (!bundle_platform_is_valid(text) && strcmp(text, "all") != 0)
			return ynode_error(node->items[i], err, LADING_ERR_USAGE,
					   "platform '%s': expected os/arch or os/arch/variant, or all", text);
		for (j = 0; j < img->platform_count; j++)
			if (strcmp(img->platforms[j], text) == 0)
				return ynode_error(node->items[i], err, LADING_ERR_USAGE,
						   "platform '%s' is listed twice", text);
		img->platforms[img->platform_count++] = xstrdup(text);
	}
	return 0;
}

static int parse_image(struct spec_image *img, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"ref", "platforms", NULL};
	const struct ynode *ref = node;
	const char *text;
	const char *p;

	img->line = node->line;
	img->col = node->col;
	if (node->type == YNODE_MAP) {
		if (ynode_check_keys(node, keys, "an image", err) != 0)
			return -1;
		if ((ref = ynode_get(node, "ref")) == NULL)
			return ynode_error(node, err, LADING_ERR_USAGE, "image: 'ref' is missing");
		if (ynode_get(node, "platforms") != NULL &&
		    parse_platforms(img, ynode_get(node, "platforms"), err) != 0)
			return -1;
	} else if (node->type != YNODE_SCALAR) {
		return ynode_error(node, err, LADING_ERR_USAGE,
				   "image: expected a reference or a mapping with ref and platforms, got a %s",
				   ynode_type_name(node->type));
	}
	if (ynode_string(ref, "image ref", &text, err) != 0)
		return -1;
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			break;
	if (text[0] == '\0' || *p != '\0' || strlen(text) > 512)
		return ynode_error(ref, err, LADING_ERR_USAGE, "image ref '%s' is not a valid reference", text);
	img->ref = xstrdup(text);
	return 0;
}

static int parse_images(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	if (ynode_expect(node, YNODE_SEQ, "images", err) != 0)
		return -1;
	for (i = 0; i < node->count; i++) {
		/* Grown, not sized, because bundle/sources.c appends the images charts name. */
		spec->images = grow_array(spec->images, spec->image_count, sizeof(*spec->images));
		memset(&spec->images[i], 0, sizeof(*spec->images));
		spec->image_count++;
		if (parse_image(&spec->images[i], node->items[i], err) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(spec->images[j].ref, spec->images[i].ref) == 0)
				return ynode_error(node->items[i], err, LADING_ERR_USAGE,
						   "image '%s' is listed twice (first at line %d)", spec->images[i].ref,
						   spec->images[j].line);
	}
	return 0;
}

/* images_from: files of image references, read by bundle/image_list.c when a run needs them. */
static int parse_images_from(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	size_t i;

	if (ynode_expect(node, YNODE_SEQ, "images_from", err) != 0)
		return -1;
	spec->images_from = xcalloc(node->count + 1, sizeof(*spec->images_from));
	for (i = 0; i < node->count; i++) {
		const char *text;

		if (ynode_string(node->items[i], "images_from", &text, err) != 0)
			return -1;
		if (text[0] == '\0')
			return ynode_error(node->items[i], err, LADING_ERR_USAGE, "images_from: give a file name");
		spec->images_from[spec->images_from_count++] = xstrdup(text);
	}
	return 0;
}

/* registries: the same parser images/ uses for `lading image` (host, plain_http, ca_file, …). */
static int parse_registries(struct bundle_spec *spec, const struct ynode *node, struct lerr *err)
{
	return host_set_parse(node, &spec->registries, err);
}

static int parse_root(struct bundle_spec *spec, const struct ydoc *doc, struct lerr *err)
{
	const char *allowed[sizeof(spec_sections) / sizeof(spec_sections[0])];
	size_t i;

	if (doc->root == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: empty file: a bundle spec needs at least 'name'",
				doc->file);
	for (i = 0; spec_sections[i].key != NULL; i++)
		allowed[i] = spec_sections[i].key;
	allowed[i] = NULL;
	if (ynode_check_keys(doc->root, allowed, "the bundle spec", err) != 0)
		return -1;
	for (i = 0; spec_sections[i].key != NULL; i++) {
		const struct ynode *node = ynode_get(doc->root, spec_sections[i].key);

		if (node != NULL && spec_sections[i].parse(spec, node, err) != 0)
			return -1;
	}
	if (spec->name == NULL)
		return ynode_error(doc->root, err, LADING_ERR_USAGE, "'name' is missing from the bundle spec");
	return 0;
}

int bundle_spec_parse(const char *name, const char *text, size_t len, struct bundle_spec *out, struct lerr *err)
{
	struct bundle_spec spec;
	struct ydoc doc;
	int r = -1;

	memset(&spec, 0, sizeof(spec));
	if (ydoc_load_string(&doc, name, text, len, err) != 0)
		return -1;
	spec.path = xstrdup(name);
	spec.text = xstrndup(text, len);
	if (parse_root(&spec, &doc, err) != 0)
		goto out;
	*out = spec;
	memset(&spec, 0, sizeof(spec));
	r = 0;
out:
	ydoc_free(&doc);
	bundle_spec_free(&spec);
	return r;
}

int bundle_spec_load(const char *path, struct bundle_spec *spec, struct lerr *err)
{
	struct buf text = BUF_INIT(BUNDLE_SPEC_MAX);
	int r;

	if (fs_read_file(path, &text, err) != 0) {
		buf_free(&text);
		return -1;
	}
	r = bundle_spec_parse(path, text.data, text.len, spec, err);
	buf_free(&text);
	return r;
}

void bundle_spec_free(struct bundle_spec *spec)
{
	size_t i, j;

	if (spec == NULL)
		return;
	spec_sources_free(&spec->sources);
	for (i = 0; i < spec->image_count; i++) {
		for (j = 0; j < spec->images[i].platform_count; j++)
			free(spec->images[i].platforms[j]);
		free(spec->images[i].platforms);
		free(spec->images[i].ref);
		free(spec->images[i].source);
	}
	for (i = 0; i < spec->images_from_count; i++)
		free(spec->images_from[i]);
	free(spec->images_from);
	host_set_free(&spec->registries);
	free(spec->images);
	free(spec->name);
	free(spec->text);
	free(spec->path);
	memset(spec, 0, sizeof(*spec));
}
