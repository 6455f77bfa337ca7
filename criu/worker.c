/* The timed worker: every libcriu call runs in a forked process that leads
 * its own process group. libcriu blocks until `criu swrk` answers, so the
 * caller polls the worker's result pipe with a deadline and, when it passes,
 * kills the whole group (worker, swrk and anything swrk started) and reaps. */
#define LOG_PREFIX "criu: "

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criu/answer_internal.h"
#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define REAP_GRACE_MS 2000 /* how long killed processes get to disappear */

/* In the worker: where its records go (criu/answer_internal.h). A restore
 * reports the root pid as soon as criu knows it, so that a restore that
 * times out can be killed with its restored tree. */
static int worker_res_fd = -1;

static void nap_10ms(void)
{
	struct timespec nap = {0, 10 * 1000 * 1000};
	nanosleep(&nap, NULL);
}

void cr_criu_service_setenv(const struct cr_criu_service *svc)
{
	if (svc->fault > 0) {
		char value[16];
		snprintf(value, sizeof(value), "%d", svc->fault);
		setenv("CRIU_FAULT", value, 1);
	} else if (svc->fault == 0) {
		unsetenv("CRIU_FAULT");
	}
}

/* Runs in the child: stdio to the output pipe, defaults for the signals
 * libcriu relies on, CRIU_FAULT, then the job; the answer goes to RES_FD. */
static __attribute__((noreturn)) void worker_main(const struct cr_criu_job *job,
						  const struct cr_criu_service *svc, int res_fd,
						  int out_fd)
{
	setpgid(0, 0);
	if (job->common && job->common->worker_close_fd > 0)
		close(job->common->worker_close_fd);
	signal(SIGPIPE, SIG_IGN); /* a dead swrk must give -ECOMM, not kill us */
	signal(SIGCHLD, SIG_DFL); /* libcriu waits for swrk */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		close(null_fd);
	}
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	cr_criu_service_setenv(svc);

	worker_res_fd = res_fd;
	struct cr_error err = CR_ERROR_INIT;
	int r = job->fn(job, svc, &err);
	cr_criu_answer_write(res_fd, CR_CRIU_REC_RESULT, r, r < 0 ? (err.code ? err.code : -r) : 0,
			     r < 0 ? cr_error_msg(&err) : NULL);
	_exit(0);
}

void cr_criu_worker_report_root(pid_t pid)
{
	if (worker_res_fd >= 0 && pid > 0)
		cr_criu_answer_write(worker_res_fd, CR_CRIU_REC_ROOT_PID, pid, 0, NULL);
}

/* Kill the worker's process group, reap the worker, and give the rest of the
 * group (criu swrk, half-restored tasks) a moment to disappear, reaping the
 * ones that were reparented to us (a subreaper caller). */
static void kill_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	while (waitpid(pgid, NULL, 0) < 0 && errno == EINTR)
		;
	int64_t until = cr_now_ms() + REAP_GRACE_MS;
	while (cr_now_ms() < until) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			break;
		kill(-pgid, SIGKILL);
		nap_10ms();
	}
}

/* Poll both pipes until the result pipe closes (the worker exited) or the
 * deadline passes: 0 or -ETIMEDOUT. */
