/* Freezing a partition at a moment CRIU can seize all of it. */
#ifndef CORRAL_CKPT_FREEZE_SETTLE_H
#define CORRAL_CKPT_FREEZE_SETTLE_H

#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

/* The most a freeze waits for a vfork to end in an exec (thawing and
 * freezing again), before it fails naming the pair. */
#define CR_VFORK_SETTLE_MS 2000

/* Freeze CG (cr_cgroup_freeze, within TIMEOUT_MS) where no task is in the
 * middle of a vfork. A parent frozen while its vfork child has not exec'd
 * yet cannot be seized: CRIU stops the child, the parent waits for it in an
 * uninterruptible sleep ("Unseizable non-zombie ... state D"), and CRIU
 * refuses two processes sharing one memory anyway. Shells do this for every
 * command (dash vforks), so such a freeze is common: the partition is thawed
 * until the exec and frozen again, for up to CR_VFORK_SETTLE_MS; a vfork
 * child that has still not exec'd then fails the freeze (-EBUSY, the
 * partition thawed) with a message naming both pids.
 *
 * *RET_STOPPED is a task of the frozen tree in a group stop (SIGSTOP), or 0.
 * Such a task must not be seized through the freezer: PTRACE_SEIZE of a
 * stopped task waits until the task runs, which a frozen one never does, so
 * CRIU would hang in the kernel (see ckpt/frozen.c for what is done). */
int cr_freeze_settled(struct cr_cgroup *cg, int timeout_ms, pid_t *ret_stopped, struct cr_error *err);

/* A pid of PIDS (N of them) in a vfork not finished by an exec: one whose
 * parent, also in PIDS, shares its memory with it, or one that sleeps where
 * a vfork parent waits (then the parent's pid); 0 when there is none. */
pid_t cr_vfork_in_flight(const pid_t *pids, size_t n);

/* A pid of PIDS in a group stop (state T, or do_signal_stop once frozen), or 0. */
pid_t cr_stopped_in(const pid_t *pids, size_t n);

#endif
