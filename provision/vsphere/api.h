#ifndef LADING_PROVISION_VSPHERE_API_H
#define LADING_PROVISION_VSPHERE_API_H

/*
 * provision/vsphere/: the vSphere client (SOAP over libcurl + libxml2) and
 * `lading vsphere`: the site's vsphere: section, clones from a template,
 * power, guest IPs, destroy, and the inventory it writes.
 * May include: inventory/, lib/
 */

/*
 * The few vSphere API calls lading needs, on one logged-in session (one per
 * thread): ServiceContent, Login/Logout, FindByInventoryPath,
 * RetrievePropertiesEx, CloneVM_Task, PowerOnVM_Task, PowerOffVM_Task,
 * Destroy_Task, and waiting for tasks and guest IPs with a time bound.
 */
#include <stddef.h>

#include "lib/err.h"
#include "provision/vsphere/soap.h"

/* The extraConfig key lading sets on every VM it clones; destroy touches nothing without it. */
#define VS_MARKER_KEY "lading.managed"

/* A managed object reference: type ("VirtualMachine") and value ("vm-42"). */
struct vs_ref {
	char type[64];
	char value[128];
};

struct vs_client;

/* RetrieveServiceContent + Login. The password is not kept. Free with vs_logout. */
int vs_login(const struct vs_soap_opts *opts, const char *username, const char *password, struct vs_client **out,
	     struct lerr *err);
/* Logout (errors ignored) and free; accepts NULL. */
void vs_logout(struct vs_client *client);

/* FindByInventoryPath ("/DC0/vm/lading/gpu-01"); *found = 0 when nothing is there. */
int vs_find(struct vs_client *client, const char *path, struct vs_ref *ref, int *found, struct lerr *err);

/* A resource pool for a cluster path, a resource pool path, or a host path: *pool is filled. */
int vs_find_pool(struct vs_client *client, const char *path, struct vs_ref *pool, struct lerr *err);

struct vs_vm_info {
	char power[24]; /* poweredOn, poweredOff, suspended */
	char *ip;	/* guest.ipAddress or NULL */
	int managed;	/* lading.managed=true in config.extraConfig */
	int is_template;
	long cpus;
	long memory_mb;
};

/* Reads the state of a VM. Free the strings with vs_vm_info_clear. */
int vs_vm_info(struct vs_client *client, const struct vs_ref *vm, struct vs_vm_info *info, struct lerr *err);
void vs_vm_info_clear(struct vs_vm_info *info);

struct vs_option {
	const char *key;
	const char *value;
};

struct vs_clone_req {
	const struct vs_ref *source; /* template or VM */
	const struct vs_ref *folder;
	const struct vs_ref *pool;
	const struct vs_ref *datastore; /* or NULL */
	const struct vs_ref *network;	/* or NULL: the template's first NIC is moved onto it */
	const char *network_name;
	const char *name;
	long cpus; /* 0 = as the source */
	long memory_mb;
	const struct vs_option *extra; /* extraConfig, marker included by the caller */
	size_t extra_count;
	/* Guest customization (LinuxPrep + FixedIp on the first NIC) when ip is not NULL. */
	const char *ip;
	int prefix_len;
	const char *gateway;
	const char *const *dns;
	size_t dns_count;
	const char *domain;
	long timeout_s;
};

/* CloneVM_Task (powered off, customization pending) and wait for it; *vm is the clone. */
int vs_clone(struct vs_client *client, const struct vs_clone_req *req, struct vs_ref *vm, struct lerr *err);

/* PowerOnVM_Task / PowerOffVM_Task / Destroy_Task and wait up to timeout_s. */
int vs_power(struct vs_client *client, const struct vs_ref *vm, int on, long timeout_s, struct lerr *err);
int vs_destroy(struct vs_client *client, const struct vs_ref *vm, long timeout_s, struct lerr *err);

/*
 * Polls guest.ipAddress until it reports want (or any IPv4 address when want
 * is NULL) or timeout_s passes. *ip is allocated.
 */
int vs_wait_ip(struct vs_client *client, const struct vs_ref *vm, const char *want, long timeout_s, char **ip,
	       struct lerr *err);

#endif
