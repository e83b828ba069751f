#ifndef LADING_BUNDLE_CMD_DIFF_H
#define LADING_BUNDLE_CMD_DIFF_H

/* `lading bundle diff [options] OLD NEW`: argv[0] is "diff"; returns the exit status. */
int bundle_cmd_diff(int argc, char **argv);

#endif
