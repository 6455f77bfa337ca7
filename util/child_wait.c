#include "util/child_wait.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "util/clock.h"

int cr_child_wait(pid_t pid, int flags, int timeout_ms, const char *what, int *ret_status,
		  struct cr_error *err)
{
	int64_t deadline = cr_now_ms() + timeout_ms;
	long nap_us = 200; /* grows to 20 ms: quick for fast children, cheap for slow ones */
	for (;;) {
		int status = 0;
		pid_t r = waitpid(pid, &status, flags | WNOHANG);
		if (r == pid) {
			*ret_status = status;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return cr_error_errno(err, "cannot wait for %s (pid %d)", what, (int)pid);
		if (cr_now_ms() >= deadline)
			return cr_error_set(err, ETIMEDOUT, "%s (pid %d) did not finish within %d ms",
					    what, (int)pid, timeout_ms);
		struct timespec nap = {0, nap_us * 1000};
		nanosleep(&nap, NULL);
		if (nap_us < 20000)
			nap_us *= 2;
	}
}

void cr_child_kill(pid_t pid, int group)
{
	if (pid <= 0)
		return;
	int saved = errno;
	if (group)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	errno = saved;
}
