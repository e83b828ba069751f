#ifndef LADING_BUNDLE_CMD_CACHE_H
#define LADING_BUNDLE_CMD_CACHE_H

/* `lading cache prune`: removes what killed runs left behind (lib/leftover.h). */
int cmd_cache(int argc, char **argv);

#endif
