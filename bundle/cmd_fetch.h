#ifndef LADING_BUNDLE_CMD_FETCH_H
#define LADING_BUNDLE_CMD_FETCH_H

/* `lading fetch chart|provider|file`: one chart, provider or file into the store (and a directory). */
int cmd_fetch(int argc, char **argv);

#endif
