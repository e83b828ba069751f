#ifndef LADING_CMD_INVENTORY_H
#define LADING_CMD_INVENTORY_H

/* `lading inventory list|graph`: shows what an inventory holds. See lading-inventory(1). */
int cmd_inventory(int argc, char **argv);

#endif
