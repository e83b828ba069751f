#ifndef LADING_PROVISION_CMD_APPLY_H
#define LADING_PROVISION_CMD_APPLY_H

/*
 * `lading provision apply -i INV -s SITE [...]` (also `lading provision -i ...`):
 * brings every selected host to the state the site file describes.
 * argv[0] is "apply"; returns the exit status.
 */
int provision_apply(int argc, char **argv);

#endif
