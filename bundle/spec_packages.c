/* The packages: section of lading.yaml: apt archives, what to install from them, and the keys that sign them. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/spec_sources.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

/* A list of plain words (package names, components, architectures); a single string is a list of one. */
static int word_list(const struct ynode *map, const char *key, char ***out, size_t *count, struct lerr *err)
{
	const struct ynode *node = ynode_get(map, key);
	size_t i;

	if (node == NULL)
		return 0;
	if (node->type == YNODE_SCALAR) {
		*out = xcalloc(2, sizeof(char *));
		(*out)[0] = xstrdup(node->value);
		*count = 1;
		return (*out)[0][0] != '\0' ? 0 : ynode_error(node, err, LADING_ERR_USAGE, "'%s' is empty", key);
	}
	if (ynode_expect(node, YNODE_SEQ, key, err) != 0)
		return -1;
	*out = xcalloc(node->count + 1, sizeof(char *));
	for (i = 0; i < node->count; i++) {
		const char *text;

		if (ynode_string(node->items[i], key, &text, err) != 0)
			return -1;
		if (*text == '\0' || strpbrk(text, " \t,|/") != NULL)
			return ynode_error(node->items[i], err, LADING_ERR_USAGE,
					   "'%s' in %s is not a single name (one per list item)", text, key);
		(*out)[(*count)++] = xstrdup(text);
	}
	return 0;
}

/* path as written, or joined to the directory of the spec file when relative. */
static char *beside(const char *spec_file, const char *path)
{
	char *copy, *out;

	if (path[0] == '/')
		return xstrdup(path);
	copy = xstrdup(spec_file);
	out = xasprintf("%s/%s", dirname(copy), path);
	free(copy);
	return out;
}

/* "<host>-<suite>" with the characters a name may not hold turned into '-'; a flat repo is named by its host. */
static char *default_name(const char *url, const char *suite)
{
	const char *host = strstr(url, "://");
	char *name, *p;

	host = host != NULL ? host + 3 : url;
	if (strcmp(suite, "/") == 0)
		name = xasprintf("%.*s", (int)strcspn(host, "/:"), host);
	else
		name = xasprintf("%.*s-%s", (int)strcspn(host, "/:"), host, suite);
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_'))
			*p = '-';
	while (p > name && p[-1] == '-')
		*--p = '\0';
	return name;
}

static int parse_apt(struct spec_apt *a, const struct ynode *node, struct lerr *err)
{
	static const char *const keys[] = {"apt",     "name",	 "suite",    "components", "architectures",
					   "keyring", "install", "baseline", NULL};
	char *keyring = NULL, *baseline = NULL;
	size_t len;

	a->line = node->line;
	a->col = node->col;
	if (ynode_expect(node, YNODE_MAP, "a package source", err) != 0 ||
	    ynode_check_keys(node, keys, "a package source", err) != 0 ||
	    spec_opt_string(node, "apt", &a->url, err) != 0 || spec_opt_string(node, "name", &a->name, err) != 0 ||
	    spec_opt_string(node, "suite", &a->suite, err) != 0 ||
	    spec_opt_string(node, "keyring", &keyring, err) != 0 ||
	    spec_opt_string(node, "baseline", &baseline, err) != 0 ||
	    word_list(node, "components", &a->components, &a->component_count, err) != 0 ||
	    word_list(node, "architectures", &a->architectures, &a->architecture_count, err) != 0 ||
	    word_list(node, "install", &a->install, &a->install_count, err) != 0)
		goto fail;
	if (a->url == NULL) {
		ynode_error(node, err, LADING_ERR_USAGE, "a package source needs 'apt: URL' (the archive root)");
		goto fail;
	}
	if (strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0 &&
	    strncmp(a->url, "file:///", 8) != 0) {
		ynode_error(ynode_get(node, "apt"), err, LADING_ERR_USAGE,
			    "'apt' must be an http://, https:// or file:/// URL");
		goto fail;
	}
	len = strlen(a->url);
	while (len > 8 && a->url[len - 1] == '/')
		a->url[--len] = '\0';
	if (a->suite == NULL || a->suite[0] == '\0') {
		ynode_error(node, err, LADING_ERR_USAGE,
			    "a package source needs 'suite' (e.g. bookworm, or / for a flat repository)");
		goto fail;
	}
	if (a->suite[0] == '/' && a->suite[1] != '\0') {
		ynode_error(ynode_get(node, "suite"), err, LADING_ERR_USAGE,
			    "suite '%s' must be relative to the archive root", a->suite);
		goto fail;
	}
	if (strstr(a->suite, "..") != NULL || strpbrk(a->suite, " \t\\") != NULL) {
		ynode_error(ynode_get(node, "suite"), err, LADING_ERR_USAGE, "suite '%s' is not a safe path", a->suite);
		goto fail;
	}
	if (a->suite[strlen(a->suite) - 1] == '/' ? a->component_count > 0 : a->component_count == 0) {
		ynode_error(node, err, LADING_ERR_USAGE,
			    a->component_count > 0 ? "a flat repository (suite ending in /) takes no 'components'"
						   : "a package source needs 'components' (e.g. [main])");
		goto fail;
	}
	if (keyring == NULL) {
		ynode_error(node, err, LADING_ERR_USAGE,
			    "a package source needs 'keyring' (the OpenPGP keyring that signs its InRelease, e.g. "
			    "/usr/share/keyrings/debian-archive-keyring.gpg)");
		goto fail;
	}
	if (a->install_count == 0) {
		ynode_error(node, err, LADING_ERR_USAGE,
			    "a package source needs 'install' (the packages the nodes need)");
		goto fail;
	}
	if (a->architecture_count == 0) {
		a->architectures = xcalloc(2, sizeof(char *));
		a->architectures[a->architecture_count++] = xstrdup("amd64");
	}
	if (a->name == NULL)
		a->name = default_name(a->url, a->suite);
	if (!spec_name_is_valid(a->name)) {
		ynode_error(node, err, LADING_ERR_USAGE,
			    "package source name '%s' may hold only letters, digits, '.', '_', '-' (set name:)",
			    a->name);
		goto fail;
	}
	a->keyring = beside(node->file, keyring);
	a->baseline = baseline != NULL ? beside(node->file, baseline) : NULL;
	free(keyring);
	free(baseline);
	return 0;
fail:
	free(keyring);
	free(baseline);
	return -1;
}

int spec_sources_parse_packages(struct spec_sources *src, const struct ynode *node, struct lerr *err)
{
	size_t i, j;

	if (ynode_expect(node, YNODE_SEQ, "packages", err) != 0)
		return -1;
	for (i = 0; i < node->count; i++) {
		struct spec_apt *a;

		src->apts = grow_array(src->apts, src->apt_count, sizeof(*src->apts));
		a = &src->apts[src->apt_count++];
		memset(a, 0, sizeof(*a));
		if (parse_apt(a, node->items[i], err) != 0)
			return -1;
		for (j = 0; j + 1 < src->apt_count; j++)
			if (strcmp(src->apts[j].name, a->name) == 0)
				return ynode_error(
				    node->items[i], err, LADING_ERR_USAGE,
				    "package source name '%s' is used twice (give each source its own name:)", a->name);
	}
	return 0;
}

static void free_words(char **words, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(words[i]);
	free(words);
}

void spec_apt_free(struct spec_apt *a)
{
	free(a->name);
	free(a->url);
	free(a->suite);
	free_words(a->components, a->component_count);
	free_words(a->architectures, a->architecture_count);
	free(a->keyring);
	free_words(a->install, a->install_count);
	free(a->baseline);
	memset(a, 0, sizeof(*a));
}
