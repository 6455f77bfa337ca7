#define LOG_PREFIX "run: "
#include "util/run.h"

#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/clock.h"

#define EXIT_POLL_MS 50 /* how often a silent program is checked for its exit */
#define OUTPUT_KEEP 512

static void __attribute__((noreturn)) child(char *const *argv, int out_fd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Keep the tail of what the program says, up to its last complete line. */
static void keep_tail(char *tail, size_t *len, const char *buf, size_t n)
{
	if (n >= OUTPUT_KEEP) {
		memcpy(tail, buf + n - (OUTPUT_KEEP - 1), OUTPUT_KEEP - 1);
		*len = OUTPUT_KEEP - 1;
	} else {
		size_t drop = *len + n > OUTPUT_KEEP - 1 ? *len + n - (OUTPUT_KEEP - 1) : 0;
		memmove(tail, tail + drop, *len - drop);
		*len -= drop;
		memcpy(tail + *len, buf, n);
		*len += n;
	}
	tail[*len] = '\0';
}

static const char *last_line(char *tail, size_t len)
{
	while (len > 0 && (tail[len - 1] == '\n' || tail[len - 1] == ' '))
		tail[--len] = '\0';
	char *nl = strrchr(tail, '\n');
	return nl ? nl + 1 : tail;
}

int cr_run_upto(char *const *argv, int timeout_ms, int ok_exit, struct cr_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe for %s", argv[0]);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cr_error_errno(err, "cannot fork for %s", argv[0]);
	}
	if (pid == 0)
		child(argv, p[1]);
	close(p[1]);
	cleanup_close int out = p[0];
	char tail[OUTPUT_KEEP];
	size_t tail_len = 0;
	tail[0] = '\0';
	int64_t deadline = cr_now_ms() + timeout_ms;
	bool timed_out = false, exited = false;
	int status = 0;
	for (;;) {
		int64_t left = deadline - cr_now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		/* The end of its output is not enough: a process another thread
		 * forks meanwhile (a CRIU worker that never execs) inherits the
		 * pipe's write end and holds it open. Its exit ends the wait too. */
		struct pollfd pfd = {.fd = out, .events = POLLIN};
		int n = poll(&pfd, 1, left < EXIT_POLL_MS ? (int)left : EXIT_POLL_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			char buf[4096];
			ssize_t got;
			while ((pfd.revents = 0, poll(&pfd, 1, 0)) > 0 && (got = read(out, buf, sizeof(buf))) > 0)
				keep_tail(tail, &tail_len, buf, (size_t)got);
			break;
		}
		if (n <= 0)
			continue;
		char buf[4096];
		ssize_t got = read(out, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* every writer closed: the program ended (or closed its output) */
		keep_tail(tail, &tail_len, buf, (size_t)got);
	}
	while (!timed_out && !exited) { /* it closed its output: give it until the deadline to exit */
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			break;
		if (cr_now_ms() >= deadline)
			timed_out = true;
		else
			usleep(2000);
	}
	if (timed_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (timed_out)
		return cr_error_set(err, ETIMEDOUT, "%s did not finish within %d ms", argv[0], timeout_ms);
	const char *said = last_line(tail, tail_len);
	if (WIFSIGNALED(status))
		return cr_error_set(err, EIO, "%s was killed by signal %d%s%s", argv[0], WTERMSIG(status),
				    *said ? ": " : "", said);
	if (WEXITSTATUS(status) > ok_exit)
		return cr_error_set(err, EIO, "%s failed (exit %d)%s%s", argv[0], WEXITSTATUS(status),
				    *said ? ": " : "", said);
	return 0;
}

int cr_run(char *const *argv, int timeout_ms, struct cr_error *err)
{
	return cr_run_upto(argv, timeout_ms, 0, err);
}
