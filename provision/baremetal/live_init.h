#ifndef LADING_PROVISION_BAREMETAL_LIVE_INIT_H
#define LADING_PROVISION_BAREMETAL_LIVE_INIT_H

/*
 * The /init of the live image (provision/baremetal/live-init.sh, embedded by
 * scripts/embed-live-init): it reads /etc/lading/node.env, brings the NIC up,
 * installs the registry CA and starts sshd (and containerd when the base
 * image has it).
 */
extern const char bm_live_init[];

#endif
