/* Fault points for tests: one enum and one lookup (as CRIU's
 * criu/include/fault-injection.h), instead of comparing environment strings
 * where the fault strikes. A test names the point in CORRAL_TEST_FAULT
 * (its name below, or its number); production code asks
 * cr_fault_injected(CR_FAULT_...) at that point. The points are compiled in
 * when CORRAL_FAULT_INJECTION is defined (CMake option of that name, on by
 * default: the tests need it); without it every point is false. */
#ifndef CORRAL_UTIL_FAULT_H
#define CORRAL_UTIL_FAULT_H

#include <stdbool.h>

#define CR_TEST_FAULT_ENV "CORRAL_TEST_FAULT"

enum cr_fault {
	CR_FAULT_NONE = 0,
	CR_FAULT_DROP_AFTER_RESTORE = 1, /* "drop-after-restore": corrald drops the connection instead of
					  * answering a Restore it carried out */
	CR_FAULT_DIE_AFTER_RESTORE = 2,  /* "die-after-restore": corrald (the whole daemon) dies there */
	CR_FAULT_LOSE_COMMIT = 3,        /* "lose-commit": movewpar never sends its Commit */
	CR_FAULT_HANGUP_AFTER_RESTORE = 4, /* "hangup-after-restore": corrald answers a Restore, then
					    * ends that connection (the Commit comes on another) */
	CR_FAULT_LAZY_STALL = 5,         /* "lazy-pages-stall": the destination's page relay hears criu
					  * lazy-pages no more once the background push began */
	CR_FAULT_REFUSE_IMAGE = 6,       /* "refuse-image": corrald refuses every image it receives whole,
					  * as if it were corrupt */
	CR_FAULT_DROP_PAGES = 7,         /* "drop-page-connection": the source's page relay gives up its
					  * connection once, 4 MiB into the page transfer, without a
					  * word to the peer (the socket stays open) */
	CR_FAULT_UNREAD_DAMAGED = 8,     /* "unread-damaged": restartwpar finds a file of the image that
					  * CRIU did not read damaged, once CRIU restored every task */
	CR_FAULT_END_COPY = 9,           /* "end-copy-fails": the source's copy cannot be stopped once the
					  * hand-over is decided (it is left frozen; removing the
					  * partition there ends it) */
	CR_FAULT_PAUSE_BEFORE_FREEZE = 10, /* "pause-before-freeze": a post-copy move whose file systems
					    * were pre-copied waits 4 s before it freezes */
	CR_FAULT_FAIL_FREEZE = 11,       /* "fail-freeze": a checkpoint or move fails right before it
					  * freezes (its criu started ahead is running by then) */
	CR_FAULT_SLOW_UNPACK_AHEAD = 12, /* "slow-unpack-ahead": the destination's unpack ahead of a
					  * pre-copied move takes 7 s longer (a loaded host's) */
	CR_FAULT_HOLD_RESTORE_WINDOW = 13, /* "hold-restore-window": an arrival holds this host's restore
					    * window 1 s longer (another arrival frozen meanwhile must wait) */
	CR_FAULT_MAX,
};

#ifdef CORRAL_FAULT_INJECTION
/* The fault CORRAL_TEST_FAULT names (CR_FAULT_NONE when unset or unknown). */
enum cr_fault cr_fault_active(void);
#else
static inline enum cr_fault cr_fault_active(void)
{
	return CR_FAULT_NONE;
}
#endif

static inline bool cr_fault_injected(enum cr_fault f)
{
	return f != CR_FAULT_NONE && cr_fault_active() == f;
}

/* The point's name, as CORRAL_TEST_FAULT spells it ("" for none). */
const char *cr_fault_name(enum cr_fault f);

#endif
