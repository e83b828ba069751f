#ifndef LADING_PROVISION_BAREMETAL_SITE_H
#define LADING_PROVISION_BAREMETAL_SITE_H

/*
 * The `baremetal:` section of site.yaml (see lading-site(5)): one entry per
 * machine with its BMC (an https:// URL, protocol redfish or ipmi), where
 * its credentials come from (environment or a file, never the site file),
 * the CA that signs the BMC's certificate, and the node's own address, MAC,
 * groups and vars. Keys given beside `nodes:` are defaults for every node.
 * Other top-level keys belong to other readers and are ignored here.
 */
#include <stddef.h>

#include "lib/err.h"

enum bm_protocol {
	BM_PROTOCOL_REDFISH,
	BM_PROTOCOL_IPMI,
};

struct bm_var {
	char *name;
	char *value;
};

struct bm_node {
	char *name;
	char *bmc; /* "https://host[:port]", without a trailing '/' */
	enum bm_protocol protocol;
	char *system;	     /* the BMC's ComputerSystem Id, or NULL when it has exactly one */
	char *user;	     /* the user name as written, or NULL (then user_env) */
	char *user_env;	     /* environment variable holding the user name */
	char *password_env;  /* exactly one of password_env and password_file */
	char *password_file; /* resolved against the site file's directory */
	char *ca_file;	     /* resolved likewise; NULL: the system's CA store */
	char *address;	     /* the node's own IPv4/IPv6 address, or NULL */
	char *mac;	     /* lowercase aa:bb:cc:dd:ee:ff, or NULL */
	char **groups;
	size_t group_count;
	struct bm_var *vars;
	size_t var_count;
	int ssh_port; /* vars' ansible_port (checked: 1-65535), else 22 */
	/* The boot image (lading baremetal image/up); paths resolved against the site file's directory. */
	char *kernel;	      /* the live kernel (vmlinuz), or NULL */
	char *initrd;	      /* the base initramfs the node's overlay is appended to, or NULL */
	char *isolinux;	      /* directory with isolinux.bin and ldlinux.c32, for the ISO */
	char *iso;	      /* a ready ISO to boot instead of one lading builds (the site's installer) */
	char *authorized_key; /* public key file for root's authorized_keys in the image */
	char *registry_ca;    /* the internal registry's CA (PEM) for the image's trust store, or NULL */
	int uefi;	      /* boot_mode: uefi (1) or legacy (0, the default) */
	int dhcp;	      /* network: dhcp (1) or static (0, the default) */
	int prefix;	      /* static address's prefix length (default 24 for IPv4, 64 for IPv6) */
	char *gateway;	      /* default route, or NULL */
	char *dns;	      /* name servers separated by spaces, or NULL */
	int line;	      /* site file line of its entry, for messages */
};

struct bm_site {
	char *file;
	struct bm_node *nodes;
	size_t node_count;
};

/* Loads and checks the baremetal section of path. Caller frees with bm_site_free. Errors name file:line:col. */
int bm_site_load(const char *path, struct bm_site **out, struct lerr *err);

/* The same from memory (name stands for the file in messages and relative paths). */
int bm_site_parse(const char *name, const char *text, size_t len, struct bm_site **out, struct lerr *err);

void bm_site_free(struct bm_site *site);

/*
 * text as a number when it is digits only (strtol and getaddrinfo also take a
 * sign, leading space, trailing junk, and wrap), min..max: 0, else -1.
 */
int bm_whole_number(const char *text, long min, long max, long *out);

/*
 * The node's user name and password, read now from the environment or the
 * password file (trailing newlines dropped). Both newly allocated; wipe the
 * password with OPENSSL_cleanse before freeing it. Fails naming the node and
 * the variable or file that is missing or empty.
 */
int bm_node_credentials(const struct bm_node *node, char **user, char **password, struct lerr *err);

#endif