static int pump(int res_fd, int out_fd, int64_t deadline, struct cr_criu_answer *io)
{
	bool out_open = true;
	for (;;) {
		int64_t left = deadline - cr_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd[2] = {{.fd = res_fd, .events = POLLIN},
					{.fd = out_open ? out_fd : -1, .events = POLLIN}};
		int n = poll(pfd, 2, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (pfd[1].revents && cr_criu_answer_read_output(out_fd, io) == 1)
			out_open = false;
		if (pfd[0].revents && cr_criu_answer_read_records(res_fd, io))
			break;
	}
	/* The worker is gone; take what criu printed without waiting for it. */
	if (out_open && fcntl(out_fd, F_SETFL, O_NONBLOCK) == 0)
		while (cr_criu_answer_read_output(out_fd, io) == 0)
			;
	return 0;
}

/* Append the CRIU log tail (ERRORS: its error lines, else its last line) or
 * else the worker's last output line to ERR. */
static void add_criu_reasons(const struct cr_criu_job *job, const char *log_path, bool errors,
			     struct cr_criu_answer *io, struct cr_error *err)
{
	cleanup_free char *tail = log_path ? cr_criu_log_tail(log_path, errors) : NULL;
	cleanup_free char *kept = tail && job->common->keep_log_as
					  ? cr_criu_log_keep(log_path, job->common->keep_log_as)
					  : NULL;
	const char *said = cr_criu_answer_output_tail(io);
	int code = err->code;
	char *msg = NULL;
	int r;
	if (tail)
		r = asprintf(&msg, "%s; criu log %s: %s", cr_error_msg(err), kept ? kept : log_path,
			     tail);
	else if (said)
		r = asprintf(&msg, "%s; criu said: %s", cr_error_msg(err), said);
	else
		return;
	if (r < 0)
		return;
	cr_error_set(err, code, "%s", msg);
	free(msg);
}

static int finish(const struct cr_criu_job *job, const char *log_path, pid_t pid,
		  struct cr_criu_answer *io, int *ret_value, struct cr_error *err)
{
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	struct cr_criu_record res;
	const char *msg = NULL;
	if (!cr_criu_answer_find(io, CR_CRIU_REC_RESULT, &res, &msg)) {
		if (w == pid && WIFSIGNALED(status))
			cr_error_set(err, EIO, "%s: worker killed by signal %d", job->what,
				     WTERMSIG(status));
		else
			cr_error_set(err, EIO, "%s: worker exited without an answer", job->what);
		add_criu_reasons(job, log_path, true, io, err);
		return -err->code;
	}
	if (res.value >= 0) {
		*ret_value = res.value;
		return 0;
	}
	cr_error_set(err, res.code > 0 ? res.code : EIO, "%.*s", (int)res.msg_len, msg);
	add_criu_reasons(job, log_path, true, io, err);
	return -err->code;
}

/* On a timeout: kill the tree a restore had started (its root is the init of
 * the restored pid namespace, or the whole tree lives in the worker's group),
 * then the worker's group. */
static void kill_all(pid_t worker, const struct cr_criu_answer *io)
{
	struct cr_criu_record root;
	const char *unused = NULL;
	pid_t tree = 0;
	if (cr_criu_answer_find(io, CR_CRIU_REC_ROOT_PID, &root, &unused) && root.value > 0) {
		tree = (pid_t)root.value;
		cr_debug("killing the half-restored tree at pid %d", (int)tree);
		kill(tree, SIGKILL);
	}
	kill_group(worker);
	/* A subreaper caller inherited the root: do not leave it a zombie. */
	int64_t until = cr_now_ms() + REAP_GRACE_MS;
	while (tree > 0 && waitpid(tree, NULL, WNOHANG) == 0 && cr_now_ms() < until)
		nap_10ms();
}

/* The CRIU log JOB writes, with a stale one of that name removed. */
static int prepare_log(const struct cr_criu_job *job, char **ret_path, struct cr_error *err)
{
	if (!job->common)
		return 0;
	cleanup_free char *path = NULL;
	int r = cr_criu_log_path(job->common, job->default_log, &path, err);
	if (r < 0)
		return cr_error_wrap(err, "%s", job->what);
	if (unlink(path) < 0 && errno != ENOENT)
		return cr_error_errno(err, "%s: cannot remove the old log %s", job->what, path);
	*ret_path = steal_pointer(&path);
	return 0;
}

int cr_criu_run_job(const struct cr_criu_job *job, int *ret_value, struct cr_error *err)
{
	int timeout_ms = job->common && job->common->timeout_ms > 0 ? job->common->timeout_ms
								    : job->default_timeout_ms;
	cleanup_free char *log_path = NULL;
	int r = prepare_log(job, &log_path, err);
	if (r < 0)
		return r;
	struct cr_criu_service svc = {NULL, -1};
	r = cr_criu_service_get(job->common ? job->common->service : job->service, &svc, err);
	if (r < 0)
		return cr_error_wrap(err, "%s", job->what);

	int res_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
	if (pipe2(res_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
		r = cr_error_errno(err, "%s: cannot create pipes", job->what);
		goto out;
	}
	int64_t deadline = cr_now_ms() + timeout_ms;
	pid_t pid = fork();
	if (pid < 0) {
		r = cr_error_errno(err, "%s: cannot fork the worker", job->what);
		goto out;
	}
	if (pid == 0) {
		close(res_pipe[0]);
		close(out_pipe[0]);
		worker_main(job, &svc, res_pipe[1], out_pipe[1]);
	}
	setpgid(pid, pid); /* also done by the child: whoever is first wins the race */
	close(res_pipe[1]);
	close(out_pipe[1]);
	res_pipe[1] = out_pipe[1] = -1;
	cr_debug("%s: worker %d, timeout %d ms, CRIU_FAULT %d", job->what, (int)pid, timeout_ms,
		 svc.fault);

	struct cr_criu_answer io = {0};
	r = pump(res_pipe[0], out_pipe[0], deadline, &io);
	if (r == -ETIMEDOUT) {
		kill_all(pid, &io);
		cr_error_set(err, ETIMEDOUT, "%s timed out after %d ms (worker and criu killed)",
			     job->what, timeout_ms);
		add_criu_reasons(job, log_path, false, &io, err);
	} else if (r < 0) {
		kill_all(pid, &io);
		errno = -r;
		cr_error_errno(err, "%s: cannot poll the worker", job->what);
	} else {
		r = finish(job, log_path, pid, &io, ret_value, err);
	}
	cr_criu_answer_free(&io);
out:
	for (int i = 0; i < 2; i++) {
		cr_closep(&res_pipe[i]);
		cr_closep(&out_pipe[i]);
	}
	cr_criu_service_free(&svc);
	return r;
}
