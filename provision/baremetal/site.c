#define _GNU_SOURCE /* dirname */
#include "provision/baremetal/site.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"
#include "lib/yamltree.h"

#define BM_SITE_MAX_BYTES (4u * 1024 * 1024)
#define BM_PASSWORD_MAX_BYTES 1024u

/* Keys a node may set, and the ones that may also be given beside `nodes:` as defaults. */
static const char *const node_keys[] = {"name",	    "bmc",	    "protocol",	      "system",	     "user",
					"user_env", "password_env", "password_file",  "ca",	     "address",
					"mac",	    "groups",	    "vars",	      "kernel",	     "initrd",
					"isolinux", "iso",	    "authorized_key", "registry_ca", "boot_mode",
					"network",  "prefix",	    "gateway",	      "dns",	     NULL};
static const char *const section_keys[] = {
    "nodes",   "protocol", "user", "user_env",	     "password_env", "password_file", "ca",	 "kernel",
    "initrd",  "isolinux", "iso",  "authorized_key", "registry_ca",  "boot_mode",     "network", "prefix",
    "gateway", "dns",	   NULL};

void bm_site_free(struct bm_site *site)
{
	size_t i, j;

	if (site == NULL)
		return;
	for (i = 0; i < site->node_count; i++) {
		struct bm_node *node = &site->nodes[i];

		free(node->name);
		free(node->bmc);
		free(node->system);
		free(node->user);
		free(node->user_env);
		free(node->password_env);
		free(node->password_file);
		free(node->ca_file);
		free(node->address);
		free(node->mac);
		free(node->kernel);
		free(node->initrd);
		free(node->isolinux);
		free(node->iso);
		free(node->authorized_key);
		free(node->registry_ca);
		free(node->gateway);
		free(node->dns);
		for (j = 0; j < node->group_count; j++)
			free(node->groups[j]);
		free(node->groups);
		for (j = 0; j < node->var_count; j++) {
			free(node->vars[j].name);
			free(node->vars[j].value);
		}
		free(node->vars);
	}
	free(site->nodes);
	free(site->file);
	free(site);
}

/* Values end up in URLs, headers, logs and inventories: no control characters at all. */
static int printable(const char *text)
{
	for (; *text != '\0'; text++)
		if ((unsigned char)*text < 0x20 || *text == 0x7f)
			return 0;
	return 1;
}

/* Keys that say the same thing two ways: a node that gives either one takes no default for the other. */
static const char *const alternatives[][2] = {{"user", "user_env"}, {"password_env", "password_file"}};

/* The node's own value for key, else the section's default, else NULL. */
static const struct ynode *lookup(const struct ynode *entry, const struct ynode *section, const char *key)
{
	const struct ynode *value = ynode_get(entry, key);
	size_t i;

	if (value != NULL || strcmp(key, "nodes") == 0)
		return value;
	for (i = 0; i < sizeof(alternatives) / sizeof(alternatives[0]); i++)
		if ((strcmp(key, alternatives[i][0]) == 0 && ynode_get(entry, alternatives[i][1]) != NULL) ||
		    (strcmp(key, alternatives[i][1]) == 0 && ynode_get(entry, alternatives[i][0]) != NULL))
			return NULL;
	for (i = 0; section_keys[i] != NULL; i++)
		if (strcmp(section_keys[i], key) == 0)
			return ynode_get(section, key);
	return NULL;
}

/* A scalar field as one line of printable text, copied into *out; absent leaves *out NULL. */
static int field_text(const struct ynode *entry, const struct ynode *section, const char *key, char **out,
		      struct lerr *err)
{
	const struct ynode *value = lookup(entry, section, key);
	const char *text;

	if (value == NULL)
		return 0;
	if (ynode_string(value, key, &text, err) != 0)
		return -1;
	if (text[0] == '\0' || !printable(text))
		return ynode_error(value, err, LADING_ERR_USAGE, "%s: give non-empty text without control characters",
				   key);
	*out = xstrdup(text);
	return 0;
}

