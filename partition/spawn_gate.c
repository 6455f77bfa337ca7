/* The parent/child hand-shake of a partition's first process (spawn_gate.h). */
#include "partition/spawn_gate.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdwait.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int cr_spawn_gate_open(struct cr_spawn_gate *g, struct cr_error *err)
{
	g->go[0] = g->go[1] = g->report[0] = g->report[1] = -1;
	if (pipe2(g->go, O_CLOEXEC) < 0 || pipe2(g->report, O_CLOEXEC) < 0) {
		int r = cr_error_errno(err, "cannot create a pipe");
		cr_spawn_gate_close(g);
		return r;
	}
	return 0;
}

void cr_spawn_gate_close(struct cr_spawn_gate *g)
{
	for (int i = 0; i < 2; i++) {
		cr_closep(&g->go[i]);
		cr_closep(&g->report[i]);
	}
}

int cr_spawn_gate_child(struct cr_spawn_gate *g)
{
	cr_closep(&g->go[1]);
	cr_closep(&g->report[0]);
	(void)syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	char go;
	if (read(g->go[0], &go, 1) != 1)
		_exit(127); /* the parent gave up */
	cr_closep(&g->go[0]);
	return g->report[1];
}

void cr_spawn_gate_fail(int report_fd, const struct cr_error *err)
{
	const char *msg = cr_error_msg(err);
	ssize_t ignored = write(report_fd, msg, strlen(msg));
	(void)ignored;
	_exit(127);
}

int cr_spawn_gate_release(struct cr_spawn_gate *g, pid_t pid, int ready, int timeout_ms, const char *what,
			  struct cr_error *err)
{
	cr_closep(&g->go[0]);
	cr_closep(&g->report[1]);
	int r = ready;
	if (r == 0 && write(g->go[1], "g", 1) != 1)
		r = cr_error_errno(err, "cannot release %s", what);
	cr_closep(&g->go[1]);
	if (r == 0) {
		char msg[1024];
		int n = cr_fd_read_line(g->report[0], timeout_ms, msg, sizeof(msg));
		if (n < 0)
			r = cr_error_set(err, -n, "%s did not start", what);
		else if (msg[0])
			r = cr_error_set(err, EIO, "%s", msg);
	}
	cr_closep(&g->report[0]);
	if (r < 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return r;
}
