/* The frozen-window slot's switch and the preparation's priority
 * (relocate/move_slot.h). */
#define LOG_PREFIX "move: "
#include "relocate/move_slot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"

bool cr_move_slot_on(void)
{
	const char *v = getenv("CORRAL_MOVE_SLOT");
	return !(v && strcmp(v, "0") == 0);
}

/* setpriority(PRIO_PROCESS, TID) sets one thread's nice value on Linux. */
void cr_prep_prio_lower(struct cr_prep_prio *p)
{
	if (p->lowered || !cr_move_slot_on())
		return;
	pid_t tid = gettid();
	errno = 0;
	int now = getpriority(PRIO_PROCESS, (id_t)tid);
	if (now == -1 && errno != 0)
		return;
	int want = now + CR_MOVE_PREP_NICE > 19 ? 19 : now + CR_MOVE_PREP_NICE;
	if (want == now || setpriority(PRIO_PROCESS, (id_t)tid, want) < 0) {
		cr_debug("the preparation runs at nice %d: %s", now, want == now ? "the lowest already" : strerror(errno));
		return;
	}
	p->saved = now;
	p->lowered = true;
}

void cr_prep_prio_restore(struct cr_prep_prio *p)
{
	if (!p->lowered)
		return;
	p->lowered = false;
	/* Raising it back needs CAP_SYS_NICE (corrald and movewpar run as root). */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), p->saved) < 0)
		cr_debug("cannot give this thread its nice %d back: %s", p->saved, strerror(errno));
}

void cr_prep_prio_yield(struct cr_prep_prio *p, bool busy)
{
	if (busy)
		cr_prep_prio_lower(p);
	else
		cr_prep_prio_restore(p);
}
