/* A source host's frozen-window slot, and its moves' preparation yielding to
 * a frozen move (issue 17: an evacuation's parallel moves stop slowing each
 * other).
 *
 * With the slot (the default; $CORRAL_MOVE_SLOT=0 turns it off, the
 * benchmark's comparison), a live move holds this host's frozen window
 * (relocate/frozen_window.h) from its freeze to its Restore's result there,
 * not only until its state is sent: at most one move of this host is frozen
 * at a time, and another move's freeze never lands in the middle of its
 * restore. Meanwhile the other moves prepare (connect, pre-flight, level-0
 * archive, PrepareArrival and the destination's unpack ahead) and yield: at
 * each step boundary, while a move is frozen on the host doing that step
 * (the source's frozen window, the destination's restore window), the
 * thread doing it runs at nice +CR_MOVE_PREP_NICE (inherited by the tar it
 * starts), so that on CPUs shared with the frozen move's dump and restore
 * the preparation gets what is left. While nothing is frozen there, it
 * runs at its usual priority: a sequential evacuation's moves wait for
 * their own preparation, which a priority lowered throughout only
 * lengthened (the unpack ahead at nice 19 under load: 1.3 s against 0.13 s,
 * bench/README "Session 10"). The same holds on real separate hosts: two
 * moves from one source share its CPUs, two arrivals on one destination
 * share its. (SCHED_IDLE instead of nice was measured: no difference.)
 * Without the slot: the window ends when the state is sent, the
 * preparation never yields, as before. */
#ifndef CORRAL_RELOCATE_MOVE_SLOT_H
#define CORRAL_RELOCATE_MOVE_SLOT_H

#include <stdbool.h>

#include "util/prio.h"

#define CR_MOVE_PREP_NICE 10

/* Whether the slot is on ($CORRAL_MOVE_SLOT unset or not "0"). */
bool cr_move_slot_on(void);

/* The calling thread's nice value while it prepares; LOWERED is false when
 * nothing was changed (the slot off, or setpriority refused). */
struct cr_prep_prio {
	struct cr_nice nice;
	bool lowered;
};
#define CR_PREP_PRIO_INIT {CR_NICE_INIT, false}

/* Lower the calling thread's priority, when the slot is on: children
 * started meanwhile inherit it. Nothing when lowered already. */
void cr_prep_prio_lower(struct cr_prep_prio *p);
/* Give the calling thread its priority back (nothing when not lowered). */
void cr_prep_prio_restore(struct cr_prep_prio *p);
/* A step boundary: lowered while BUSY (a move frozen on this host), given
 * back when not. */
void cr_prep_prio_yield(struct cr_prep_prio *p, bool busy);

#endif
