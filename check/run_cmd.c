/* Running programs for the probes: with a deadline and their output, or in
 * the background for a probe that drives several at once. */
#define LOG_PREFIX "check: "
#include "check/run_cmd.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/child_wait.h"
#include "util/cleanup.h"
#include "util/clock.h"

extern char **environ;

/* environ without the variables EXTRA sets, then EXTRA. Pointers are shared
 * with environ and EXTRA; only the array is heap. */
static char **merge_env(char *const extra[])
{
	size_t n = 0, k = 0;
	while (environ && environ[n])
		n++;
	while (extra && extra[k])
		k++;
	char **env = calloc(n + k + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		int overridden = 0;
		for (size_t j = 0; j < k && !overridden; j++) {
			const char *eq = strchr(extra[j], '=');
			size_t len = eq ? (size_t)(eq - extra[j]) : strlen(extra[j]);
			overridden = !strncmp(environ[i], extra[j], len) && environ[i][len] == '=';
		}
		if (!overridden)
			env[out++] = environ[i];
	}
	for (size_t j = 0; j < k; j++)
		env[out++] = extra[j];
	return env;
}

/* Read FD until EOF or DEADLINE; keeps at most CR_RUN_OUTPUT_MAX bytes.
 * Returns 0 at EOF, -ETIMEDOUT at the deadline, -errno on error. */
static int drain(int fd, int64_t deadline, char *buf, size_t *len)
{
	for (;;) {
		int64_t left = deadline - cr_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		size_t keep = CR_RUN_OUTPUT_MAX - *len;
		if ((size_t)n < keep)
			keep = (size_t)n;
		memcpy(buf + *len, chunk, keep);
		*len += keep;
	}
}

/* Fork and exec ARGV in its own process group, stdin from /dev/null and
 * stdout and stderr to OUT (/dev/null when OUT < 0). */
static int spawn(char *const argv[], char *const extra_env[], int out, pid_t *ret_pid,
		 struct cr_error *err)
{
	cleanup_free char **env = merge_env(extra_env);
	if (!env)
		return cr_error_set(err, ENOMEM, "out of memory running %s", argv[0]);
	cleanup_close int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return cr_error_errno(err, "cannot open /dev/null");
	if (out < 0)
		out = devnull;
	pid_t pid = fork();
	if (pid < 0)
		return cr_error_errno(err, "cannot fork to run %s", argv[0]);
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
		    dup2(out, STDERR_FILENO) < 0)
			_exit(127);
		execve(argv[0], argv, env);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

int cr_run_start(char *const argv[], char *const extra_env[], pid_t *ret_pid,
		 struct cr_error *err)
{
	return spawn(argv, extra_env, -1, ret_pid, err);
}

int cr_run_capture(char *const argv[], char *const extra_env[], int timeout_ms,
		   char **ret_output, int *ret_status, struct cr_error *err)
{
	int64_t deadline = cr_now_ms() + timeout_ms;
	cleanup_free char *buf = malloc(CR_RUN_OUTPUT_MAX + 1);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory running %s", argv[0]);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot make a pipe for %s", argv[0]);
	cleanup_close int rd = fds[0];
	cleanup_close int wr = fds[1];
	pid_t pid;
	int r = spawn(argv, extra_env, wr, &pid, err);
	if (r < 0)
		return r;
	close(cr_steal_fd(&wr));

	size_t len = 0;
	r = drain(rd, deadline, buf, &len);
	if (r == -ETIMEDOUT) {
		cr_child_kill(pid, 1);
		return cr_error_set(err, ETIMEDOUT, "%s did not finish within %d ms", argv[0],
				    timeout_ms);
	}
	if (r < 0) {
		cr_child_kill(pid, 1);
		errno = -r;
		return cr_error_errno(err, "cannot read the output of %s", argv[0]);
	}
	int left = (int)(deadline - cr_now_ms());
	int status = 0;
	r = cr_child_wait(pid, 0, left > 0 ? left : 0, argv[0], &status, err);
	if (r < 0) {
		cr_child_kill(pid, 1);
		return r;
	}
	buf[len] = '\0';
	*ret_status = status;
	*ret_output = steal_pointer(&buf);
	return 0;
}
