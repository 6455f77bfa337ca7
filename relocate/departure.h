/* The record of a relocation from this host: outgoing/NAME.relocation holds
 * the relocation's id, its destination and the source's decision. It is
 * written before the destination hears of the relocation and the decision
 * is written, durably, before it is carried out: the copy here ends only
 * after "committed" is on disk, and a destination that lost its connection
 * asks this host's corrald (PartitionExists with the relocation's id) and
 * settles on the decision, not on a guess from the partition's state.
 *
 * Undecided ("pending") is only while the process moving the partition (or
 * the guardian it forked) holds outgoing/NAME.lock: once it is gone without
 * deciding, the copy here goes on (its guardian thawed it) and the answer
 * is "aborted". */
#ifndef CORRAL_RELOCATE_DEPARTURE_H
#define CORRAL_RELOCATE_DEPARTURE_H

#include <stdbool.h>

#include "transport/arrival.h"
#include "util/error.h"

struct cr_departure {
	char *name;
	char *id;
	char *peer;
	int lock; /* outgoing/NAME.lock, held while undecided */
	bool decided;
	bool committed;
};

#define CR_DEPARTURE_INIT {.lock = -1}

/* Record NAME's relocation ID to PEER as pending, holding its lock (the
 * descriptor is inherited by forked children such as the guardian, not by
 * programs they run). */
int cr_departure_begin(const char *name, const char *id, const char *peer, struct cr_departure *ret,
		       struct cr_error *err);

/* Record the decision, durably. Committed: the copy here ends next, the
 * destination's is the one. */
int cr_departure_decide(struct cr_departure *d, bool committed, struct cr_error *err);

/* The destination confirmed the decision: the record goes. */
void cr_departure_settled(struct cr_departure *d);

/* Release D (the lock; the record stays unless settled), deciding "aborted"
 * first when nothing was decided: the copy here goes on. */
void cr_departure_release(struct cr_departure *d);

/* What this host decided about NAME's relocation ID (corrald's answer). */
enum cr_departure_outcome cr_departure_outcome(const char *name, const char *id);

#endif
