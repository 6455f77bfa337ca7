/* One frozen window at a time on this host. A live move's window runs from
 * its freeze here to the moment its state has been sent: this host's share
 * of its downtime (freeze, dump, archive, stream), CPU-bound work that two
 * moves of one host would share (an evacuation with --parallel 2 saw its
 * longest downtime at about twice a lone move's when both froze at once).
 * So a move waits, still running, until no other move of this host is in
 * its window, then freezes. With the slot (relocate/move_slot.h, the
 * default) a post-copy move holds it on until its Restore's result: one
 * move of this host frozen at a time. Without it, the restore is the
 * destination's work: the next
 * move of this host freezes while the last one restores there, so an
 * evacuation's moves form a pipeline (dump here, restore there) instead of
 * a chain of whole downtimes (moves to one destination are kept apart by
 * the fleet's admission, fleet/manager.c). A static move holds it from the
 * stop to its start there. The wait is bounded: a window longer than that
 * (a large partition) does not hold the others back further. An flock on
 * $ROOT/run/corral/frozen-window.lock: released by the kernel when a move
 * dies. */
#ifndef CORRAL_RELOCATE_FROZEN_WINDOW_H
#define CORRAL_RELOCATE_FROZEN_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define CR_FROZEN_WINDOW_WAIT_MS 20000
/* The destination's window is waited for while the partition is frozen on
 * its source: its bound is short (a lone small restore is 0.1-2 s here). */
#define CR_RESTORE_WINDOW_WAIT_MS 5000

struct cr_frozen_window {
	int fd;            /* the lock's, -1 when not held */
	int64_t waited_ns; /* how long the move waited for it */
};

/* Take this host's window, waiting up to WAIT_MS while another move holds
 * it: 0 taken; 1 not taken (waited out, or the lock cannot be made: the
 * move goes on without it, as before there was one; ERR says why). */
int cr_frozen_window_enter(struct cr_frozen_window *w, int wait_ms, struct cr_error *err);
/* The destination's restore window: one restore at a time on this host,
 * from CRIU's restore (or a static move's start) to the thaw (the Commit;
 * at once for post-copy, which runs while its memory follows). Two
 * restores at once on one host share its CPUs and each takes about twice
 * as long, so the second waits: moves that overlap their transfers and
 * pre-flights never restore side by side. The same bounded, polled flock,
 * on $ROOT/run/corral/restore-window.lock; the same answers. */
int cr_restore_window_enter(struct cr_frozen_window *w, int wait_ms, struct cr_error *err);
/* Whether another move holds this host's frozen window, or restore
 * window, now (a preparation's step boundary, relocate/move_slot.h):
 * tested with a shared lock taken and dropped at once. */
bool cr_frozen_window_busy(void);
bool cr_restore_window_busy(void);
/* Give either back (nothing when not held). */
void cr_frozen_window_leave(struct cr_frozen_window *w);

#endif
