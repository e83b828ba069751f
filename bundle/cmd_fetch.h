#ifndef LADING_BUNDLE_CMD_FETCH_H
#define LADING_BUNDLE_CMD_FETCH_H

#include "lib/err.h"

/* `lading fetch chart|provider|file`: one chart, provider or file into the store (and a directory). */
int cmd_fetch(int argc, char **argv);

/* `lading fetch packages` (bundle/cmd_fetch_packages.c). */
int cmd_fetch_packages(int argc, char **argv);

/* Copies the stored blob hex of store to path atomically (parent directories made). */
int fetch_place(const char *store, const char *hex, const char *path, struct lerr *err);

#endif
