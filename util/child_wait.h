/* Waiting for a child process with a deadline: nothing Corral starts (the
 * probes of `corral check`, helpers such as nft) may hang it. */
#ifndef CORRAL_UTIL_CHILD_WAIT_H
#define CORRAL_UTIL_CHILD_WAIT_H

#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* waitpid(PID, FLAGS) until it reports a state change or TIMEOUT_MS pass.
 * Returns 0 with *RET_STATUS, -ETIMEDOUT (naming WHAT) or another -errno.
 * Does not kill the child. */
int cr_child_wait(pid_t pid, int flags, int timeout_ms, const char *what, int *ret_status,
		  struct cr_error *err);

/* SIGKILL PID (and its process group when GROUP) and reap it. PID <= 0: no-op. */
void cr_child_kill(pid_t pid, int group);

#endif
