/* The fault-point registry (util/fault.h). */
#include "util/fault.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[CR_FAULT_MAX] = {
	[CR_FAULT_NONE] = "",
	[CR_FAULT_DROP_AFTER_RESTORE] = "drop-after-restore",
	[CR_FAULT_DIE_AFTER_RESTORE] = "die-after-restore",
	[CR_FAULT_LOSE_COMMIT] = "lose-commit",
	[CR_FAULT_REFUSE_IMAGE] = "refuse-image",
	[CR_FAULT_HANGUP_AFTER_RESTORE] = "hangup-after-restore",
	[CR_FAULT_LAZY_STALL] = "lazy-pages-stall",
	[CR_FAULT_DROP_PAGES] = "drop-page-connection",
	[CR_FAULT_UNREAD_DAMAGED] = "unread-damaged",
	[CR_FAULT_END_COPY] = "end-copy-fails",
	[CR_FAULT_PAUSE_BEFORE_FREEZE] = "pause-before-freeze",
	[CR_FAULT_FAIL_FREEZE] = "fail-freeze",
	[CR_FAULT_SLOW_UNPACK_AHEAD] = "slow-unpack-ahead",
	[CR_FAULT_HOLD_RESTORE_WINDOW] = "hold-restore-window",
};

const char *cr_fault_name(enum cr_fault f)
{
	return f > CR_FAULT_NONE && f < CR_FAULT_MAX ? names[f] : "";
}

#ifdef CORRAL_FAULT_INJECTION
enum cr_fault cr_fault_active(void)
{
	const char *v = getenv(CR_TEST_FAULT_ENV);
	if (!v || !*v)
		return CR_FAULT_NONE;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end != v && !*end)
		return n > CR_FAULT_NONE && n < CR_FAULT_MAX ? (enum cr_fault)n : CR_FAULT_NONE;
	for (int f = CR_FAULT_NONE + 1; f < CR_FAULT_MAX; f++)
		if (strcmp(v, names[f]) == 0)
			return (enum cr_fault)f;
	return CR_FAULT_NONE;
}
#endif
