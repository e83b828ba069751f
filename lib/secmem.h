#ifndef LADING_SECMEM_H
#define LADING_SECMEM_H

/*
 * Memory for a secret key: its own pages, locked so they are never swapped out,
 * left out of core dumps (MADV_DONTDUMP), in a process that is no longer dumpable
 * or traceable by its user (PR_SET_DUMPABLE 0), and wiped before they are returned.
 */
#include <stddef.h>

/* size zeroed bytes of secret memory; aborts like xmalloc when none can be mapped. */
void *secmem_alloc(size_t size);
/* Wipes and unmaps what secmem_alloc returned (NULL is fine). */
void secmem_free(void *p, size_t size);

#endif