int bm_whole_number(const char *text, long min, long max, long *out)
{
	size_t len = strspn(text, "0123456789");
	long value;

	if (len == 0 || len > 9 || text[len] != '\0')
		return -1;
	value = strtol(text, NULL, 10);
	if (value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

static char *relative_to_site(const char *site_file, const char *path)
{
	char *dir_copy, *joined;

	if (path[0] == '/')
		return xstrdup(path);
	dir_copy = xstrdup(site_file);
	joined = xasprintf("%s/%s", dirname(dir_copy), path);
	free(dir_copy);
	return joined;
}

/* A host name label: it names the node in the inventory and in every message. */
static int host_label(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '.')
			return 0;
	return 1;
}

/* IPMI's "HOST[:PORT]" (UDP, 623 by default): a host name or address, no scheme, user or path. */
static int check_ipmi_bmc(const struct ynode *value, const char *bmc, struct lerr *err)
{
	const char *colon = strrchr(bmc, ':');
	size_t i, host_len = colon != NULL && strchr(bmc, ']') == NULL && strchr(bmc, ':') == colon
				 ? (size_t)(colon - bmc)
				 : strlen(bmc);
	int ok = host_len > 0 && bmc[0] != '-';

	if (strstr(bmc, "://") != NULL)
		return ynode_error(
		    value, err, LADING_ERR_USAGE,
		    "bmc: '%s': an IPMI BMC is HOST[:PORT] (UDP 623 by default); https:// is for redfish", bmc);
	for (i = 0; i < host_len && ok; i++)
		ok = isalnum((unsigned char)bmc[i]) || strchr("-._", bmc[i]) != NULL;
	if (ok && host_len < strlen(bmc)) {
		long port;

		ok = bm_whole_number(bmc + host_len + 1, 1, 65535, &port) == 0;
	}
	if (!ok)
		return ynode_error(value, err, LADING_ERR_USAGE, "bmc: '%s' is not HOST[:PORT] for IPMI", bmc);
	return 0;
}

/* "https://host[:port]" with an optional path; stored without the trailing '/'. */
static int check_bmc(const struct ynode *value, char *bmc, enum bm_protocol protocol, struct lerr *err)
{
	size_t len = strlen(bmc);

	if (protocol == BM_PROTOCOL_IPMI)
		return check_ipmi_bmc(value, bmc, err);
	if (strncmp(bmc, "https://", 8) != 0)
		return ynode_error(value, err, LADING_ERR_USAGE,
				   "bmc: '%s' must start with https:// (lading always verifies the BMC's TLS)", bmc);
	if (bmc[8] == '\0' || bmc[8] == '/' || strpbrk(bmc, " @?#") != NULL)
		return ynode_error(value, err, LADING_ERR_USAGE,
				   "bmc: '%s' is not https://HOST[:PORT] (no user, query or spaces)", bmc);
	while (len > 8 && bmc[len - 1] == '/')
		bmc[--len] = '\0';
	return 0;
}

static int check_mac(const struct ynode *value, char *mac, struct lerr *err)
{
	size_t i;

	for (i = 0; i < 17; i++)
		if (mac[i] == '\0' || (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i])))
			break;
	if (i != 17 || mac[17] != '\0')
		return ynode_error(value, err, LADING_ERR_USAGE, "mac: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
				   mac);
	for (i = 0; i < 17; i++)
		mac[i] = (char)tolower((unsigned char)mac[i]);
	return 0;
}

static int check_address(const struct ynode *value, const char *key, const char *address, struct lerr *err)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, address, addr) != 1 && inet_pton(AF_INET6, address, addr) != 1)
		return ynode_error(value, err, LADING_ERR_USAGE, "%s: '%s' is not an IPv4 or IPv6 address", key,
				   address);
	return 0;
}

static int read_protocol(struct bm_node *node, const struct ynode *entry, const struct ynode *section, struct lerr *err)
{
	const struct ynode *value = lookup(entry, section, "protocol");
	const char *text;

	node->protocol = BM_PROTOCOL_REDFISH;
	if (value == NULL)
		return 0;
	if (ynode_string(value, "protocol", &text, err) != 0)
		return -1;
	if (strcmp(text, "ipmi") == 0)
		node->protocol = BM_PROTOCOL_IPMI;
	else if (strcmp(text, "redfish") != 0)
		return ynode_error(value, err, LADING_ERR_USAGE, "protocol: '%s' is not redfish or ipmi", text);
	return 0;
}

/* groups: one name or a list of names. */
static int read_groups(struct bm_node *node, const struct ynode *entry, struct lerr *err)
{
	const struct ynode *value = ynode_get(entry, "groups");
	size_t i, count;

	if (value == NULL)
		return 0;
	count = value->type == YNODE_SEQ ? value->count : 1;
	if (value->type == YNODE_MAP)
		return ynode_error(value, err, LADING_ERR_USAGE, "groups: give a group name or a list of them");
	node->groups = xcalloc(count + 1, sizeof(char *));
	for (i = 0; i < count; i++) {
		const struct ynode *item = value->type == YNODE_SEQ ? value->items[i] : value;
		const char *group;

		if (ynode_string(item, "groups", &group, err) != 0)
			return -1;
		if (!host_label(group))
			return ynode_error(item, err, LADING_ERR_USAGE,
					   "groups: '%s' is not a group name (letters, digits, '-', '_', '.')", group);
		node->groups[node->group_count++] = xstrdup(group);
	}
	return 0;
}

