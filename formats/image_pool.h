/* A small pthread worker pool that runs jobs in parallel and hands them back
 * in submission order (compress/decompress blocks on every core, write them
 * in sequence). */
#ifndef CORRAL_FORMATS_IMAGE_POOL_H
#define CORRAL_FORMATS_IMAGE_POOL_H

#include "util/error.h"

#define CR_POOL_MAX_JOBS 64

struct cr_pool;
typedef void (*cr_pool_fn)(void *job);

/* Start WORKERS threads (0: run each job inside cr_pool_submit) running FN. */
int cr_pool_new(unsigned workers, cr_pool_fn fn, struct cr_pool **ret_pool,
		struct cr_error *err);

/* Queue JOB; at most CR_POOL_MAX_JOBS may be outstanding (not yet taken back
 * with cr_pool_wait_oldest). */
void cr_pool_submit(struct cr_pool *p, void *job);

/* The oldest outstanding job once it has run, or NULL when none is outstanding. */
void *cr_pool_wait_oldest(struct cr_pool *p);

/* Jobs submitted and not yet taken back. */
unsigned cr_pool_outstanding(const struct cr_pool *p);

/* Wait for running jobs, stop the threads and free. Accepts NULL. */
void cr_pool_free(struct cr_pool *p);

/* Online CPUs, at least 1. */
unsigned cr_pool_default_workers(void);

#endif
