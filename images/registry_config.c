#include "images/registry_config.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

#define REGISTRY_CONFIG_MAX (1024 * 1024)

static const char *const entry_keys[] = {"host", "plain_http", "ca_file", "insecure_skip_verify", NULL};

/* ca_file relative to the directory of the YAML file it was written in. */
static char *resolve_path(const struct ynode *node, const char *path)
{
	char *copy, *dir, *out;

	if (path[0] == '/' || node->file == NULL || strchr(node->file, '/') == NULL)
		return xstrdup(path);
	copy = xstrdup(node->file);
	dir = dirname(copy);
	out = xasprintf("%s/%s", dir, path);
	free(copy);
	return out;
}

static int parse_entry(const struct ynode *map, struct registry_config *out, struct lerr *err)
{
	const struct ynode *node;
	const char *text;

	memset(out, 0, sizeof(*out));
	if (ynode_expect(map, YNODE_MAP, "registries entry", err) != 0 ||
	    ynode_check_keys(map, entry_keys, "registries entry", err) != 0)
		return -1;
	if ((node = ynode_get(map, "host")) == NULL)
		return ynode_error(map, err, LADING_ERR_USAGE, "registries entry: 'host' is required");
	if (ynode_string(node, "host", &text, err) != 0)
		return -1;
	if (*text == '\0' || strchr(text, '/') != NULL || strstr(text, "://") != NULL)
		return ynode_error(node, err, LADING_ERR_USAGE, "host: want host[:port] without a scheme or path");
	out->host = xstrdup(text);
	if ((node = ynode_get(map, "plain_http")) != NULL && ynode_bool(node, "plain_http", &out->plain_http, err) != 0)
		return -1;
	if ((node = ynode_get(map, "insecure_skip_verify")) != NULL &&
	    ynode_bool(node, "insecure_skip_verify", &out->insecure_skip_verify, err) != 0)
		return -1;
	if ((node = ynode_get(map, "ca_file")) != NULL) {
		if (ynode_string(node, "ca_file", &text, err) != 0)
			return -1;
		out->ca_file = resolve_path(node, text);
	}
	return 0;
}

int registry_config_parse(const struct ynode *seq, struct registry_set *out, struct lerr *err)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (ynode_expect(seq, YNODE_SEQ, "registries", err) != 0)
		return -1;
	out->items = xcalloc(seq->count + 1, sizeof(*out->items));
	for (i = 0; i < seq->count; i++) {
		if (parse_entry(seq->items[i], &out->items[i], err) != 0) {
			out->count = i + 1;
			goto fail;
		}
		out->count = i + 1;
		for (j = 0; j < i; j++)
			if (strcmp(out->items[j].host, out->items[i].host) == 0) {
				ynode_error(seq->items[i], err, LADING_ERR_USAGE, "registry '%s' is listed twice",
					    out->items[i].host);
				goto fail;
			}
	}
	return 0;
fail:
	registry_config_free(out);
	return -1;
}

int registry_config_load(const char *path, struct registry_set *out, struct lerr *err)
{
	static const char *const top_keys[] = {"registries", NULL};
	struct ydoc doc;
	const struct ynode *seq;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (ydoc_load_file(&doc, path, REGISTRY_CONFIG_MAX, err) != 0)
		return -1;
	if (doc.root == NULL) {
		r = 0;
		goto out;
	}
	if (ynode_expect(doc.root, YNODE_MAP, "registry configuration", err) != 0 ||
	    ynode_check_keys(doc.root, top_keys, "registry configuration", err) != 0)
		goto out;
	seq = ynode_get(doc.root, "registries");
	r = seq == NULL ? 0 : registry_config_parse(seq, out, err);
out:
	ydoc_free(&doc);
	return r;
}

const struct registry_config *registry_config_find(const struct registry_set *set, const char *host)
{
	size_t i;

	for (i = 0; set != NULL && i < set->count; i++)
		if (strcmp(set->items[i].host, host) == 0)
			return &set->items[i];
	return NULL;
}

void registry_config_free(struct registry_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		free(set->items[i].host);
		free(set->items[i].ca_file);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}
