/* Waiting for a server process to end, with a deadline, then ending it. */
#define LOG_PREFIX "nfs: "
#include "nfs/wait.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define KILL_GRACE_MS 5000

/* 1 when PIDFD became readable (the process ended) within TIMEOUT_MS. */
static int wait_fd(int pidfd, int timeout_ms)
{
	for (;;) {
		struct pollfd p = {pidfd, POLLIN, 0};
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0;
	}
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		;
}

int cr_nfs_wait_server(pid_t pid, int timeout_ms, struct cr_error *err)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0;
		return cr_error_errno(err, "cannot follow the NFS server process %d", (int)pid);
	}
	if (wait_fd(pidfd, timeout_ms)) {
		reap(pid);
		return 0;
	}
	cr_debug("server %d still runs after %d ms: terminating it", (int)pid, timeout_ms);
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!wait_fd(pidfd, KILL_GRACE_MS)) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		wait_fd(pidfd, KILL_GRACE_MS);
	}
	reap(pid);
	return cr_error_set(err, ETIMEDOUT, "the NFS server process %d did not end within %d ms of the unmount; it was killed",
			    (int)pid, timeout_ms);
}
