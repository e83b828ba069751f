#ifndef LADING_PROVISION_CMD_PROVISION_H
#define LADING_PROVISION_CMD_PROVISION_H

/* `lading provision VERB ...`: see lading-provision(1). Returns the exit status. */
int cmd_provision(int argc, char **argv);

#endif
