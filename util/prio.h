/* Threads' nice values: the work a frozen partition waits on runs ahead of
 * the host's other work (the window's boost), a move's preparation behind a
 * frozen move (relocate/move_slot.h).
 *
 * The window's boost: from the freeze to the restore's answer, the threads
 * and processes doing that move's work (the source's freezing and sending
 * threads and its dump's criu, the destination's connection receiving the
 * image and restoring it, its restore's criu) run at CR_WINDOW_NICE_BOOST
 * below their nice value, then get it back. The partition waits on each ms
 * of them; what they push aside (another move's preparation, the host's
 * partitions, the store) can wait that long. $CORRAL_WINDOW_BOOST=0 turns it
 * off (the benchmark's comparison). The restored tasks get their own nice
 * values back from their images (CRIU restores each thread's). */
#ifndef CORRAL_UTIL_PRIO_H
#define CORRAL_UTIL_PRIO_H

#include <stdbool.h>
#include <sys/types.h>

#define CR_WINDOW_NICE_BOOST 10

/* A thread's (or a single-threaded process's) nice value as changed by
 * cr_nice_shift, to give it back; CHANGED is false when nothing was. */
struct cr_nice {
	pid_t tid;
	int saved;
	bool changed;
};
#define CR_NICE_INIT {0, 0, false}

/* Shift TID's nice value by BY (0: the calling thread), within -20..19;
 * lowering it (BY < 0) needs CAP_SYS_NICE. Best effort: 0 when changed, a
 * negative errno when not (N then records nothing). Nothing when N holds a
 * change already. */
int cr_nice_shift(struct cr_nice *n, pid_t tid, int by);
/* Give the thread its nice value back (nothing when N holds no change). */
void cr_nice_restore(struct cr_nice *n);

/* Whether the window's boost is on ($CORRAL_WINDOW_BOOST unset or not "0"). */
bool cr_window_boost_on(void);
/* Boost TID (0: the calling thread) for a window, when the boost is on. */
void cr_window_boost(struct cr_nice *n, pid_t tid);

#endif
