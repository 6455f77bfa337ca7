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

#define SETTLE_ATTEMPTS 20 /* freezes tried before CRIU is left to cope */
#define THAW_PAUSE_MS 2    /* a vfork child needs well under this to exec */

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

pid_t cr_vfork_in_flight(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
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

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
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
		pid_t child = cr_vfork_in_flight(pids, n);
		if (child == 0)
			return 0;
		if (attempt == SETTLE_ATTEMPTS) {
			cr_debug("pid %d is still a vfork child that has not exec'd after %d freezes",
				 (int)child, attempt);
			return 0;
		}
		cr_debug("pid %d was frozen between vfork and exec: thawing for %d ms", (int)child,
			 THAW_PAUSE_MS);
		if ((r = cr_cgroup_thaw(cg, err)) < 0)
			return r;
		pause_ms(THAW_PAUSE_MS);
	}
}
