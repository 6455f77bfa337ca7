/* Threads' nice values (util/prio.h). */
#define LOG_PREFIX "prio: "
#include "util/prio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"

int cr_nice_shift(struct cr_nice *n, pid_t tid, int by)
{
	if (n->changed)
		return 0;
	if (tid == 0)
		tid = gettid();
	errno = 0;
	int now = getpriority(PRIO_PROCESS, (id_t)tid);
	if (now == -1 && errno != 0)
		return -errno;
	int want = now + by;
	want = want < -20 ? -20 : want > 19 ? 19 : want;
	if (want == now)
		return -EALREADY;
	/* On Linux PRIO_PROCESS with a thread id sets that thread alone. */
	if (setpriority(PRIO_PROCESS, (id_t)tid, want) < 0)
		return -errno;
	n->tid = tid;
	n->saved = now;
	n->changed = true;
	return 0;
}

void cr_nice_restore(struct cr_nice *n)
{
	if (!n->changed)
		return;
	n->changed = false;
	/* Raising it back needs CAP_SYS_NICE; a thread that ended is ESRCH. */
	(void)setpriority(PRIO_PROCESS, (id_t)n->tid, n->saved);
}

bool cr_window_boost_on(void)
{
	const char *v = getenv("CORRAL_WINDOW_BOOST");
	return !(v && strcmp(v, "0") == 0);
}

void cr_window_boost(struct cr_nice *n, pid_t tid)
{
	if (cr_window_boost_on() && !n->changed && cr_nice_shift(n, tid, -CR_WINDOW_NICE_BOOST) == 0)
		cr_debug("thread %d boosted for the window: nice %d -> %d", (int)n->tid, n->saved,
			 getpriority(PRIO_PROCESS, (id_t)n->tid));
}
