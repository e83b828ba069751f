#ifndef LADING_LOG_H
#define LADING_LOG_H

#include <stdint.h>
#include <stdio.h>

/*
 * Where a command's messages go. Built by the command layer from -v/-q/--json
 * and passed down; library code that reports progress takes a const pointer.
 */
enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,	 /* default on a TTY */
	LOG_VERBOSE = 3, /* -v */
	LOG_DEBUG = 4,	 /* -vv */
};

struct logger {
	FILE *out; /* stderr */
	int level; /* messages above it are dropped */
	int json;  /* --json: events are JSON lines on stdout, messages stay on stderr */
	int tty;   /* out is a terminal: progress may be drawn */
};

/* A logger for stderr at LOG_WARN (LOG_INFO when stderr is a TTY). */
void log_init(struct logger *lg);

/* Prints "lading: <message>" when level <= lg->level. NULL lg prints nothing. */
void log_msg(const struct logger *lg, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * A progress line redrawn in place on a TTY: "what  12.3 MiB / 40.0 MiB  8.1 MiB/s  ETA 3s".
 * Draws nothing when the logger is not a TTY or is NULL.
 */
struct progress {
	const struct logger *lg;
	char what[96];
	uint64_t done;
	uint64_t total; /* 0 = unknown */
	double started;
	double last_draw;
	int drawn;
};

void progress_start(struct progress *p, const struct logger *lg, const char *what, uint64_t total);
/* Adds bytes and redraws at most ten times a second. */
void progress_add(struct progress *p, uint64_t bytes);
/* Draws the final line and a newline (TTY only). */
void progress_end(struct progress *p);

/* Formats a byte count as "12.3 MiB" into out. */
void log_format_bytes(uint64_t bytes, char *out, size_t out_len);

/* Seconds since an arbitrary start, monotonic. */
double log_now(void);

#endif
