#ifndef LADING_BUNDLE_CMD_SPLIT_H
#define LADING_BUNDLE_CMD_SPLIT_H

/* Volumes on the command line: `lading bundle split`, create's --volume-size, verify's volume report. */
#include <stdint.h>

#include "bundle/format/reader.h"
#include "lib/err.h"
#include "lib/log.h"

/* `lading bundle split FILE --volume-size SIZE [-C DIR] [--set NAME]`: argv[0] is "split"; the exit status. */
int bundle_cmd_split(int argc, char **argv);

/*
 * After create wrote path: cuts it into volumes of size bytes beside it and
 * removes the whole file (and its detached .minisig) once every volume is
 * there. Prints what it wrote (lg->json: one object). 0 or -1 with err set.
 */
int bundle_cmd_split_created(const char *path, uint64_t size, const struct logger *lg, struct lerr *err);

/* verify's lines for a volume checked alone: which volumes of its set are beside it. */
void bundle_cmd_split_report(const char *file, const struct bundle_verify_stats *stats);

#endif
