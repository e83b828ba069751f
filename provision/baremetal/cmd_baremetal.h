#ifndef LADING_PROVISION_BAREMETAL_CMD_BAREMETAL_H
#define LADING_PROVISION_BAREMETAL_CMD_BAREMETAL_H

/*
 * provision/baremetal/: machines driven through their BMC (Redfish, IPMI):
 * the `baremetal:` section of the site file, the BMC clients, the nodes' live
 * boot images, and `lading baremetal` (up hands the nodes to provision).
 * May include: provision/, provision/ssh/, lib/
 */

/* lading baremetal list|power|boot|media|image|up (see lading-baremetal(1)). Returns the exit status. */
int cmd_baremetal(int argc, char **argv);

#endif
