#ifndef LADING_PROVISION_TARGET_H
#define LADING_PROVISION_TARGET_H

/*
 * How to reach an inventory host over SSH: inv_host_conn (ansible_host,
 * ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become,
 * ansible_become_user, ansible_become_password,
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
 * Fills t from host's variables (also ansible_become_user and the sudo
 * password from ansible_become_password, ansible_become_pass); errors name the
 * host and the variable (also for ansible_connection local, which SSH sessions
 * cannot do). Free with prov_target_free.
 */
int prov_target_from_inv(const struct inv_host *host, struct prov_target *t, struct lerr *err);

void prov_target_free(struct prov_target *t);

#endif
