#define _GNU_SOURCE /* dirname, strndup */
#include "provision/vsphere/site.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"
#include "inventory/range.h"

#define SITE_MAX_BYTES (4u * 1024 * 1024)
#define KEY_MAX_BYTES (16u * 1024)
#define RANGE_MAX 4096

void vs_strv_free(char **items, size_t count)
{
	size_t i;

	for (i = 0; items != NULL && i < count; i++)
		free(items[i]);
	free(items);
}

/* Ranges as in inventories (inventory/range.h), with a cap that fits a list of VMs. */
static int expand(const struct ynode *node, const char *what, const char *pattern, char ***items, size_t *count,
		  struct lerr *err)
{
	size_t bad_offset = 0;

	if (inv_range_expand(pattern, items, count, &bad_offset, err) != 0)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s: '%s': %s", what, pattern, err->msg);
	if (*count > RANGE_MAX) {
		vs_strv_free(*items, *count);
		*items = NULL;
		return ynode_error(node, err, LADING_ERR_LIMIT, "%s: '%s' gives more than %d names", what, pattern,
				   RANGE_MAX);
	}
	return 0;
}

/* Site values end up in XML and YAML: no control characters, not even newlines. */
static int text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

void vs_site_free(struct vs_site *site)
{
	size_t i, j;

	if (site == NULL)
		return;
	for (i = 0; i < site->vm_count; i++) {
		struct vs_vm_spec *vm = &site->vms[i];

		free(vm->name);
		free(vm->group);
		free(vm->ip);
		free(vm->gateway);
		vs_strv_free(vm->dns, vm->dns_count);
		for (j = 0; j < vm->var_count; j++) {
			free(vm->vars[j].name);
			free(vm->vars[j].value);
		}
		free(vm->vars);
	}
	free(site->vms);
	free(site->file);
	free(site->url);
	free(site->username);
	free(site->ca_file);
	free(site->datacenter);
	free(site->template_path);
	free(site->cluster);
	free(site->resource_pool);
	free(site->datastore);
	free(site->folder);
	free(site->network);
	free(site->domain);
	free(site->ssh_authorized_key);
	free(site);
}

/* A string key: copied into *out when present; required keys fail when absent. */
static int get_text(const struct ynode *map, const char *key, int required, char **out, struct lerr *err)
{
	struct ynode *node = ynode_get(map, key);
	const char *value;

	if (node == NULL) {
		if (required)
			return ynode_error(map, err, LADING_ERR_USAGE, "vsphere: missing required key '%s'", key);
		return 0;
	}
	if (ynode_string(node, key, &value, err) != 0)
		return -1;
	if (value[0] == '\0' || !text_ok(value))
		return ynode_error(node, err, LADING_ERR_USAGE, "%s: must be non-empty text without control characters",
				   key);
	*out = xstrdup(value);
	return 0;
}

/* A path in the site file, relative to the site file's directory. */
static char *site_relative(const char *site_file, const char *path)
{
	char *copy, *joined;

	if (path[0] == '/')
		return xstrdup(path);
	copy = xstrdup(site_file);
	joined = xasprintf("%s/%s", dirname(copy), path);
	free(copy);
	return joined;
}

static int read_key_file(struct vs_site *site, const struct ynode *node, const char *path, struct lerr *err)
{
	struct buf data = BUF_INIT(KEY_MAX_BYTES);
	char *full = site_relative(site->file, path);
	size_t len;
	int r = -1;

	if (fs_read_file(full, &data, err) != 0) {
		ynode_error(node, err, LADING_ERR_USAGE, "ssh_authorized_key: cannot read '%s'", full);
		goto out;
	}
	len = data.len;
	while (len > 0 && (data.data[len - 1] == '\n' || data.data[len - 1] == '\r'))
		data.data[--len] = '\0';
	if (len == 0 || memchr(data.data, '\n', len) != NULL || !text_ok(data.data) ||
	    (strncmp(data.data, "ssh-", 4) != 0 && strncmp(data.data, "ecdsa-", 6) != 0)) {
		ynode_error(node, err, LADING_ERR_USAGE, "ssh_authorized_key: '%s' is not one OpenSSH public key line",
			    full);
		goto out;
	}
	site->ssh_authorized_key = xstrdup(data.data);
	r = 0;
out:
	free(full);
	buf_free(&data);
	return r;
}