static int read_vars(struct bm_node *node, const struct ynode *entry, struct lerr *err)
{
	const struct ynode *value = ynode_get(entry, "vars");
	size_t i;
	long port;

	node->ssh_port = 22;
	if (value == NULL)
		return 0;
	if (ynode_expect(value, YNODE_MAP, "vars", err) != 0)
		return -1;
	node->vars = xcalloc(value->count + 1, sizeof(*node->vars));
	for (i = 0; i < value->count; i++) {
		const char *key = value->pairs[i].key->value, *text;

		if (ynode_string(value->pairs[i].value, key, &text, err) != 0)
			return -1;
		if (!printable(key) || !printable(text))
			return ynode_error(value->pairs[i].value, err, LADING_ERR_USAGE,
					   "vars: '%s' holds control characters", key);
		/* up logs in on this port: a typo must not become port 0 after the node was booted. */
		if (strcmp(key, "ansible_port") == 0) {
			if (bm_whole_number(text, 1, 65535, &port) != 0)
				return ynode_error(value->pairs[i].value, err, LADING_ERR_USAGE,
						   "%s: ansible_port '%s': not a port number (1-65535)", node->name,
						   text);
			node->ssh_port = (int)port;
		}
		node->vars[node->var_count].name = xstrdup(key);
		node->vars[node->var_count++].value = xstrdup(text);
	}
	return 0;
}

/* A word among choices (e.g. boot_mode: uefi|legacy): *flag is 1 for the first, 0 for the second. */
static int read_choice(const struct ynode *entry, const struct ynode *section, const char *key, const char *yes,
		       const char *no, int *flag, struct lerr *err)
{
	const struct ynode *value = lookup(entry, section, key);
	const char *text;

	*flag = 0;
	if (value == NULL)
		return 0;
	if (ynode_string(value, key, &text, err) != 0)
		return -1;
	if (strcmp(text, yes) == 0)
		*flag = 1;
	else if (strcmp(text, no) != 0)
		return ynode_error(value, err, LADING_ERR_USAGE, "%s: '%s' is not %s or %s", key, text, yes, no);
	return 0;
}

/* dns: one address or a list of them, kept as one space-separated line. */
static int read_dns(struct bm_node *node, const struct ynode *entry, const struct ynode *section, struct lerr *err)
{
	const struct ynode *value = lookup(entry, section, "dns");
	struct buf line = BUF_INIT(0);
	size_t i, count;

	if (value == NULL)
		return 0;
	if (value->type == YNODE_MAP)
		return ynode_error(value, err, LADING_ERR_USAGE, "dns: give an address or a list of them");
	count = value->type == YNODE_SEQ ? value->count : 1;
	for (i = 0; i < count; i++) {
		const struct ynode *item = value->type == YNODE_SEQ ? value->items[i] : value;
		const char *text;

		if (ynode_string(item, "dns", &text, err) != 0 || check_address(item, "dns", text, err) != 0) {
			buf_free(&line);
			return -1;
		}
		buf_printf(&line, "%s%s", i > 0 ? " " : "", text);
	}
	if (line.len > 0)
		node->dns = xstrndup(line.data, line.len);
	buf_free(&line);
	return 0;
}

/* The boot image's inputs and the node's network as the image configures it. */
static int read_boot(struct bm_site *site, struct bm_node *node, const struct ynode *entry, const struct ynode *section,
		     struct lerr *err)
{
	char **paths[] = {&node->kernel, &node->initrd,		&node->isolinux,
			  &node->iso,	 &node->authorized_key, &node->registry_ca};
	static const char *const path_keys[] = {"kernel", "initrd", "isolinux", "iso", "authorized_key", "registry_ca"};
	const struct ynode *value;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (field_text(entry, section, path_keys[i], paths[i], err) != 0)
			return -1;
		if (*paths[i] != NULL) {
			char *full = relative_to_site(site->file, *paths[i]);

			free(*paths[i]);
			*paths[i] = full;
		}
	}
	if (node->iso != NULL && (node->kernel != NULL || node->initrd != NULL))
		return ynode_error(entry, err, LADING_ERR_USAGE,
				   "node '%s': give either 'iso' (a ready image) or 'kernel' and 'initrd', not both",
				   node->name);
	if (read_choice(entry, section, "boot_mode", "uefi", "legacy", &node->uefi, err) != 0 ||
	    read_choice(entry, section, "network", "dhcp", "static", &node->dhcp, err) != 0 ||
	    field_text(entry, section, "gateway", &node->gateway, err) != 0 || read_dns(node, entry, section, err) != 0)
		return -1;
	if (node->gateway != NULL &&
	    check_address(lookup(entry, section, "gateway"), "gateway", node->gateway, err) != 0)
		return -1;
	node->prefix = node->address != NULL && strchr(node->address, ':') != NULL ? 64 : 24;
	if ((value = lookup(entry, section, "prefix")) != NULL) {
		const char *text;
		long prefix;

		if (ynode_string(value, "prefix", &text, err) != 0)
			return -1;
		if (bm_whole_number(text, 1, 128, &prefix) != 0 ||
		    (prefix > 32 && (node->address == NULL || strchr(node->address, ':') == NULL)))
			return ynode_error(value, err, LADING_ERR_USAGE,
					   "prefix: '%s' is not a prefix length (1-32 for IPv4, 1-128 for IPv6)", text);
		node->prefix = (int)prefix;
	}
	return 0;
}

