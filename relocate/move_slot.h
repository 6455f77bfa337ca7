/* A source host's frozen-window slot, and its moves' preparation yielding to
 * it (issue 17: an evacuation's parallel moves stop slowing each other).
 *
 * With the slot (the default; $CORRAL_MOVE_SLOT=0 turns it off, the
 * benchmark's comparison), a live move holds this host's frozen window
 * (relocate/frozen_window.h) from its freeze to its Restore's result there,
 * not only until its state is sent: at most one move of this host is frozen
 * at a time, and another move's freeze never lands in the middle of its
 * restore. Meanwhile the other moves prepare (connect, pre-flight, level-0
 * archive, PrepareArrival and the destination's unpack ahead) at a lower CPU
 * priority (nice +CR_MOVE_PREP_NICE on the thread doing it, inherited by the
 * tar it starts), so that on CPUs shared with a frozen move's dump and
 * restore the preparation gets what is left. Without the slot: the window
 * ends when the state is sent, the preparation runs at the usual priority,
 * as before. */
#ifndef CORRAL_RELOCATE_MOVE_SLOT_H
#define CORRAL_RELOCATE_MOVE_SLOT_H

#include <stdbool.h>

#define CR_MOVE_PREP_NICE 10

/* Whether the slot is on ($CORRAL_MOVE_SLOT unset or not "0"). */
bool cr_move_slot_on(void);

/* The calling thread's nice value while it prepares; LOWERED is false when
 * nothing was changed (the slot off, or setpriority refused). */
struct cr_prep_nice {
	int saved;
	bool lowered;
};
#define CR_PREP_NICE_INIT {0, false}

/* Lower the calling thread's priority by CR_MOVE_PREP_NICE, when the slot is
 * on: children started meanwhile inherit it. Nothing when lowered already. */
void cr_prep_nice_lower(struct cr_prep_nice *p);
/* Give the calling thread its priority back (nothing when not lowered). */
void cr_prep_nice_restore(struct cr_prep_nice *p);

#endif
