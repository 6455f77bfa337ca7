/* Reading one task's /proc entries (see proc_task.h). */
#define LOG_PREFIX "proc: "
#include "ckpt/proc_task.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

/* /proc/PID/WHAT into BUF (SIZE bytes at most, NUL-terminated): its length or -1. */
static ssize_t read_small(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (cr_read_file(path, 4096, &data, &len, NULL) < 0)
		return -1;
	snprintf(buf, size, "%.*s", (int)len, data);
	return (ssize_t)strlen(buf);
}

int cr_proc_task_read(pid_t pid, struct cr_proc_task *ret)
{
	char buf[512];
	if (pid <= 0 || read_small(pid, "stat", buf, sizeof(buf)) <= 0)
		return -1;
	/* "pid (comm) state ppid ...": comm may hold anything, ')' included. */
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	int ppid = 0;
	char state = 0;
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	snprintf(ret->comm, sizeof(ret->comm), "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	ret->state = state;
	ret->ppid = (pid_t)ppid;
	if (read_small(pid, "wchan", ret->wchan, sizeof(ret->wchan)) < 0 || strcmp(ret->wchan, "0") == 0)
		ret->wchan[0] = '\0';
	return 0;
}

enum cr_task_hold cr_task_hold_of(char state, const char *wchan)
{
	if (!wchan)
		wchan = "";
	if (state == 'T' || strcmp(wchan, "do_signal_stop") == 0)
		return CR_HOLD_STOPPED;
	/* "kernel_clone" where the wait is inlined, "wait_for_vfork_done"
	 * where it is not. */
	if (strcmp(wchan, "kernel_clone") == 0 || strcmp(wchan, "wait_for_vfork_done") == 0)
		return CR_HOLD_VFORK_PARENT;
	return CR_HOLD_NONE;
}