/* Credentials are named, never given: exactly one password source, a user name or where to find it. */
static int check_credentials(struct bm_site *site, struct bm_node *node, const struct ynode *entry, struct lerr *err)
{
	if ((node->user == NULL) == (node->user_env == NULL))
		return ynode_error(entry, err, LADING_ERR_USAGE, "node '%s': give exactly one of 'user' and 'user_env'",
				   node->name);
	if ((node->password_env == NULL) == (node->password_file == NULL))
		return ynode_error(entry, err, LADING_ERR_USAGE,
				   "node '%s': give exactly one of 'password_env' and 'password_file' (passwords "
				   "are never written in the site file)",
				   node->name);
	if (node->password_file != NULL) {
		char *full = relative_to_site(site->file, node->password_file);

		free(node->password_file);
		node->password_file = full;
	}
	if (node->ca_file != NULL) {
		char *full = relative_to_site(site->file, node->ca_file);

		free(node->ca_file);
		node->ca_file = full;
	}
	return 0;
}

static int parse_node(struct bm_site *site, const struct ynode *entry, const struct ynode *section, struct lerr *err)
{
	struct bm_node *node;
	size_t i;

	if (ynode_expect(entry, YNODE_MAP, "baremetal.nodes entry", err) != 0 ||
	    ynode_check_keys(entry, node_keys, "baremetal.nodes entry", err) != 0)
		return -1;
	site->nodes = grow_array(site->nodes, site->node_count, sizeof(*site->nodes));
	node = &site->nodes[site->node_count++];
	memset(node, 0, sizeof(*node));
	node->line = entry->line;
	if (field_text(entry, section, "name", &node->name, err) != 0)
		return -1;
	if (node->name == NULL)
		return ynode_error(entry, err, LADING_ERR_USAGE, "baremetal.nodes entry: missing required key 'name'");
	if (!host_label(node->name))
		return ynode_error(ynode_get(entry, "name"), err, LADING_ERR_USAGE,
				   "name: '%s' is not a host name (letters, digits, '-', '_', '.', at most 63)",
				   node->name);
	for (i = 0; i + 1 < site->node_count; i++)
		if (strcmp(site->nodes[i].name, node->name) == 0)
			return ynode_error(ynode_get(entry, "name"), err, LADING_ERR_USAGE,
					   "name: '%s' is listed twice", node->name);
	if (field_text(entry, section, "bmc", &node->bmc, err) != 0 ||
	    field_text(entry, section, "system", &node->system, err) != 0 ||
	    field_text(entry, section, "user", &node->user, err) != 0 ||
	    field_text(entry, section, "user_env", &node->user_env, err) != 0 ||
	    field_text(entry, section, "password_env", &node->password_env, err) != 0 ||
	    field_text(entry, section, "password_file", &node->password_file, err) != 0 ||
	    field_text(entry, section, "ca", &node->ca_file, err) != 0 ||
	    field_text(entry, section, "address", &node->address, err) != 0 ||
	    field_text(entry, section, "mac", &node->mac, err) != 0 || read_protocol(node, entry, section, err) != 0 ||
	    read_groups(node, entry, err) != 0 || read_vars(node, entry, err) != 0)
		return -1;
	if (node->bmc == NULL)
		return ynode_error(entry, err, LADING_ERR_USAGE, "node '%s': missing required key 'bmc'", node->name);
	if (check_bmc(lookup(entry, section, "bmc"), node->bmc, node->protocol, err) != 0 ||
	    (node->mac != NULL && check_mac(ynode_get(entry, "mac"), node->mac, err) != 0) ||
	    (node->address != NULL && check_address(ynode_get(entry, "address"), "address", node->address, err) != 0))
		return -1;
	if (read_boot(site, node, entry, section, err) != 0)
		return -1;
	return check_credentials(site, node, entry, err);
}