/* "10.0.20.11/24" → address and prefix length. */
static int parse_cidr(const struct ynode *node, const char *text, char **ip, int *prefix_len, struct lerr *err)
{
	const char *slash = strchr(text, '/');
	struct in_addr addr;
	char *address;
	long prefix = 24;
	char *end;

	address = slash != NULL ? xstrndup(text, (size_t)(slash - text)) : xstrdup(text);
	if (slash != NULL) {
		prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || prefix < 1 || prefix > 32) {
			free(address);
			return ynode_error(node, err, LADING_ERR_USAGE, "ip: '%s': bad prefix length", text);
		}
	}
	if (inet_pton(AF_INET, address, &addr) != 1) {
		free(address);
		return ynode_error(node, err, LADING_ERR_USAGE, "ip: '%s' is not an IPv4 address", text);
	}
	*ip = address;
	*prefix_len = (int)prefix;
	return 0;
}

static int check_ipv4(const struct ynode *node, const char *what, const char *text, struct lerr *err)
{
	struct in_addr addr;

	if (inet_pton(AF_INET, text, &addr) != 1)
		return ynode_error(node, err, LADING_ERR_USAGE, "%s: '%s' is not an IPv4 address", what, text);
	return 0;
}

/* Fields shared by every VM of one `vms:` entry. */
struct entry {
	const struct ynode *map;
	char *group;
	long long cpus;
	long long memory_mb;
	char *gateway;
	char **dns;
	size_t dns_count;
	struct vs_var *vars;
	size_t var_count;
};

static int entry_common(struct entry *e, struct lerr *err)
{
	const struct ynode *node;
	size_t i;

	if (get_text(e->map, "group", 1, &e->group, err) != 0 || get_text(e->map, "gateway", 0, &e->gateway, err) != 0)
		return -1;
	if (e->gateway != NULL && check_ipv4(ynode_get(e->map, "gateway"), "gateway", e->gateway, err) != 0)
		return -1;
	if ((node = ynode_get(e->map, "cpus")) != NULL && ynode_int(node, "cpus", 1, 768, &e->cpus, err) != 0)
		return -1;
	if ((node = ynode_get(e->map, "memory_mb")) != NULL &&
	    ynode_int(node, "memory_mb", 4, 24LL * 1024 * 1024, &e->memory_mb, err) != 0)
		return -1;
	if ((node = ynode_get(e->map, "dns")) != NULL) {
		if (ynode_expect(node, YNODE_SEQ, "dns", err) != 0)
			return -1;
		e->dns = xcalloc(node->count + 1, sizeof(char *));
		for (i = 0; i < node->count; i++) {
			const char *server;

			if (ynode_string(node->items[i], "dns", &server, err) != 0 ||
			    check_ipv4(node->items[i], "dns", server, err) != 0)
				return -1;
			e->dns[e->dns_count++] = xstrdup(server);
		}
	}
	if ((node = ynode_get(e->map, "vars")) != NULL) {
		if (ynode_expect(node, YNODE_MAP, "vars", err) != 0)
			return -1;
		e->vars = xcalloc(node->count + 1, sizeof(*e->vars));
		for (i = 0; i < node->count; i++) {
			const char *value;

			if (ynode_string(node->pairs[i].value, node->pairs[i].key->value, &value, err) != 0)
				return -1;
			if (!text_ok(value) || !text_ok(node->pairs[i].key->value))
				return ynode_error(node->pairs[i].value, err, LADING_ERR_USAGE,
						   "vars: control characters in '%s'", node->pairs[i].key->value);
			e->vars[e->var_count].name = xstrdup(node->pairs[i].key->value);
			e->vars[e->var_count++].value = xstrdup(value);
		}
	}
	return 0;
}

static void entry_free(struct entry *e)
{
	size_t i;

	free(e->group);
	free(e->gateway);
	vs_strv_free(e->dns, e->dns_count);
	for (i = 0; i < e->var_count; i++) {
		free(e->vars[i].name);
		free(e->vars[i].value);
	}
	free(e->vars);
}

static void add_vm(struct vs_site *site, const struct entry *e, const char *name, char *ip, int prefix_len)
{
	struct vs_vm_spec *vm;
	size_t i;

	site->vms = grow_array(site->vms, site->vm_count, sizeof(*site->vms));
	vm = &site->vms[site->vm_count++];
	memset(vm, 0, sizeof(*vm));
	vm->name = xstrdup(name);
	vm->group = xstrdup(e->group);
	vm->cpus = e->cpus;
	vm->memory_mb = e->memory_mb;
	vm->ip = ip;
	vm->prefix_len = prefix_len;
	vm->gateway = e->gateway != NULL ? xstrdup(e->gateway) : NULL;
	vm->dns = xcalloc(e->dns_count + 1, sizeof(char *));
	for (i = 0; i < e->dns_count; i++)
		vm->dns[vm->dns_count++] = xstrdup(e->dns[i]);
	vm->vars = xcalloc(e->var_count + 1, sizeof(*vm->vars));
	for (i = 0; i < e->var_count; i++) {
		vm->vars[vm->var_count].name = xstrdup(e->vars[i].name);
		vm->vars[vm->var_count++].value = xstrdup(e->vars[i].value);
	}
	vm->entry_line = e->map->line;
}

