/* Waiting for a server process to end, with a deadline, then ending it. */
#define LOG_PREFIX "nfs: "
#include "nfs/wait.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdwait.h"
#include "util/log.h"

#define KILL_GRACE_MS 5000

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
	if (cr_fd_wait_readable(pidfd, timeout_ms)) {
		reap(pid);
		return 0;
	}
	cr_debug("server %d still runs after %d ms: terminating it", (int)pid, timeout_ms);
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!cr_fd_wait_readable(pidfd, KILL_GRACE_MS)) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		cr_fd_wait_readable(pidfd, KILL_GRACE_MS);
	}
	reap(pid);
	return cr_error_set(err, ETIMEDOUT, "the NFS server process %d did not end within %d ms of the unmount; it was killed",
			    (int)pid, timeout_ms);
}