static int parse_root(struct bm_site *site, const struct ydoc *doc, struct lerr *err)
{
	const struct ynode *section, *nodes;
	size_t i;

	if (doc->root == NULL || doc->root->type != YNODE_MAP)
		return lerr_set(err, LADING_ERR_USAGE, "%s: expected a mapping at the top", site->file);
	if ((section = ynode_get(doc->root, "baremetal")) == NULL)
		return lerr_set(err, LADING_ERR_USAGE, "%s: no 'baremetal' section", site->file);
	if (ynode_expect(section, YNODE_MAP, "baremetal", err) != 0 ||
	    ynode_check_keys(section, section_keys, "baremetal", err) != 0)
		return -1;
	if ((nodes = ynode_get(section, "nodes")) == NULL)
		return ynode_error(section, err, LADING_ERR_USAGE, "baremetal: missing required key 'nodes'");
	if (ynode_expect(nodes, YNODE_SEQ, "nodes", err) != 0)
		return -1;
	if (nodes->count == 0)
		return ynode_error(nodes, err, LADING_ERR_USAGE, "nodes: no nodes listed");
	for (i = 0; i < nodes->count; i++)
		if (parse_node(site, nodes->items[i], section, err) != 0)
			return -1;
	return 0;
}

static int load_doc(struct ydoc *doc, const char *name, const char *text, size_t len, struct bm_site **out,
		    struct lerr *err)
{
	struct bm_site *site = xcalloc(1, sizeof(*site));
	int r;

	site->file = xstrdup(name);
	r = text != NULL ? ydoc_load_string(doc, name, text, len, err)
			 : ydoc_load_file(doc, name, BM_SITE_MAX_BYTES, err);
	if (r != 0) {
		if (err->code != LADING_ERR_SYSTEM)
			lerr_input(err); /* a YAML syntax error is the user's input: exit 2 */
	} else {
		r = parse_root(site, doc, err);
	}
	if (r != 0) {
		bm_site_free(site);
		return -1;
	}
	*out = site;
	return 0;
}

int bm_site_load(const char *path, struct bm_site **out, struct lerr *err)
{
	struct ydoc doc = {NULL, NULL};
	int r = load_doc(&doc, path, NULL, 0, out, err);

	ydoc_free(&doc);
	return r;
}

int bm_site_parse(const char *name, const char *text, size_t len, struct bm_site **out, struct lerr *err)
{
	struct ydoc doc = {NULL, NULL};
	int r = load_doc(&doc, name, text, len, out, err);

	ydoc_free(&doc);
	return r;
}

static int read_password_file(const struct bm_node *node, char **password, struct lerr *err)
{
	struct buf data = BUF_INIT(BM_PASSWORD_MAX_BYTES);
	size_t len;
	int r = -1;

	if (fs_read_file(node->password_file, &data, err) != 0) {
		lerr_prefix(err, "%s: password_file", node->name);
		goto out;
	}
	len = data.len;
	while (len > 0 && (data.data[len - 1] == '\n' || data.data[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(data.data, '\0', len) != NULL) {
		lerr_set(err, LADING_ERR_USAGE, "%s: password_file '%s' is empty or holds a NUL byte", node->name,
			 node->password_file);
		goto out;
	}
	*password = xstrndup(data.data, len);
	r = 0;
out:
	if (data.data != NULL)
		OPENSSL_cleanse(data.data, data.len);
	buf_free(&data);
	return r;
}

int bm_node_credentials(const struct bm_node *node, char **user, char **password, struct lerr *err)
{
	const char *value;

	*user = NULL;
	*password = NULL;
	if (node->user_env != NULL) {
		value = getenv(node->user_env);
		if (value == NULL || value[0] == '\0')
			return lerr_set(err, LADING_ERR_USAGE, "%s: user_env: $%s is not set", node->name,
					node->user_env);
		*user = xstrdup(value);
	} else {
		*user = xstrdup(node->user);
	}
	if (node->password_env != NULL) {
		value = getenv(node->password_env);
		if (value != NULL && value[0] != '\0') {
			*password = xstrdup(value);
			return 0;
		}
		lerr_set(err, LADING_ERR_USAGE, "%s: password_env: $%s is not set", node->name, node->password_env);
	} else if (read_password_file(node, password, err) == 0) {
		return 0;
	}
	free(*user);
	*user = NULL;
	return -1;
}