static int name_ok(const char *name)
{
	size_t i;

	/* A hostname label for the guest customization: letters, digits, '-'. */
	if (name[0] == '\0' || name[0] == '-' || strlen(name) > 63)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return 0;
	return 1;
}

static int parse_entry(struct vs_site *site, const struct ynode *map, struct lerr *err)
{
	static const char *const keys[] = {"name", "group", "cpus", "memory_mb", "ip", "gateway", "dns", "vars", NULL};
	struct entry e = {.map = map};
	char **names = NULL, **ips = NULL;
	size_t name_count = 0, ip_count = 0, i, j;
	const char *pattern, *ip_pattern = NULL;
	int r = -1;

	if (ynode_check_keys(map, keys, "vsphere.vms entry", err) != 0 || entry_common(&e, err) != 0)
		goto out;
	if (ynode_get(map, "name") == NULL) {
		ynode_error(map, err, LADING_ERR_USAGE, "vsphere.vms entry: missing required key 'name'");
		goto out;
	}
	if (ynode_string(ynode_get(map, "name"), "name", &pattern, err) != 0 ||
	    expand(ynode_get(map, "name"), "name", pattern, &names, &name_count, err) != 0)
		goto out;
	if (ynode_get(map, "ip") != NULL) {
		if (ynode_string(ynode_get(map, "ip"), "ip", &ip_pattern, err) != 0)
			goto out;
		if (expand(ynode_get(map, "ip"), "ip", ip_pattern, &ips, &ip_count, err) != 0)
			goto out;
		if (ip_count != name_count) {
			ynode_error(ynode_get(map, "ip"), err, LADING_ERR_USAGE,
				    "ip: '%s' gives %zu addresses for %zu names in '%s'", ip_pattern, ip_count,
				    name_count, pattern);
			goto out;
		}
	}
	for (i = 0; i < name_count; i++) {
		char *ip = NULL;
		int prefix_len = 0;

		if (!name_ok(names[i])) {
			ynode_error(ynode_get(map, "name"), err, LADING_ERR_USAGE,
				    "name: '%s' is not a host name (letters, digits and '-', at most 63)", names[i]);
			goto out;
		}
		for (j = 0; j < site->vm_count; j++)
			if (strcmp(site->vms[j].name, names[i]) == 0) {
				ynode_error(ynode_get(map, "name"), err, LADING_ERR_USAGE, "name: '%s' is listed twice",
					    names[i]);
				goto out;
			}
		if (ips != NULL && parse_cidr(ynode_get(map, "ip"), ips[i], &ip, &prefix_len, err) != 0)
			goto out;
		add_vm(site, &e, names[i], ip, prefix_len);
	}
	r = 0;
out:
	vs_strv_free(names, name_count);
	vs_strv_free(ips, ip_count);
	entry_free(&e);
	return r;
}

/* Inventory paths without a leading '/' are relative to the datacenter: "vm/lading" is "/DC0/vm/lading". */
static int inventory_paths(struct vs_site *site, const struct ynode *vs, struct lerr *err)
{
	static const char *const keys[] = {"template", "cluster", "resource_pool", "datastore", "folder",
					   "network",  NULL};
	char **fields[] = {&site->template_path, &site->cluster, &site->resource_pool,
			   &site->datastore,	 &site->folder,	 &site->network};
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		char *path = *fields[i];

		if (path == NULL || path[0] == '/')
			continue;
		if (site->datacenter == NULL)
			return ynode_error(ynode_get(vs, keys[i]), err, LADING_ERR_USAGE,
					   "%s: '%s' is relative: start it with '/' or set 'datacenter'", keys[i],
					   path);
		*fields[i] = xasprintf("/%s/%s", site->datacenter, path);
		free(path);
	}
	return 0;
}

