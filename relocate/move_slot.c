/* The frozen-window slot's switch and the preparation's priority
 * (relocate/move_slot.h). */
#define LOG_PREFIX "move: "
#include "relocate/move_slot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

bool cr_move_slot_on(void)
{
	const char *v = getenv("CORRAL_MOVE_SLOT");
	return !(v && strcmp(v, "0") == 0);
}

void cr_prep_prio_lower(struct cr_prep_prio *p)
{
	if (p->lowered || !cr_move_slot_on())
		return;
	int r = cr_nice_shift(&p->nice, 0, CR_MOVE_PREP_NICE);
	if (r < 0) {
		cr_debug("the preparation runs at its nice value: %s",
			 r == -EALREADY ? "the lowest already" : strerror(-r));
		return;
	}
	p->lowered = true;
}

void cr_prep_prio_restore(struct cr_prep_prio *p)
{
	if (!p->lowered)
		return;
	p->lowered = false;
	cr_nice_restore(&p->nice);
}

void cr_prep_prio_yield(struct cr_prep_prio *p, bool busy)
{
	if (busy)
		cr_prep_prio_lower(p);
	else
		cr_prep_prio_restore(p);
}
