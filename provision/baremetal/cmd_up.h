#ifndef LADING_PROVISION_BAREMETAL_CMD_UP_H
#define LADING_PROVISION_BAREMETAL_CMD_UP_H

/* lading baremetal image and lading baremetal up (see lading-baremetal(1)), and what they share with the other verbs.
 */
#include <stddef.h>

#include "lib/cli.h"
#include "provision/baremetal/site.h"

/* Operands from first on name nodes or groups; none selects every node. Returns -1 after a usage error. */
int bm_select_nodes(const struct cli *cli, size_t first, const struct bm_site *site, int *selected);

int baremetal_image(int argc, char **argv);
int baremetal_up(int argc, char **argv);

#endif
