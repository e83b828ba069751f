/* Image lists from files: plain lists and Kubernetes manifests (see image_list.h). */
#include "bundle/image_list.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

#define WALK_DEPTH_MAX 64

/* Bytes a reference may hold: no blank, no control character, at most 512 (as spec.c checks). */
static int ref_ok(const char *text, size_t len)
{
	size_t i;

	if (len == 0 || len > 512)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] <= ' ' || text[i] == 0x7f)
			return 0;
	return 1;
}

static void add_ref(struct bundle_spec *spec, const char *ref, size_t len, char *source)
{
	struct spec_image *img;
	size_t i;

	for (i = 0; i < spec->image_count; i++)
		if (strlen(spec->images[i].ref) == len && strncmp(spec->images[i].ref, ref, len) == 0) {
			free(source);
			return;
		}
	spec->images = grow_array(spec->images, spec->image_count, sizeof(*spec->images));
	img = &spec->images[spec->image_count++];
	memset(img, 0, sizeof(*img));
	img->ref = xstrndup(ref, len);
	img->source = source;
}

/* A line that starts a YAML key Kubernetes manifests have, or a document marker. */
static int is_manifest(const char *text)
{
	const char *line;

	for (line = text; line != NULL && *line != '\0'; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "apiVersion:", 11) == 0 || strncmp(line, "kind:", 5) == 0)
			return 1;
	return 0;
}

static int add_plain(struct bundle_spec *spec, const char *path, const char *text, struct lerr *err)
{
	const char *line = text;
	int number = 0;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n'), *stop;

		number++;
		if (end == NULL)
			end = line + strlen(line);
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (line + 1 < end && line[0] == '-' && line[1] == ' ')
			for (line += 2; line < end && *line == ' ';)
				line++;
		for (stop = line; stop < end && *stop != '#'; stop++)
			;
		while (stop > line && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
			stop--;
		if (stop > line) {
			if (!ref_ok(line, (size_t)(stop - line)))
				return lerr_set(err, LADING_ERR_USAGE, "%s:%d: '%.*s' is not an image reference", path,
						number, (int)(stop - line) > 80 ? 80 : (int)(stop - line), line);
			add_ref(spec, line, (size_t)(stop - line), xasprintf("%s:%d", path, number));
		}
		line = *end == '\n' ? end + 1 : NULL;
	}
	return 0;
}

static int is_container_list(const char *key)
{
	return strcmp(key, "containers") == 0 || strcmp(key, "initContainers") == 0 ||
	       strcmp(key, "ephemeralContainers") == 0;
}

static int walk(struct bundle_spec *spec, const struct ynode *node, int depth, struct lerr *err)
{
	size_t i, j;

	if (node == NULL || depth > WALK_DEPTH_MAX || node->type == YNODE_SCALAR)
		return 0;
	for (i = 0; i < node->count; i++) {
		const struct ynode *child = node->type == YNODE_SEQ ? node->items[i] : node->pairs[i].value;

		if (node->type == YNODE_MAP && is_container_list(node->pairs[i].key->value) &&
		    child->type == YNODE_SEQ) {
			for (j = 0; j < child->count; j++) {
				const struct ynode *image = ynode_get(child->items[j], "image");

				if (image == NULL || image->type != YNODE_SCALAR)
					continue;
				if (!ref_ok(image->value, strlen(image->value)))
					return ynode_error(image, err, LADING_ERR_USAGE,
							   "image '%s' is not an image reference", image->value);
				add_ref(spec, image->value, strlen(image->value),
					xasprintf("%s:%d:%d", image->file, image->line, image->col));
			}
			continue;
		}
		if (walk(spec, child, depth + 1, err) != 0)
			return -1;
	}
	return 0;
}

/*
 * Documents one at a time: each is parsed with newlines in front for the
 * lines before it, so messages and sources keep the file's line numbers.
 */
static int add_manifests(struct bundle_spec *spec, const char *path, const char *text, struct lerr *err)
{
	const char *doc_start = text, *line = text;
	int number = 1, start_line = 1, r = 0;

	for (;;) {
		const char *end = line != NULL ? strchr(line, '\n') : NULL;
		int marker = line != NULL && strncmp(line, "---", 3) == 0 &&
			     (line[3] == '\n' || line[3] == ' ' || line[3] == '\r' || line[3] == '\0');

		if (line == NULL || marker) {
			const char *doc_end = line != NULL ? line : text + strlen(text);
			struct buf chunk = BUF_INIT(0);
			struct ydoc doc;
			int k;

			for (k = 1; k < start_line; k++)
				buf_puts(&chunk, "\n");
			r = buf_add(&chunk, doc_start, (size_t)(doc_end - doc_start), err);
			if (r == 0)
				r = ydoc_load_string(&doc, path, chunk.data ? chunk.data : "", chunk.len, err);
			buf_free(&chunk);
			if (r == 0) {
				r = walk(spec, doc.root, 0, err);
				ydoc_free(&doc);
			}
			if (r != 0 || line == NULL)
				return r;
			doc_start = end != NULL ? end + 1 : line + strlen(line);
			start_line = number + 1;
		}
		line = end != NULL ? end + 1 : NULL;
		if (line != NULL && *line == '\0')
			line = NULL;
		number++;
	}
}

int bundle_image_list_add(struct bundle_spec *spec, const char *path, struct lerr *err)
{
	struct buf text = BUF_INIT(IMAGE_LIST_MAX);
	int r;

	if (fs_read_file(path, &text, err) != 0)
		return -1;
	if (text.data == NULL || memchr(text.data, '\0', text.len) != NULL) {
		r = text.data == NULL ? 0 : lerr_set(err, LADING_ERR_USAGE, "%s: not a text file", path);
		buf_free(&text);
		return r;
	}
	r = is_manifest(text.data) ? add_manifests(spec, path, text.data, err) : add_plain(spec, path, text.data, err);
	buf_free(&text);
	return r;
}

int bundle_image_lists_add(struct bundle_spec *spec, const char *extra_file, struct lerr *err)
{
	char *copy = xstrdup(spec->path), *dir = dirname(copy);
	size_t i;
	int r = 0;

	for (i = 0; i < spec->images_from_count && r == 0; i++) {
		const char *file = spec->images_from[i];
		char *full = file[0] == '/' || strcmp(dir, ".") == 0 ? xstrdup(file) : xasprintf("%s/%s", dir, file);

		r = bundle_image_list_add(spec, full, err);
		free(full);
	}
	if (r == 0 && extra_file != NULL)
		r = bundle_image_list_add(spec, extra_file, err);
	free(copy);
	return r;
}
