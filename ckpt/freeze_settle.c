/* Freezing a partition where no vfork is in flight (see freeze_settle.h). */
#define LOG_PREFIX "freeze: "
#include "ckpt/freeze_settle.h"

#include <stdbool.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ckpt/proc_task.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define SETTLE_ATTEMPTS 50   /* freezes tried at most */
#define THAW_MIN_US 200      /* the least a thaw lasts */
#define VFORK_WAIT_US 50000  /* the most one thaw waits for an exec */

static pid_t parent_of(pid_t pid)
{
	struct cr_proc_task t;
	return cr_proc_task_read(pid, &t) == 0 ? t.ppid : 0;
}

static enum cr_task_hold hold_of(pid_t pid)
{
	struct cr_proc_task t;
	return cr_proc_task_read(pid, &t) == 0 ? cr_task_hold_of(t.state, t.wchan) : CR_HOLD_NONE;
}

static bool waits_for_vfork(pid_t pid)
{
	return hold_of(pid) == CR_HOLD_VFORK_PARENT;
}

/* kcmp: 0 when both use one memory map (CRIU needs kcmp too). */
static bool share_memory(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

static bool listed(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t j = 0; j < n; j++)
		if (pids[j] == pid)
			return true;
	return false;
}

pid_t cr_vfork_in_flight(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (waits_for_vfork(pids[i]))
			return pids[i];
		pid_t parent = parent_of(pids[i]);
		if (parent <= 0 || parent == pids[i])
			continue;
		if (listed(pids, n, parent) && share_memory(parent, pids[i]))
			return pids[i];
	}
	return 0;
}

pid_t cr_stopped_in(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hold_of(pids[i]) == CR_HOLD_STOPPED)
			return pids[i];
	return 0;
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Thawed: until the vfork parent PARENT is out of its wait (its child has
 * exec'd), at most VFORK_WAIT_US; the freeze that follows then finds the
 * shell waiting for a running command, not for an exec. A fixed pause alone
 * lost the race under load, where an exec takes longer than the pause. */
static void wait_vfork_done(pid_t parent)
{
	pause_us(THAW_MIN_US);
	for (long waited = THAW_MIN_US; waited < VFORK_WAIT_US && waits_for_vfork(parent); waited += THAW_MIN_US)
		pause_us(THAW_MIN_US);
}

/* The vfork pair PID belongs to (PID is the parent or the child). */
static void vfork_pair(pid_t pid, const pid_t *pids, size_t n, pid_t *ret_parent, pid_t *ret_child)
{
	*ret_parent = waits_for_vfork(pid) ? pid : parent_of(pid);
	*ret_child = pid != *ret_parent ? pid : 0;
	for (size_t i = 0; i < n && *ret_child == 0; i++)
		if (pids[i] != *ret_parent && parent_of(pids[i]) == *ret_parent && share_memory(*ret_parent, pids[i]))
			*ret_child = pids[i];
}

static int vfork_error(pid_t pid, const pid_t *pids, size_t n, int64_t waited_ms, struct cr_error *err)
{
	pid_t parent = 0, child = 0;
	vfork_pair(pid, pids, n, &parent, &child);
	struct cr_proc_task pt = {.comm = "?"}, ct = {.comm = "?"};
	cr_proc_task_read(parent, &pt);
	if (child > 0)
		cr_proc_task_read(child, &ct);
	char child_text[96] = "a child not in the partition";
	if (child > 0)
		snprintf(child_text, sizeof(child_text), "pid %d (%s)", (int)child, ct.comm);
	return cr_error_set(err, EBUSY,
			    "pid %d (%s) waits for its vfork child %s to call exec or _exit (waited %.1f s): "
			    "CRIU can neither seize a process in that wait nor dump two processes sharing one memory; "
			    "checkpoint again once it has",
			    (int)parent, pt.comm, child_text, (double)waited_ms / 1000.0);
}

int cr_freeze_settled(struct cr_cgroup *cg, int timeout_ms, pid_t *ret_stopped, struct cr_error *err)
{
	int64_t start = cr_now_ms();
	*ret_stopped = 0;
	/* Looked for before the freeze too: frozen, a stopped task reads D,
	 * and only its wchan (which a kernel may not show) still tells. Going
	 * the stopped way for a task continued since costs nothing. */
	pid_t stopped_before = 0;
	cleanup_free pid_t *before = NULL;
	size_t n_before = 0;
	if (cr_cgroup_pids(cg, &before, &n_before, NULL) == 0)
		stopped_before = cr_stopped_in(before, n_before);
	for (int attempt = 1;; attempt++) {
		int r = cr_cgroup_freeze(cg, timeout_ms, err);
		if (r < 0)
			return r;
		cleanup_free pid_t *pids = NULL;
		size_t n = 0;
		if ((r = cr_cgroup_pids(cg, &pids, &n, err)) < 0) {
			struct cr_error ignored = CR_ERROR_INIT;
			cr_cgroup_thaw(cg, &ignored);
			cr_error_clear(&ignored);
			return r;
		}
		pid_t pid = cr_vfork_in_flight(pids, n);
		if (pid == 0) {
			pid_t stopped = cr_stopped_in(pids, n);
			*ret_stopped = stopped > 0 ? stopped : stopped_before;
			return 0;
		}
		int64_t waited = cr_now_ms() - start;
		if (attempt >= SETTLE_ATTEMPTS || waited >= CR_VFORK_SETTLE_MS) {
			r = vfork_error(pid, pids, n, waited, err);
			struct cr_error ignored = CR_ERROR_INIT;
			cr_cgroup_thaw(cg, &ignored);
			cr_error_clear(&ignored);
			return r;
		}
		pid_t parent = waits_for_vfork(pid) ? pid : parent_of(pid);
		cr_debug("pid %d was frozen between vfork and exec: thawing till its exec", (int)pid);
		if ((r = cr_cgroup_thaw(cg, err)) < 0)
			return r;
		wait_vfork_done(parent);
	}
}
