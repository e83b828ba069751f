#ifndef LADING_BUNDLE_CMD_PUSH_H
#define LADING_BUNDLE_CMD_PUSH_H

/* `lading bundle push FILE --registry HOST[:PORT] ...`: argv[0] is "push"; returns the exit status. */
int bundle_cmd_push(int argc, char **argv);

#endif
