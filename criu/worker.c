/* The timed worker: every libcriu call runs in a forked process that leads
 * its own process group. libcriu blocks until `criu swrk` answers, so the
 * caller polls the worker's result pipe with a deadline and, when it passes,
 * kills the whole group (worker, swrk and anything swrk started) and reaps. */
#define LOG_PREFIX "criu: "

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
/* In a worker started ahead of its request (cr_criu_run_start with a go
 * bound): where the go comes, and how long it may take. */
static int worker_go_fd = -1;
static int worker_go_bound_ms;

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

void cr_criu_worker_report_swrk(pid_t pid, int64_t start_ms)
{
	char start[32];
	snprintf(start, sizeof(start), "%lld", (long long)start_ms);
	if (worker_res_fd >= 0 && pid > 0)
		cr_criu_answer_write(worker_res_fd, CR_CRIU_REC_SWRK_PID, pid, 0, start);
}

int cr_criu_worker_go_fd(int *ret_bound_ms)
{
	*ret_bound_ms = worker_go_bound_ms;
	return worker_go_fd;
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

/* Close *FD once: cr_closep leaves the number behind. */
static void close_once(int *fd)
{
	cr_closep(fd);
	*fd = -1;
}

static void run_free(struct cr_criu_run *run)
{
	close_once(&run->res_fd);
	close_once(&run->out_fd);
	close_once(&run->go_fd);
	cr_criu_answer_free(&run->io);
	cr_criu_service_free(&run->svc);
	free(run->log_path);
	run->log_path = NULL;
}

int cr_criu_run_start(const struct cr_criu_job *job, struct cr_criu_run *run, struct cr_error *err)
{
	bool early = run->go_bound_ms > 0;
	run->res_fd = run->out_fd = run->go_fd = -1;
	run->worker = 0;
	run->svc = (struct cr_criu_service){NULL, -1};
	run->log_path = NULL;
	memset(&run->io, 0, sizeof(run->io));
	run->timeout_ms = job->common && job->common->timeout_ms > 0 ? job->common->timeout_ms
								      : job->default_timeout_ms;
	int r = prepare_log(job, &run->log_path, err);
	if (r < 0)
		return r;
	r = cr_criu_service_get(job->common ? job->common->service : job->service, &run->svc, err);
	if (r < 0) {
		run_free(run);
		return cr_error_wrap(err, "%s", job->what);
	}

	int res_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, go_pipe[2] = {-1, -1};
	if (pipe2(res_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0 ||
	    (early && pipe2(go_pipe, O_CLOEXEC) < 0)) {
		r = cr_error_errno(err, "%s: cannot create pipes", job->what);
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = cr_error_errno(err, "%s: cannot fork the worker", job->what);
		goto fail;
	}
	if (pid == 0) {
		close(res_pipe[0]);
		close(out_pipe[0]);
		if (early) {
			close(go_pipe[1]);
			worker_go_fd = go_pipe[0];
			worker_go_bound_ms = run->go_bound_ms;
		}
		worker_main(job, &run->svc, res_pipe[1], out_pipe[1]);
	}
	setpgid(pid, pid); /* also done by the child: whoever is first wins the race */
	run->worker = pid;
	run->res_fd = res_pipe[0];
	run->out_fd = out_pipe[0];
	run->go_fd = go_pipe[1];
	close_once(&res_pipe[1]);
	close_once(&out_pipe[1]);
	close_once(&go_pipe[0]);
	cr_debug("%s: worker %d, timeout %d ms, CRIU_FAULT %d%s", job->what, (int)pid, run->timeout_ms,
		 run->svc.fault, early ? ", started ahead of its request" : "");
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		close_once(&res_pipe[i]);
		close_once(&out_pipe[i]);
		close_once(&go_pipe[i]);
	}
	run_free(run);
	return r;
}

int cr_criu_run_wait(const struct cr_criu_job *job, struct cr_criu_run *run, int *ret_value,
		     struct cr_error *err)
{
	int64_t deadline = cr_now_ms() + run->timeout_ms;
	int r = pump(run->res_fd, run->out_fd, deadline, &run->io);
	if (r == -ETIMEDOUT) {
		kill_all(run->worker, &run->io);
		cr_error_set(err, ETIMEDOUT, "%s timed out after %d ms (worker and criu killed)",
			     job->what, run->timeout_ms);
		add_criu_reasons(job, run->log_path, false, &run->io, err);
	} else if (r < 0) {
		kill_all(run->worker, &run->io);
		errno = -r;
		cr_error_errno(err, "%s: cannot poll the worker", job->what);
	} else {
		r = finish(job, run->log_path, run->worker, &run->io, ret_value, err);
	}
	run->worker = 0;
	run_free(run);
	return r;
}

int cr_criu_run_ready(struct cr_criu_run *run, int timeout_ms, pid_t *ret_swrk, int64_t *ret_start_ms)
{
	int64_t deadline = cr_now_ms() + timeout_ms;
	struct cr_criu_record rec;
	const char *msg = NULL;
	while (!cr_criu_answer_find(&run->io, CR_CRIU_REC_SWRK_PID, &rec, &msg)) {
		if (cr_criu_answer_find(&run->io, CR_CRIU_REC_RESULT, &rec, &msg))
			return -ECANCELED; /* the worker answered already: it failed */
		int64_t left = deadline - cr_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = run->res_fd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && cr_criu_answer_read_records(run->res_fd, &run->io))
			return cr_criu_answer_find(&run->io, CR_CRIU_REC_SWRK_PID, &rec, &msg) ? 0 : -ECANCELED;
	}
	*ret_swrk = (pid_t)rec.value;
	char start[32] = "";
	snprintf(start, sizeof(start), "%.*s", (int)rec.msg_len, msg);
	*ret_start_ms = strtoll(start, NULL, 10);
	return 0;
}

int cr_criu_run_go(struct cr_criu_run *run, uint8_t late)
{
	if (run->go_fd < 0)
		return 0;
	/* A worker that ended has closed its end: EPIPE, not SIGPIPE. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t n;
	char go[2] = {'g', (char)late};
	while ((n = write(run->go_fd, go, sizeof(go))) < 0 && errno == EINTR)
		;
	if (n < 0 && errno == EPIPE) {
		struct timespec zero = {0, 0};
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close_once(&run->go_fd);
	return n == (ssize_t)sizeof(go) ? 0 : -EPIPE;
}

void cr_criu_run_cancel(struct cr_criu_run *run)
{
	if (run->worker > 0)
		kill_all(run->worker, &run->io);
	run->worker = 0;
	run_free(run);
}

int cr_criu_run_job(const struct cr_criu_job *job, int *ret_value, struct cr_error *err)
{
	struct cr_criu_run run = {.go_bound_ms = 0};
	int r = cr_criu_run_start(job, &run, err);
	return r < 0 ? r : cr_criu_run_wait(job, &run, ret_value, err);
}
