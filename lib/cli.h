#ifndef LADING_LIB_CLI_H
#define LADING_LIB_CLI_H

/*
 * The command-line framework every `lading` command and verb uses: one option
 * table type, one parser that permutes (options may come before or after
 * operands, as git, tar and skopeo accept; `--` ends the options), the same
 * -v/-q/--json/-h handling everywhere, help generated from the table, and
 * one usage-error helper. A command's function is
 *   int cmd_x(int argc, char **argv)   argv[0] = the command or verb name
 * and returns the process exit status: 0 ok, 1 the operation failed, 2 usage
 * or input error (lerr_exit_code decides it from the error; no command remaps).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/log.h"

/* One option. A table ends with a zeroed entry. */
struct cli_option {
	const char *name; /* long name without "--" ("pubkey"); NULL for a short-only option */
	char short_name;  /* 'C', or 0 */
	const char *arg;  /* its argument's name for help ("FILE"); NULL: a flag */
	int id;		  /* > 0, returned by cli_next */
	const char *help; /* one line for --help */
};

/* Which of the common options a command takes (handled by cli_next, never returned). */
enum cli_common {
	CLI_VERBOSE = 1 << 0, /* -v, --verbose: repeatable */
	CLI_QUIET = 1 << 1,   /* -q, --quiet: errors only */
	CLI_JSON = 1 << 2,    /* --json: one JSON object per line on stdout */
};

/* Parser state: fill with cli_init, then call cli_next until it returns 0 or -1. */
struct cli {
	const char *prog;     /* "lading bundle verify": names the command in messages */
	const char *synopsis; /* after "usage: PROG ", e.g. "[options] FILE" */
	const char *summary;  /* one line for --help, or NULL */
	const struct cli_option *options;
	const struct cli_option *shared; /* a second table, shared by a family of verbs; may be NULL */
	unsigned common;		 /* enum cli_common bits */
	int argc;
	char **argv;
	int next;	     /* index into argv */
	int options_done;    /* "--" was seen */
	const char *arg;     /* the current option's argument */
	const char *cluster; /* the letters left of a short-option cluster ("-vC DIR") */
	char current[64];    /* the option just returned, as "--name" or "-x", for messages */
	char **operands;     /* operands in order (into argv; the array is the parser's) */
	size_t operand_count;
	int verbose; /* how many -v */
	int quiet;
	int json;
	int help;
	struct lerr err; /* the usage error when cli_next returned -1 */
};

/* Prepares p for argv[1..argc-1] (argv[0] is the command or verb). Free with cli_free. */
void cli_init(struct cli *p, const char *prog, const char *synopsis, const struct cli_option *options, unsigned common,
	      int argc, char **argv);

/*
 * The id of the next option (its argument, if any, in p->arg); 0 when all of
 * argv has been read (operands are in p->operands, and p->help is set when -h
 * or --help was given: the caller then returns cli_finish); -1 on a usage error
 * (in p->err; the caller returns cli_finish).
 */
int cli_next(struct cli *p);

/* After cli_next: prints the help on stdout (returns 0) or the usage error on stderr (returns 2). */
int cli_finish(struct cli *p);

/* Prints "lading: PROG: <message> (see 'PROG --help')" on stderr and returns 2. */
int cli_usage_error(const struct cli *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks the operand count is within [min, max] (max < 0: no limit); else prints a usage error naming what and returns
 * -1. */
int cli_operands(const struct cli *p, size_t min, int max, const char *what);

/* Parses p->arg as an integer in [min, max]; else prints a usage error and returns -1. */
int cli_int(const struct cli *p, long min, long max, long *out);

/* Parses p->arg as a byte count with an optional k/m/g suffix (powers of 1024); else prints a usage error and returns
 * -1. */
int cli_bytes(const struct cli *p, uint64_t *out);

/* A logger for this command: -v raises the level, -q lowers it to errors, --json sets json. */
void cli_logger(const struct cli *p, struct logger *lg);

/* Prints "lading: <message>" for err on stderr and returns its exit status (lerr_exit_code, at least 1). */
int cli_fail(const struct lerr *err);

/* Prints one JSON line on stdout (for --json); takes ownership of the jansson object. */
void cli_print_json(json_t *obj);

void cli_free(struct cli *p);

/* A verb of a command with verbs (`lading bundle create`), from one table per command. */
struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the verb */
	const char *summary;
};

/*
 * `lading CMD VERB ...`: finds the verb in verbs (ended by a zeroed entry) and
 * runs it; prints the verb list for no verb (on stderr, 2) or for -h/--help/help
 * (on stdout, 0); an unknown verb is a usage error.
 */
int cli_dispatch(const char *prog, const struct cli_verb *verbs, int argc, char **argv);

#endif
