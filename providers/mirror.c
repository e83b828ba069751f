#include "providers/mirror.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "providers/dirhash.h"

int provider_zip_name_parse(const char *file_name, const char *type, char *version, size_t version_len, char *platform,
			    size_t platform_len)
{
	char *prefix = xasprintf("terraform-provider-%s_", type);
	size_t prefix_len = strlen(prefix), name_len = strlen(file_name);
	const char *rest, *first, *second;
	int r = -1;

	/* Terraform matches the packed layout's names case-insensitively. */
	if (name_len <= prefix_len + 4 || strncasecmp(file_name, prefix, prefix_len) != 0 ||
	    strcasecmp(file_name + name_len - 4, ".zip") != 0)
		goto out;
	rest = file_name + prefix_len;
	first = strchr(rest, '_');
	second = first != NULL ? strchr(first + 1, '_') : NULL;
	if (first == NULL || second == NULL || strchr(second + 1, '_') != NULL)
		goto out;
	if ((size_t)(first - rest) >= version_len || (size_t)(file_name + name_len - 4 - first - 1) >= platform_len ||
	    first == rest)
		goto out;
	snprintf(version, version_len, "%.*s", (int)(first - rest), rest);
	snprintf(platform, platform_len, "%.*s", (int)(file_name + name_len - 4 - first - 1), first + 1);
	r = 0;
out:
	free(prefix);
	return r;
}

static int write_json(const char *path, json_t *doc, struct lerr *err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int r;

	if (text == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "cannot encode '%s'", path);
	r = fs_write_file(path, text, strlen(text), 0644, err);
	free(text);
	return r;
}

static int add_archive(json_t *versions, const char *dir, const char *file_name, const char *version,
		       const char *platform, struct lerr *err)
{
	char *path = xasprintf("%s/%s", dir, file_name);
	char h1[DIRHASH_H1_MAX], zh[DIRHASH_H1_MAX + 16];
	json_t *archives, *entry;
	int r = -1;

	if (dirhash_h1_zip(path, h1, err) != 0 || dirhash_zh(path, zh, err) != 0)
		goto out;
	archives = json_object_get(versions, version);
	if (archives == NULL) {
		archives = json_object();
		json_object_set_new(versions, version, archives);
	}
	entry = json_pack("{s:s, s:[s,s]}", "url", file_name, "hashes", h1, zh);
	json_object_set_new(archives, platform, entry);
	r = 0;
out:
	free(path);
	return r;
}

int provider_mirror_write_json(const char *dir, const char *type, struct lerr *err)
{
	json_t *versions = json_object(), *index = json_object();
	const char *version;
	json_t *archives;
	struct dirent *ent;
	DIR *d = opendir(dir);
	int r = -1;

	if (d == NULL) {
		lerr_sys(err, "cannot read directory '%s'", dir);
		goto out;
	}
	while ((ent = readdir(d)) != NULL) {
		char ver[128], platform[128];

		if (provider_zip_name_parse(ent->d_name, type, ver, sizeof(ver), platform, sizeof(platform)) != 0)
			continue;
		if (add_archive(versions, dir, ent->d_name, ver, platform, err) != 0)
			goto out;
	}
	json_object_set_new(index, "versions", json_object());
	json_object_foreach(versions, version, archives)
	{
		char *path = xasprintf("%s/%s.json", dir, version);
		json_t *doc = json_pack("{s:O}", "archives", archives);
		int failed = write_json(path, doc, err);

		json_decref(doc);
		free(path);
		if (failed)
			goto out;
		json_object_set_new(json_object_get(index, "versions"), version, json_object());
	}
	{
		char *path = xasprintf("%s/index.json", dir);

		r = write_json(path, index, err);
		free(path);
	}
out:
	if (d != NULL)
		closedir(d);
	json_decref(versions);
	json_decref(index);
	return r;
}
