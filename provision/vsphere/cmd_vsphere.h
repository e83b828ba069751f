#ifndef LADING_PROVISION_VSPHERE_CMD_VSPHERE_H
#define LADING_PROVISION_VSPHERE_CMD_VSPHERE_H

/* lading vsphere create|destroy|list (see lading-vsphere(1)). Returns the exit status. */
int cmd_vsphere(int argc, char **argv);

#endif
