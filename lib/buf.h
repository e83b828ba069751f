#ifndef LADING_BUF_H
#define LADING_BUF_H

#include <stddef.h>

#include "err.h"

/*
 * A growable byte buffer, always NUL-terminated, with a hard cap set at init:
 * every buffer filled from the network or a file has one (SSHBUF_SIZE_MAX).
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 = no cap (only for data we generate ourselves) */
};

#define BUF_INIT(maxbytes)                                                                                             \
	{                                                                                                              \
		NULL, 0, 0, (maxbytes)                                                                                 \
	}

void buf_init(struct buf *b, size_t max);
/* Appends len bytes; returns -1 with LADING_ERR_LIMIT in err when the cap would be passed. */
int buf_add(struct buf *b, const void *data, size_t len, struct lerr *err);
/* Appends a string or formatted text; caps apply as for buf_add. */
int buf_addstr(struct buf *b, const char *s, struct lerr *err);
int buf_addf(struct buf *b, struct lerr *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends, aborting on a cap overflow: for text the program builds itself. */
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Returns the data (caller frees) and leaves b empty. Never NULL. */
char *buf_detach(struct buf *b, size_t *len);
/* Frees the data; b may be reused after buf_init. Accepts a zeroed buf. */
void buf_free(struct buf *b);

#endif
