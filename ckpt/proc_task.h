/* What /proc says of one task: its name, state, parent and where it sleeps.
 * Read by the freeze (ckpt/freeze_settle.c) and the outsider search
 * (ckpt/outsiders.c). */
#ifndef CORRAL_CKPT_PROC_TASK_H
#define CORRAL_CKPT_PROC_TASK_H

#include <stdbool.h>
#include <sys/types.h>

struct cr_proc_task {
	char comm[64];  /* its name ("sh"); "?" when unreadable */
	char state;     /* R S D T t Z X ... (a task frozen by the v1 freezer reads D) */
	pid_t ppid;
	char wchan[64]; /* where it sleeps ("do_signal_stop"); "" when unknown */
};

/* Fill RET from /proc/PID/stat and /proc/PID/wchan; -1 when PID is gone. */
int cr_proc_task_read(pid_t pid, struct cr_proc_task *ret);

/* Why a task cannot be handed to CRIU's freezer path as it is. */
enum cr_task_hold {
	CR_HOLD_NONE = 0,
	CR_HOLD_STOPPED,      /* in a group stop (SIGSTOP, SIGTSTP...) */
	CR_HOLD_VFORK_PARENT, /* waits for its vfork child to exec or exit */
};

/* From a task's STATE letter and WCHAN (both as /proc gives them, WCHAN may
 * be "" or NULL). A stopped task reads T, or D with wchan do_signal_stop once
 * the v1 freezer holds it. */
enum cr_task_hold cr_task_hold_of(char state, const char *wchan);

#endif
