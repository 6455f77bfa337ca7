/* `criu swrk` started by a worker ahead of its request (criu_internal.h:
 * cr_criu_swrk_ahead): the exec, the library loads and criu's own start
 * happen before the caller's go, e.g. before the partition freezes. libcriu
 * then talks to it over the socket pair (criu_local_set_service_fd) instead
 * of starting one inside the call. */
#define LOG_PREFIX "criu: "
#include <criu.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/clock.h"
#include "util/prio.h"

#define SWRK_READY_MS 5000 /* criu's start: 10-35 ms here, seconds on a starved host */

static pid_t ahead_swrk; /* in the worker: the swrk it started, until reaped */

/* In the worker: its window's boost (util/prio.h), its own and its
 * swrk's, from the go until the images are complete or the worker ends. */
static struct cr_nice boost_self = CR_NICE_INIT, boost_swrk = CR_NICE_INIT;

/* The syscall PID is blocked in (/proc/PID/syscall), -1 when it runs or is
 * gone. */
static long blocked_in(pid_t pid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end = NULL;
	long nr = strtol(buf, &end, 10);
	return end == buf ? -1 : nr;
}

/* PID's start in ms since boot (/proc/PID/stat's starttime), 0 when unknown. */
static int64_t start_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may hold spaces */
	unsigned long long ticks = 0;
	/* after ")": state is field 3, starttime field 22 */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ticks) != 1)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (int64_t)(ticks * 1000ULL / (unsigned long long)hz) : 0;
}

/* Until swrk waits for its request (blocked receiving on its socket): its
 * exec and start are then behind it. Bounded; 0 or -ETIMEDOUT. */
static int wait_listening(pid_t pid)
{
	int64_t until = cr_now_ms() + SWRK_READY_MS;
	for (;;) {
		long nr = blocked_in(pid);
		if (nr == SYS_recvfrom || nr == SYS_recvmsg)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		if (cr_now_ms() >= until)
			return -ETIMEDOUT;
		struct timespec nap = {0, 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

static void end_swrk(void)
{
	if (ahead_swrk <= 0)
		return;
	kill(ahead_swrk, SIGKILL);
	while (waitpid(ahead_swrk, NULL, 0) < 0 && errno == EINTR)
		;
	ahead_swrk = 0;
}

static pid_t exec_swrk(const struct cr_criu_service *svc, int sk)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char fd[16];
	snprintf(fd, sizeof(fd), "%d", sk);
	const char *binary = svc->binary ? svc->binary : "criu";
	execlp(binary, binary, "swrk", fd, (char *)NULL);
	perror("cannot exec criu swrk");
	_exit(1);
}

int cr_criu_swrk_ahead(struct criu_opts *opts, const struct cr_criu_common *c, const struct cr_criu_service *svc,
		       const char *what, uint8_t *ret_late, struct cr_error *err)
{
	int bound_ms = 0;
	int go_fd = cr_criu_worker_go_fd(&bound_ms);
	*ret_late = 0;
	if (go_fd < 0) {
		cr_window_boost(&boost_self, 0); /* the swrk libcriu starts inherits it */
		return 0;
	}
	int sks[2];
	/* swrk's end survives its exec; ours closes with libcriu's call. */
	if (socketpair(PF_LOCAL, SOCK_SEQPACKET, 0, sks) < 0)
		return cr_error_errno(err, "%s: cannot make criu swrk's socket", what);
	(void)fcntl(sks[0], F_SETFD, FD_CLOEXEC);
	ahead_swrk = exec_swrk(svc, sks[1]);
	close(sks[1]);
	if (ahead_swrk < 0) {
		ahead_swrk = 0;
		close(sks[0]);
		return cr_error_errno(err, "%s: cannot fork criu swrk", what);
	}
	criu_local_set_service_fd(opts, sks[0]);
	int r = wait_listening(ahead_swrk);
	if (r == 0)
		cr_criu_worker_report_swrk(ahead_swrk, start_ms(ahead_swrk));
	else if (r == -ECHILD)
		ahead_swrk = 0; /* gone: the call fails on its socket */
	/* else it starts late: the request waits in its socket */

	struct pollfd p = {.fd = go_fd, .events = POLLIN};
	int n;
	while ((n = poll(&p, 1, bound_ms)) < 0 && errno == EINTR)
		;
	char go[2] = {0, 0};
	if (n <= 0 || read(go_fd, go, 2) != 2 || go[0] != 'g') {
		end_swrk();
		close(sks[0]);
		return cr_error_set(err, ECANCELED, "%s: no go within %d ms for the criu swrk started ahead",
				    what, bound_ms);
	}
	close(go_fd);
	cr_window_boost(&boost_self, 0);
	if (ahead_swrk > 0)
		cr_window_boost(&boost_swrk, ahead_swrk);
	*ret_late = (uint8_t)go[1];
	r = cr_criu_session_dirs(opts, c, err);
	if (r < 0) {
		end_swrk();
		return r;
	}
	return 1;
}

void cr_criu_window_done(void)
{
	cr_nice_restore(&boost_swrk);
	cr_nice_restore(&boost_self);
}

void cr_criu_swrk_reap(void)
{
	if (ahead_swrk <= 0)
		return;
	while (waitpid(ahead_swrk, NULL, 0) < 0 && errno == EINTR)
		;
	ahead_swrk = 0;
}
