/* The fleet manager: every host's agent runs it, only the leader acts. The
 * leader holds the key leader with its liveness lease (etcd's election
 * recipe: create-if-absent under a lease), so another agent takes over
 * within the lease time when it dies; each of its writes compares the
 * leader key's revision, so a leader that lost its lease writes nothing.
 * A step plans and lets go the tasks of every running evacuation and
 * restore, and ends them when their tasks are final. */
#ifndef CORRAL_FLEET_MANAGER_H
#define CORRAL_FLEET_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "util/error.h"

struct cr_manager {
	bool leader;
	int64_t leader_rev; /* the leader key's revision while we lead */
	/* a step woken by a change (not the tick): only evacuations and
	 * restores; schedules and policies, which go by the clock, wait for
	 * the tick */
	bool woken;
	/* the step wrote what a step must act on (tasks planned, re-queued,
	 * cancelled or failed, an origin deleted, an evacuation asked, a task
	 * let go from this host): the agent, whose watch passes over its own
	 * writes, steps again at once */
	bool again;
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
};

/* Take or keep the lead with LEASE; then, when leading, one step. */
int cr_manager_step(struct cr_manager *m, struct cr_etcd *e, const struct cr_fleet_conf *c, int64_t lease,
		    struct cr_error *err);

#endif
