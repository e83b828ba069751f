#ifndef LADING_ERR_H
#define LADING_ERR_H

/*
 * The error that travels with a call: one human sentence naming the subject and
 * what to do, plus a small code the command layer maps to an exit status.
 */
enum lerr_code {
	LADING_OK = 0,
	LADING_ERR_SYSTEM = -1,    /* syscall, out of disk, I/O */
	LADING_ERR_FORMAT = -2,    /* malformed input file or reply */
	LADING_ERR_NETWORK = -3,   /* cannot connect, timeout, HTTP 5xx */
	LADING_ERR_AUTH = -4,      /* credentials refused, TLS verification */
	LADING_ERR_SIGNATURE = -5, /* signature or digest mismatch */
	LADING_ERR_NOTFOUND = -6,  /* image, tag, file or host unknown */
	LADING_ERR_LIMIT = -7,     /* a hard size cap was hit */
	LADING_ERR_USAGE = -8,     /* bad option or spec: exit 2 */
};

#define LERR_MSG_MAX 1024

struct lerr {
	int code;
	char msg[LERR_MSG_MAX];
};

/* Fills err (when not NULL) with code and a printf-style message; returns -1. */
int lerr_set(struct lerr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like lerr_set with ": strerror(errno)" appended; returns -1. */
int lerr_sys(struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts "prefix: " in front of the message already in err; returns -1. */
int lerr_prefix(struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to LADING_OK with an empty message. */
void lerr_clear(struct lerr *err);

/* The process exit status for an error code: 2 for usage/format of user input, else 1. */
int lerr_exit_code(const struct lerr *err);

#endif
