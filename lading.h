#ifndef LADING_H
#define LADING_H

/* The version printed by `lading --version` and recorded in every bill of lading. */
#define LADING_VERSION "0.1.0"

/*
 * Every subcommand: parses its own options from argv (argv[0] is the command
 * name) and returns the process exit status: 0 ok, 1 operation failed, 2 usage.
 * Each lives in its folder's cmd_*.c; see the table in lading.c.
 */
#endif
