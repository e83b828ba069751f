/*
 * Role lookup and the registry-mirror role's containerd configuration.
 * containerd's registry host namespace (docs/hosts.md, containerd 1.5+):
 * certs.d/<upstream>/hosts.toml with `server` (the upstream, used last) and
 * one [host."<url>"] table per mirror, tried first; override_path = true
 * makes containerd use the URL path as given instead of appending /v2.
 */
#include "provision/roles.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

int roles_builtin_parse(struct site_role **roles, size_t *count, struct lerr *err)
{
	size_t total = roles_builtin_count(), i;
	struct site_role *list = xcalloc(total + 1, sizeof(*list));
	int rc = -1;

	for (i = 0; i < total; i++) {
		const char *name = roles_builtin_name(i);
		const char *text = roles_builtin_text(name);
		char *label = xasprintf("built-in role %s", name);
		struct ydoc doc = {0};

		list[i].name = xstrdup(name);
		if (ydoc_load_string(&doc, label, text, strlen(text), err) == 0 && doc.root != NULL &&
		    site_steps_parse(doc.root, NULL, &list[i].steps, &list[i].step_count, err) == 0)
			rc = 0;
		else
			rc = -1;
		ydoc_free(&doc);
		free(label);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		for (i = 0; i < total; i++) {
			free(list[i].name);
			site_steps_free(list[i].steps, list[i].step_count);
		}
		free(list);
		return -1;
	}
	*roles = list;
	*count = total;
	return 0;
}

const struct site_role *role_find(const struct site *site, const char *name)
{
	size_t i;

	for (i = 0; i < site->role_count; i++)
		if (strcmp(site->roles[i].name, name) == 0)
			return &site->roles[i];
	for (i = 0; i < site->builtin_role_count; i++)
		if (strcmp(site->builtin_roles[i].name, name) == 0)
			return &site->builtin_roles[i];
	return NULL;
}

/* Where containerd goes when no mirror answers: Docker Hub's API host is not docker.io. */
static const char *upstream_server(const char *upstream)
{
	if (strcmp(upstream, "docker.io") == 0)
		return "registry-1.docker.io";
	return upstream;
}

char *role_hosts_toml(const struct site_registry *reg, const char *upstream, const char *ca_path)
{
	return role_hosts_toml_named(reg, upstream, ca_path, 0);
}

char *role_hosts_toml_named(const struct site_registry *reg, const char *upstream, const char *ca_path, int keep_host)
{
	struct buf out = BUF_INIT(0);
	const char *scheme = reg->plain_http ? "http" : "https";
	char *path = role_mirror_path(reg, upstream, keep_host);

	buf_printf(&out, "# written by lading (registry-mirror): pulls of %s go to %s\n", upstream, reg->address);
	buf_printf(&out, "server = \"https://%s\"\n\n", upstream_server(upstream));
	if (path[0] != '\0')
		buf_printf(&out, "[host.\"%s://%s/v2/%s\"]\n", scheme, reg->address, path);
	else
		buf_printf(&out, "[host.\"%s://%s\"]\n", scheme, reg->address);
	buf_puts(&out, "  capabilities = [\"pull\", \"resolve\"]\n");
	if (path[0] != '\0')
		buf_puts(&out, "  override_path = true\n");
	if (!reg->plain_http && reg->ca_file != NULL && ca_path != NULL)
		buf_printf(&out, "  ca = \"%s\"\n", ca_path);
	if (!reg->plain_http && reg->skip_verify)
		buf_puts(&out, "  skip_verify = true\n");
	free(path);
	return buf_detach(&out, NULL);
}

static void add_field(struct buf *out, const char *field, const char *value)
{
	if (value != NULL && value[0] != '\0')
		buf_printf(out, "%s: %s\n", field, value);
}

char *role_apt_sources(const struct role_apt_source *src)
{
	struct buf out = BUF_INIT(0);

	buf_puts(&out, "# written by lading (apt-repo)\n"
		       "# Check-Valid-Until: no because the archive is a snapshot: its InRelease keeps the\n"
		       "# Valid-Until of the day it was fetched (a week for security archives), and a site\n"
		       "# installs from it long after. The signature is still checked against Signed-By.\n"
		       "Types: deb\n");
	add_field(&out, "URIs", src->uris);
	add_field(&out, "Suites", src->suites);
	add_field(&out, "Components", src->components);
	add_field(&out, "Architectures", src->architectures);
	add_field(&out, "Signed-By", src->signed_by);
	buf_puts(&out, "Check-Valid-Until: no\n");
	return buf_detach(&out, NULL);
}
