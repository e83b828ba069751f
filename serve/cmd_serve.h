#ifndef LADING_SERVE_CMD_SERVE_H
#define LADING_SERVE_CMD_SERVE_H

/* `lading serve DIR-or-BUNDLE [options]`: see man/lading-serve.1. Returns the exit status. */
int cmd_serve(int argc, char **argv);

#endif
