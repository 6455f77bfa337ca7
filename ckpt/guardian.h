/* The guardian of a checkpoint: a child of chkptwpar that, should chkptwpar
 * die before it finishes, thaws the partition, lifts CRIU's network lock and
 * records it Active again. Nothing is ever left frozen. */
#ifndef CORRAL_CKPT_GUARDIAN_H
#define CORRAL_CKPT_GUARDIAN_H

#include <sys/types.h>

#include "util/error.h"

struct cr_guardian {
	pid_t pid;
};

/* Start guarding partition NAME whose init is INIT_PID; LOG_PATH is where
 * CRIU's dump log will be (for its network-lock run id). */
int cr_guardian_start(const char *name, pid_t init_pid, const char *log_path,
		      struct cr_guardian *ret, struct cr_error *err);

/* The checkpoint finished (well or not, cleaned up by the caller): release it. */
void cr_guardian_release(struct cr_guardian *g);

#endif
