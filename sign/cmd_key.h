#ifndef LADING_SIGN_CMD_KEY_H
#define LADING_SIGN_CMD_KEY_H

/* `lading key generate|sign|verify`: minisign-compatible keys and signatures. */
int cmd_key(int argc, char **argv);

#endif
