/* A network namespace held open by a child process, for the net/ unit tests
 * that work on a partition's namespace from outside (cr_net_in_netns and the
 * like, which take the pid). Needs root. */
#ifndef CORRAL_TESTS_NETNS_FIXTURE_H
#define CORRAL_TESTS_NETNS_FIXTURE_H

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fork a process that enters a network namespace of its own and waits there
 * until killed, or for at most MAX_SECONDS (gone by itself should the test
 * fail half-way), holding none of the test's output open meanwhile (ctest
 * waits for it). Its pid once the namespace is there, else -1. */
static inline pid_t netns_fixture_hold(unsigned max_seconds)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0 || write(p[1], "r", 1) != 1)
			_exit(1);
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; null_fd >= 0 && fd < 3; fd++)
			dup2(null_fd, fd);
		alarm(max_seconds);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c;
	ssize_t n = pid > 0 ? read(p[0], &c, 1) : -1;
	close(p[0]);
	if (n != 1) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* End the holder HOLDER and reap it: its namespace goes with it. */
static inline void netns_fixture_release(pid_t holder)
{
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
}

#endif
