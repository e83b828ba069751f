#ifndef LADING_LIB_ERR_H
#define LADING_LIB_ERR_H

/*
 * lib/: shared pieces that know nothing of lading's domains (errors and exit
 * classes, buffers and array growth, digests, HTTP on libcurl, per-host TLS
 * settings, YAML, logging and progress, the worker pool, the option parser,
 * the version).
 * May include: lib/ (nothing above it; system libraries only)
 *
 * This file: the error that travels with a call: one human sentence naming
 * the subject and what to do, a small code saying what kind of failure it is,
 * and the class that decides the exit status (lerr_exit_code, the only place
 * that maps an error to one).
 */
#include <stddef.h>

enum lerr_code {
	LADING_OK = 0,
	LADING_ERR_SYSTEM = -1,	   /* syscall, out of disk, I/O */
	LADING_ERR_FORMAT = -2,	   /* malformed input file or reply */
	LADING_ERR_NETWORK = -3,   /* cannot connect, timeout, HTTP 5xx */
	LADING_ERR_AUTH = -4,	   /* credentials refused, TLS verification */
	LADING_ERR_SIGNATURE = -5, /* signature or digest mismatch */
	LADING_ERR_NOTFOUND = -6,  /* image, tag, file or host unknown */
	LADING_ERR_LIMIT = -7,	   /* a hard size cap was hit */
	LADING_ERR_USAGE = -8,	   /* bad option or spec: exit 2 */
};

/* Exit classes: the process exit status an error leads to. */
enum lerr_class {
	LERR_FAILED = 1, /* the operation failed: a host, a digest, a signature, the network */
	LERR_INPUT = 2,	 /* bad usage or bad input the user gave (options, spec, inventory, site file) */
};

#define LERR_MSG_MAX 1024

struct lerr {
	int code;	    /* enum lerr_code */
	int exit_class;	    /* enum lerr_class: LERR_INPUT for LADING_ERR_USAGE, else LERR_FAILED unless lerr_input() */
	size_t subject_len; /* > 0: msg starts with "<subject>: " (a registry, a host, a file): it names its subject */
	char msg[LERR_MSG_MAX];
};

/* Fills err (when not NULL) with code and a printf-style message; returns -1. */
int lerr_set(struct lerr *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like lerr_set for a message "subject: <fmt>", marked as naming its subject; returns -1. */
int lerr_about(struct lerr *err, int code, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like lerr_set with ": strerror(errno)" appended; returns -1. */
int lerr_sys(struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts "prefix: " in front of the message already in err and marks it named; returns -1. */
int lerr_prefix(struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes like lerr_prefix unless the message already names its subject; returns -1. */
int lerr_name(struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Gives err another code (its class follows the code as in lerr_set); keeps the message; returns -1. */
int lerr_recode(struct lerr *err, int code);

/* True when err's message already names its subject. */
int lerr_named(const struct lerr *err);

/* Marks err as caused by the user's input (exit 2), whatever its code; returns -1. */
int lerr_input(struct lerr *err);

/* Clears err to LADING_OK with an empty message. */
void lerr_clear(struct lerr *err);

/* The process exit status for err: 0 when clear, 2 for LERR_INPUT, else 1. */
int lerr_exit_code(const struct lerr *err);

#endif
