/* Freezing a partition where no vfork is in flight (see freeze_settle.h). */
#define LOG_PREFIX "freeze: "
#include "ckpt/freeze_settle.h"

#include <fcntl.h>
#include <stdbool.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define SETTLE_ATTEMPTS 50   /* freezes tried before CRIU is left to cope */
#define THAW_MIN_US 200      /* the least a thaw lasts */
#define VFORK_WAIT_US 50000  /* the most a thaw waits for an exec */

/* The parent pid of PID from /proc, or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, ')' included. */
	const char *close_paren = strrchr(buf, ')');
	int ppid = 0;
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/* Whether PID sleeps where a vfork parent waits for its child ("kernel_clone"
 * where the wait is inlined, "wait_for_vfork_done" where it is not): a second
 * sign, for a child the listing missed. */
static bool waits_for_vfork(pid_t pid)
{
	char path[64], wchan[64];
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, wchan, sizeof(wchan) - 1);
	if (n <= 0)
		return false;
	wchan[n] = '\0';
	return strcmp(wchan, "kernel_clone") == 0 || strcmp(wchan, "wait_for_vfork_done") == 0;
}

pid_t cr_vfork_in_flight(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (waits_for_vfork(pids[i]))
			return pids[i];
		pid_t parent = parent_of(pids[i]);
		if (parent <= 0 || parent == pids[i])
			continue;
		bool listed = false;
		for (size_t j = 0; j < n && !listed; j++)
			listed = pids[j] == parent;
		/* kcmp: 0 when both use one memory map (CRIU needs kcmp too). */
		if (listed && syscall(SYS_kcmp, parent, pids[i], KCMP_VM, 0, 0) == 0)
			return pids[i];
	}
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

int cr_freeze_settled(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err)
{
	for (int attempt = 1;; attempt++) {
		int r = cr_cgroup_freeze(cg, timeout_ms, err);
		if (r < 0)
			return r;
		cleanup_free pid_t *pids = NULL;
		size_t n = 0;
		if (cr_cgroup_pids(cg, &pids, &n, NULL) < 0)
			return 0;
		pid_t pid = cr_vfork_in_flight(pids, n);
		if (pid == 0)
			return 0;
		if (attempt == SETTLE_ATTEMPTS) {
			cr_debug("pid %d is still in a vfork not finished by an exec after %d freezes", (int)pid,
				 attempt);
			return 0;
		}
		pid_t parent = waits_for_vfork(pid) ? pid : parent_of(pid);
		cr_debug("pid %d was frozen between vfork and exec: thawing till its exec", (int)pid);
		if ((r = cr_cgroup_thaw(cg, err)) < 0)
			return r;
		wait_vfork_done(parent);
	}
}
