/* Who owns a partition in a fleet: owners/NAME = {"host": ...}. It changes
 * only by a transaction that compares the record's revision as read before
 * the move began (the fencing token), inside movewpar's hand-over (the
 * commit gate, relocate/move.h): two hosts can never both commit the same
 * partition, whatever their view, and an outcome the store did not confirm
 * is read again, never assumed; a store that cannot be reached stops the
 * move, and the partition goes on where it was. */
#ifndef CORRAL_FLEET_OWNER_H
#define CORRAL_FLEET_OWNER_H

#include <stdint.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "util/error.h"

struct cr_owner_fence {
	struct cr_fleet_conf conf;
	struct cr_etcd *store;
	char *key;
	int64_t revision; /* as read before the move; 0: no record yet */
};

/* Read NAME's record before a move from this host. 0 and FENCE ready; 1
 * when this host is in no fleet (nothing to fence); -EPERM when the record
 * names another host as the owner. */
int cr_owner_fence_begin(struct cr_owner_fence *fence, const char *name, struct cr_error *err);
/* The commit gate: NAME now belongs to PEER, if nobody changed it since. */
int cr_owner_fence_commit(void *fence, const char *name, const char *peer, struct cr_error *err);
void cr_owner_fence_end(struct cr_owner_fence *fence);

#endif
