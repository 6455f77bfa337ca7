/* Freezing a partition at a moment CRIU can seize all of it. */
#ifndef CORRAL_CKPT_FREEZE_SETTLE_H
#define CORRAL_CKPT_FREEZE_SETTLE_H

#include "partition/cgroup.h"
#include "util/error.h"

/* Freeze CG (cr_cgroup_freeze, within TIMEOUT_MS) where no task is in the
 * middle of a vfork. A parent frozen while its vfork child has not exec'd
 * yet cannot be seized: CRIU stops the child, the parent waits for it in an
 * uninterruptible sleep, and the dump fails after CRIU's 10 s timeout
 * ("Unseizable non-zombie ... state D"). Shells do this for every command
 * (dash vforks), so such a freeze is common: the partition is thawed for a
 * moment and frozen again, a bounded number of times. */
int cr_freeze_settled(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err);

/* A pid of PIDS (N of them) in a vfork not finished by an exec: one whose
 * parent, also in PIDS, shares its memory with it, or one that sleeps where
 * a vfork parent waits (then the parent's pid); 0 when there is none. */
pid_t cr_vfork_in_flight(const pid_t *pids, size_t n);

#endif
