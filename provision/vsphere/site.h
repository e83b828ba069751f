#ifndef LADING_PROVISION_VSPHERE_SITE_H
#define LADING_PROVISION_VSPHERE_SITE_H

/*
 * The `vsphere:` section of site.yaml (see lading-site(5)): where to clone
 * from and to, and the VMs to clone, with name and address ranges expanded
 * ("gpu-worker-[01:04]", "10.0.20.[11:14]/24"). Other top-level keys belong
 * to other readers and are ignored here.
 */
#include <stddef.h>

#include "lib/err.h"

struct vs_var {
	char *name;
	char *value;
};

struct vs_vm_spec {
	char *name;	/* one expanded name */
	char *group;	/* inventory group */
	long long cpus; /* 0 = as the template */
	long long memory_mb;
	char *ip;	/* static IPv4 address, or NULL for DHCP */
	int prefix_len; /* of ip */
	char *gateway;	/* or NULL */
	char **dns;	/* DNS servers */
	size_t dns_count;
	struct vs_var *vars; /* extra inventory host variables (shared by the entry's VMs) */
	size_t var_count;
	int entry_line; /* site.yaml line of its `vms:` entry, for messages */
};

struct vs_site {
	char *file;
	char *url;
	char *username;
	char *ca_file;	  /* resolved against the site file's directory */
	int insecure;	  /* insecure_skip_verify: true */
	char *datacenter; /* paths without a leading '/' are below it */
	char *template_path;
	char *cluster; /* or resource_pool */
	char *resource_pool;
	char *datastore;
	char *folder;
	char *network;
	char *domain; /* for the guest customization; default "local" */
	int cloud_init;
	char *ssh_authorized_key; /* the key's text (one line), or NULL */
	struct vs_vm_spec *vms;
	size_t vm_count;
};

/* Loads and checks the vsphere section of path. Caller frees with vs_site_free. Errors name file:line:col. */
int vs_site_load(const char *path, struct vs_site **out, struct lerr *err);
void vs_site_free(struct vs_site *site);

/* Frees count allocated strings and the array; accepts NULL. */
void vs_strv_free(char **items, size_t count);

#endif
