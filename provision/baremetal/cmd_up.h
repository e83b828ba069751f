#ifndef LADING_PROVISION_BAREMETAL_CMD_UP_H
#define LADING_PROVISION_BAREMETAL_CMD_UP_H

/* lading baremetal image and lading baremetal up (see lading-baremetal(1)), and what they share with the other verbs.
 */
#include <stddef.h>

#include "lib/cli.h"
#include "provision/baremetal/site.h"

/* The summary line of every verb's --help. */
#define BM_CLI_SUMMARY "Credentials come from the variables or files the site file names. See lading-baremetal(1)."

/* After the options (last: cli_next's last answer): -1 to go on, lg filled; else the exit status (help, no -s). */
int bm_options_end(struct cli *cli, int last, const char *site_file, struct logger *lg);

/*
 * Loads site_file and selects the nodes or groups the operands from first on
 * name (none: every node); *selected gets one flag per node. Returns -1 to go
 * on, else the exit status after printing the error. The caller frees both.
 */
int bm_load_selected(const struct cli *cli, const char *site_file, size_t first, struct bm_site **site, int **selected);

int baremetal_image(int argc, char **argv);
int baremetal_up(int argc, char **argv);

#endif
