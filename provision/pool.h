#ifndef LADING_PROVISION_POOL_H
#define LADING_PROVISION_POOL_H

#include <stddef.h>

/*
 * Runs fn(index, ctx) for every index in 0..count-1 on up to `workers`
 * threads and returns when all are done. Workers share nothing but ctx;
 * fn must write only its own slot of a results array.
 */
void prov_pool_run(size_t count, int workers, void (*fn)(size_t index, void *ctx), void *ctx);

#endif
