#ifndef LADING_PROVISION_TARGET_H
#define LADING_PROVISION_TARGET_H

/*
 * How to reach an inventory host over SSH: inv_host_conn (ansible_host,
 * ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become,
 * ProxyJump in ansible_ssh_common_args, lading_jump) as an ssh_target.
 */
#include "inventory/inventory.h"
#include "lib/err.h"
#include "provision/ssh/ssh.h"

struct prov_target {
	struct ssh_target ssh; /* strings point into the inventory host or the fields below */
	char *key_file;	       /* "~/" expanded */
	char *jump;	       /* "user@host:port" */
};

/*
 * Fills t from host's variables; errors name the host and the variable
 * (also for ansible_connection local and an ansible_become_user other than
 * root, which SSH sessions cannot do). Free with prov_target_free.
 */
int prov_target_from_inv(const struct inv_host *host, struct prov_target *t, struct lerr *err);

void prov_target_free(struct prov_target *t);

#endif
