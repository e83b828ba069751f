/* Pages for secrets: locked, out of core dumps, wiped on release. */
#define _GNU_SOURCE /* MADV_DONTDUMP */
#include "lib/secmem.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static size_t pages_for(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (size + page - 1) / page * page;
}

void *secmem_alloc(size_t size)
{
	size_t len = pages_for(size);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fputs("lading: out of memory for a secret key\n", stderr);
		abort();
	}
	/*
	 * Best effort, each: a low RLIMIT_MEMLOCK or an old kernel must not stop signing, and
	 * the key is wiped when done either way.
	 */
	(void)mlock(p, len);
	(void)madvise(p, len, MADV_DONTDUMP);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return p;
}

void secmem_free(void *p, size_t size)
{
	size_t len = pages_for(size);

	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	(void)munlock(p, len);
	munmap(p, len);
}