static int parse_section(struct vs_site *site, const struct ynode *vs, struct lerr *err)
{
	static const char *const keys[] = {"url",
					   "username",
					   "ca_file",
					   "insecure_skip_verify",
					   "datacenter",
					   "template",
					   "cluster",
					   "resource_pool",
					   "datastore",
					   "folder",
					   "network",
					   "domain",
					   "vms",
					   "cloud_init",
					   "ssh_authorized_key",
					   NULL};
	const struct ynode *node, *vms;
	char *ca_file = NULL, *key_path = NULL;
	size_t i;
	int r = -1;

	if (ynode_check_keys(vs, keys, "vsphere", err) != 0 || get_text(vs, "url", 1, &site->url, err) != 0 ||
	    get_text(vs, "username", 1, &site->username, err) != 0 || get_text(vs, "ca_file", 0, &ca_file, err) != 0 ||
	    get_text(vs, "datacenter", 0, &site->datacenter, err) != 0 ||
	    get_text(vs, "template", 1, &site->template_path, err) != 0 ||
	    get_text(vs, "cluster", 0, &site->cluster, err) != 0 ||
	    get_text(vs, "resource_pool", 0, &site->resource_pool, err) != 0 ||
	    get_text(vs, "datastore", 0, &site->datastore, err) != 0 ||
	    get_text(vs, "folder", 1, &site->folder, err) != 0 ||
	    get_text(vs, "network", 0, &site->network, err) != 0 ||
	    get_text(vs, "domain", 0, &site->domain, err) != 0 ||
	    get_text(vs, "ssh_authorized_key", 0, &key_path, err) != 0)
		goto out;
	if (strncmp(site->url, "https://", 8) != 0) {
		ynode_error(ynode_get(vs, "url"), err, LADING_ERR_USAGE, "url: '%s' must start with https://",
			    site->url);
		goto out;
	}
	if ((site->cluster == NULL) == (site->resource_pool == NULL)) {
		ynode_error(vs, err, LADING_ERR_USAGE, "vsphere: give exactly one of 'cluster' and 'resource_pool'");
		goto out;
	}
	if ((node = ynode_get(vs, "insecure_skip_verify")) != NULL &&
	    ynode_bool(node, "insecure_skip_verify", &site->insecure, err) != 0)
		goto out;
	if ((node = ynode_get(vs, "cloud_init")) != NULL && ynode_bool(node, "cloud_init", &site->cloud_init, err) != 0)
		goto out;
	if (ca_file != NULL)
		site->ca_file = site_relative(site->file, ca_file);
	if (site->domain == NULL)
		site->domain = xstrdup("local");
	if (inventory_paths(site, vs, err) != 0)
		goto out;
	if (key_path != NULL && read_key_file(site, ynode_get(vs, "ssh_authorized_key"), key_path, err) != 0)
		goto out;
	if ((vms = ynode_get(vs, "vms")) == NULL) {
		ynode_error(vs, err, LADING_ERR_USAGE, "vsphere: missing required key 'vms'");
		goto out;
	}
	if (ynode_expect(vms, YNODE_SEQ, "vms", err) != 0)
		goto out;
	for (i = 0; i < vms->count; i++)
		if (ynode_expect(vms->items[i], YNODE_MAP, "vms entry", err) != 0 ||
		    parse_entry(site, vms->items[i], err) != 0)
			goto out;
	if (site->vm_count == 0) {
		ynode_error(vms, err, LADING_ERR_USAGE, "vms: no VMs listed");
		goto out;
	}
	r = 0;
out:
	free(ca_file);
	free(key_path);
	return r;
}

int vs_site_load(const char *path, struct vs_site **out, struct lerr *err)
{
	struct ydoc doc = {NULL, NULL};
	struct vs_site *site = xcalloc(1, sizeof(*site));
	const struct ynode *vs;
	int r = -1;

	site->file = xstrdup(path);
	if (ydoc_load_file(&doc, path, SITE_MAX_BYTES, err) != 0) {
		if (err->code != LADING_ERR_SYSTEM)
			lerr_input(err); /* a syntax error or too deep nesting: the user's input, exit 2 */
		goto out;
	}
	if (doc.root == NULL || doc.root->type != YNODE_MAP) {
		lerr_set(err, LADING_ERR_USAGE, "%s: expected a mapping at the top", path);
		goto out;
	}
	if ((vs = ynode_get(doc.root, "vsphere")) == NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s: no 'vsphere' section", path);
		goto out;
	}
	if (ynode_expect(vs, YNODE_MAP, "vsphere", err) != 0 || parse_section(site, vs, err) != 0)
		goto out;
	*out = site;
	site = NULL;
	r = 0;
out:
	vs_site_free(site);
	ydoc_free(&doc);
	return r;
}
