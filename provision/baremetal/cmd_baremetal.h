#ifndef LADING_PROVISION_BAREMETAL_CMD_BAREMETAL_H
#define LADING_PROVISION_BAREMETAL_CMD_BAREMETAL_H

/*
 * provision/baremetal/: machines driven through their BMC (Redfish today,
 * IPMI named in the site file but not built yet): the `baremetal:` section
 * of the site file, the Redfish client, and `lading baremetal`.
 * May include: lib/
 */

/* lading baremetal list|power|boot (see lading-baremetal(1)). Returns the exit status. */
int cmd_baremetal(int argc, char **argv);

#endif
