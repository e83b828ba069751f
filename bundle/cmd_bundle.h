#ifndef LADING_BUNDLE_CMD_BUNDLE_H
#define LADING_BUNDLE_CMD_BUNDLE_H

/* `lading bundle <verb> …`: parses options, calls bundle/, prints, returns the exit status. */
int cmd_bundle(int argc, char **argv);

#endif
