/*
 * The registry-mirror role's files for engines other than containerd:
 * podman and CRI-O read containers-registries.conf.d(5) drop-ins (version 2
 * TOML: a [[registry]] per upstream with [[registry.mirror]] entries tried
 * first) and certs.d/<host:port>/ca.crt; Docker Engine reads registry-mirrors
 * (docker.io only, at a registry's root) and insecure-registries from
 * daemon.json, and certs.d/<host:port>/ca.crt. The path under the site
 * registry is the one `bundle push` and `serve` give (images/naming.h):
 * prefix, then the upstream host when keep_host (':' as '-'), then the
 * upstream's own path.
 */
#include "provision/roles.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

enum role_mirror_kind role_mirror_kind(const char *dir)
{
	const char *base;
	size_t len;

	if (dir == NULL)
		return ROLE_MIRROR_CONTAINERD;
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	for (base = dir + len; base > dir && base[-1] != '/'; base--)
		;
	if ((size_t)(dir + len - base) == strlen("containers") && strncmp(base, "containers", 10) == 0)
		return ROLE_MIRROR_CONTAINERS;
	if ((size_t)(dir + len - base) == strlen("docker") && strncmp(base, "docker", 6) == 0)
		return ROLE_MIRROR_DOCKER;
	return ROLE_MIRROR_CONTAINERD;
}

char *role_mirror_path(const struct site_registry *reg, const char *upstream, int keep_host)
{
	struct buf out = BUF_INIT(0);
	const char *p;

	if (reg->prefix != NULL && reg->prefix[0] != '\0')
		buf_puts(&out, reg->prefix);
	if (keep_host) {
		if (out.len > 0)
			buf_puts(&out, "/");
		/* as naming_map: a port's ':' cannot be in a repository name */
		for (p = upstream; *p != '\0'; p++)
			buf_add(&out, *p == ':' ? "-" : p, 1, NULL);
	}
	if (out.data == NULL)
		buf_puts(&out, "");
	return buf_detach(&out, NULL);
}

char *role_containers_conf(const struct site_registry *reg, int keep_host)
{
	struct buf out = BUF_INIT(0);
	int insecure = reg->plain_http || reg->skip_verify;
	size_t i;

	buf_printf(&out,
		   "# written by lading (registry-mirror): pulls of these registries go to %s first,\n"
		   "# then to the registry itself (containers-registries.conf(5), version 2)\n",
		   reg->address);
	for (i = 0; i < reg->mirror_count; i++) {
		char *path = role_mirror_path(reg, reg->mirrors[i], keep_host);

		buf_printf(&out, "\n[[registry]]\nprefix = \"%s\"\nlocation = \"%s\"\n\n", reg->mirrors[i],
			   reg->mirrors[i]);
		buf_printf(&out, "[[registry.mirror]]\nlocation = \"%s%s%s\"\n", reg->address,
			   path[0] != '\0' ? "/" : "", path);
		if (insecure)
			buf_puts(&out, "insecure = true\n");
		free(path);
	}
	return buf_detach(&out, NULL);
}

/* Adds value to the array under key (created when missing), first when it is new; 1 = it was there. */
static int array_put_first(json_t *object, const char *key, const char *value, struct lerr *err)
{
	json_t *array = json_object_get(object, key), *item;
	size_t i;

	if (array == NULL) {
		array = json_array();
		json_object_set_new(object, key, array);
	} else if (!json_is_array(array)) {
		return lerr_set(err, LADING_ERR_FORMAT, "'%s' is not a list", key);
	}
	json_array_foreach(array, i, item)
	{
		if (json_is_string(item) && strcmp(json_string_value(item), value) == 0)
			return 0;
	}
	json_array_insert_new(array, 0, json_string(value));
	return 0;
}

int role_docker_daemon_json(const char *current, size_t len, const struct site_registry *reg, int keep_host, char **out,
			    struct lerr *err)
{
	json_t *config;
	json_error_t jerr;
	char *mirror, *text;
	int rc = -1;

	*out = NULL;
	if ((reg->prefix != NULL && reg->prefix[0] != '\0') || keep_host)
		return lerr_set(err, LADING_ERR_USAGE,
				"Docker Engine mirrors docker.io only at a registry's root, and the site registry "
				"names images under '%s/': push without --prefix and --keep-host for Docker nodes",
				reg->prefix != NULL && reg->prefix[0] != '\0' ? reg->prefix : "docker.io");
	if (current == NULL || len == 0 || strspn(current, " \t\r\n") == len) {
		config = json_object();
	} else if ((config = json_loadb(current, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		return lerr_set(err, LADING_ERR_FORMAT,
				"is not valid JSON (line %d: %s): fix it, lading leaves it alone", jerr.line,
				jerr.text);
	} else if (!json_is_object(config)) {
		json_decref(config);
		return lerr_set(err, LADING_ERR_FORMAT, "is not a JSON object: fix it, lading leaves it alone");
	}
	mirror = xasprintf("%s://%s", reg->plain_http ? "http" : "https", reg->address);
	if (array_put_first(config, "registry-mirrors", mirror, err) != 0 ||
	    ((reg->plain_http || reg->skip_verify) &&
	     array_put_first(config, "insecure-registries", reg->address, err) != 0)) {
		lerr_prefix(err, "has a bad value");
		goto out;
	}
	if ((text = json_dumps(config, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		lerr_set(err, LADING_ERR_SYSTEM, "cannot write JSON");
		goto out;
	}
	*out = xasprintf("%s\n", text);
	free(text);
	rc = 0;
out:
	free(mirror);
	json_decref(config);
	return rc;
}
