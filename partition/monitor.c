/* The monitor: one process per running partition, outside it (AIX's
 * cor_NAME). It creates the cgroup, starts the init in its namespaces, records
 * the state, and when the init ends cleans up and records the end. */
#define LOG_PREFIX "monitor: "
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "net/net.h"
#include "nfs/nfs.h"
#include "partition/app_job.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "partition/spawn.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define CLEANUP_TIMEOUT_MS 10000
#define LOCK_TIMEOUT_MS 30000
#define NFS_UNMOUNT_MS 30000
/* Bound on a new init's set-up before it takes over its signals. */
#define INIT_READY_MS 10000
#define INIT_READY_POLL_US 5000

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/* Tell the command that launched us. It may have been killed: then the
 * write fails (EPIPE) and must not end the monitor with SIGPIPE, which is
 * held back (and taken) instead of ignored, so no child inherits that. */
static void report(int fd, const char *status, const char *msg)
{
	if (fd < 0)
		return;
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	bool was_pending = false;
	sigset_t pending;
	if (sigpending(&pending) == 0)
		was_pending = sigismember(&pending, SIGPIPE);
	dprintf(fd, "%s%s%s\n", status, msg ? ": " : "", msg ? msg : "");
	struct timespec none = {0, 0};
	if (!was_pending)
		while (sigtimedwait(&pipe_set, NULL, &none) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Record a state change under the partition's lock. */
static int record_state(const char *name, enum cr_state state, pid_t init_pid, const char *why,
			struct cr_error *err)
{
	cleanup_close int lock = -1;
	int r = cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, err);
	if (r < 0)
		return r;
	struct cr_wpar_state st;
	cr_state_init(&st);
	st.state = state;
	if (state != CR_STATE_DEFINED && state != CR_STATE_BROKEN) {
		st.init_pid = init_pid;
		st.monitor_pid = getpid();
		st.start_time = (int64_t)time(NULL);
	}
	st.operation = strdup("none");
	st.broken_reason = why ? strdup(why) : NULL;
	r = cr_state_save(name, &st, err);
	cr_state_free(&st);
	return r;
}

/* Wait for INIT to end, reaping whatever else is reparented to us. */
static int wait_for_init(pid_t init)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid == init)
			return status;
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 0;
	}
}

/* How many tasks of CG the kernel killed for want of memory (-1: unknown).
 * cgroup2's memory.events and v1's memory.oom_control both count them as
 * "oom_kill N". */
static long oom_kills(struct cr_cgroup *cg)
{
	const char *dir = cr_cgroup_dir(cg, CR_CG_MEMORY);
	static const char *const files[] = {"memory.events", "memory.oom_control"};
	for (size_t i = 0; dir && i < 2; i++) {
		cleanup_free char *path = NULL;
		cleanup_free char *text = NULL;
		if (asprintf(&path, "%s/%s", dir, files[i]) < 0 || cr_read_file(path, 4096, &text, NULL, NULL) < 0)
			continue;
		const char *line = strstr(text, "oom_kill ");
		if (line && (line == text || line[-1] == '\n'))
			return strtol(line + 9, NULL, 10);
	}
	return -1;
}

/* How an init ended, in words, for lswpar and startwpar. */
static void describe_end(int status, long ooms, char *buf, size_t size)
{
	int n;
	if (WIFEXITED(status))
		n = snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		n = snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		n = snprintf(buf, size, "wait status %#x", (unsigned)status);
	if (ooms > 0 && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "; the kernel killed %ld of its processes for want of memory (memoryLimit)",
			 ooms);
}

/* corral-init blocks SIGTERM and SIGCHLD (it takes them from a signalfd) as
 * soon as it has set itself up: from then on it is running, and an init
 * that dies before (a broken binary, no memory to load it) died at once. */
static bool init_took_signals(pid_t pid)
{
	char path[64];
	cleanup_free char *text = NULL;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (cr_read_file(path, 64 * 1024, &text, NULL, NULL) < 0)
		return false;
	const char *line = strstr(text, "\nSigBlk:");
	unsigned long long mask = line ? strtoull(line + 9, NULL, 16) : 0;
	unsigned long long want = (1ULL << (SIGTERM - 1)) | (1ULL << (SIGCHLD - 1));
	return (mask & want) == want;
}

/* Wait until a system partition's new init runs (it took over its signals),
 * at most INIT_READY_MS; an init that ends before is a failed start, with
 * how it ended. */
static int wait_init_ready(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, pid_t init, struct cr_error *err)
{
	for (long waited = 0;; waited += INIT_READY_POLL_US / 1000) {
		int status;
		if (waitpid(init, &status, WNOHANG) == init) {
			char how[256];
			describe_end(status, oom_kills(cg), how, sizeof(how));
			return cr_error_set(err, ECHILD, "the init of %s ended as it started: %s", cfg->name, how);
		}
		if (init_took_signals(init))
			return 0;
		if (waited >= INIT_READY_MS) {
			cr_partition_log(cfg->name, "its init did not take over its signals within %d s: taken as running",
					 INIT_READY_MS / 1000);
			return 0;
		}
		usleep(INIT_READY_POLL_US);
	}
}

struct spawn_ctx {
	char *const *argv;
	bool keep_stdio;
	const char *output; /* wparexec -c: the job's output file */
};

static int spawn_launch(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, void *ctx,
			pid_t *ret_init, enum cr_state *ret_state, struct cr_error *err)
{
	const struct spawn_ctx *sc = ctx;
	struct cr_spawn_request req = {
		.config = cfg,
		.cgroup = cg,
		.new_network = cfg->type == CR_TYPE_SYSTEM || cfg->n_netifs > 0,
		.keep_stdio = sc->keep_stdio,
		.argv = sc->argv,
	};
	int r = cr_spawn_init(&req, ret_init, err);
	if (r < 0)
		return cr_error_wrap(err, "starting the init of %s", cfg->name);
	if (cfg->type == CR_TYPE_SYSTEM && (r = wait_init_ready(cfg, cg, *ret_init, err)) < 0)
		return r;
	*ret_state = CR_STATE_ACTIVE;
	return 0;
}

/* A system partition's init that ended while no command was stopping it
 * (its state is not Transitional): WHY says how, for lswpar. */
static void ended_on_its_own(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, int status, char *why,
			     size_t size)
{
	struct cr_wpar_state st;
	if (cfg->type != CR_TYPE_SYSTEM || cr_state_load(cfg->name, &st, NULL) < 0)
		return;
	if (st.state != CR_STATE_TRANSITIONAL) {
		char how[256];
		describe_end(status, oom_kills(cg), how, sizeof(how));
		snprintf(why, size, "its init ended with no stop asked for (%s)", how);
	}
	cr_state_free(&st);
}

/* Launch, follow the init, clean up. Shared by system and application
 * partitions, fresh or restored. REPORT_FD hears once whether it runs. */
static int supervise(const struct cr_wpar_config *cfg, cr_monitor_launch_fn launch, void *ctx, int report_fd,
		     int *ret_status, struct cr_error *err)
{
	struct cr_cgroup *cg = NULL;
	int netns = -1; /* held from the launch to the cleanup (cr_net_hold) */
	int r = cr_cgroup_create(cfg->name, &cg, err);
	if (r < 0)
		return cr_error_wrap(err, "creating the cgroup of %s", cfg->name);
	if (cfg->resources.active && (r = cr_cgroup_apply(cg, &cfg->resources, err)) < 0) {
		cr_error_wrap(err, "applying the resource controls of %s", cfg->name);
		goto fail;
	}
	pid_t init;
	enum cr_state state;
	if ((r = launch(cfg, cg, ctx, &init, &state, err)) < 0)
		goto fail;
	forward_to = init;
	/* Its links go when its init does, not when the kernel gets to it. */
	struct cr_error hold_err = CR_ERROR_INIT;
	if (cr_net_hold(cfg, init, &netns, &hold_err) < 0)
		cr_partition_log(cfg->name, "%s", cr_error_msg(&hold_err));
	cr_error_clear(&hold_err);
	if ((r = record_state(cfg->name, state, init, NULL, err)) < 0) {
		cr_cgroup_kill_all(cg, SIGKILL, NULL);
		wait_for_init(init);
		goto fail;
	}
	cr_partition_log(cfg->name, "%s: init pid %d, monitor pid %d",
			 state == CR_STATE_PAUSED ? "restored, paused" : "running", (int)init, (int)getpid());
	report(report_fd, "ok", NULL);
	int status = wait_for_init(init);
	forward_to = 0;
	*ret_status = status;
	char why[320] = "";
	ended_on_its_own(cfg, cg, status, why, sizeof(why));
	cr_partition_log(cfg->name, "init ended (status %d)%s%s", status, *why ? ": " : "", why);
	struct cr_error cleanup_err = CR_ERROR_INIT;
	if (cr_net_release(cfg, &netns, &cleanup_err) < 0)
		cr_partition_log(cfg->name, "%s", cr_error_msg(&cleanup_err));
	cr_error_clear(&cleanup_err);
	(void)cr_net_detach(cfg, NULL); /* host ends of the partition's links */
	if (cr_cgroup_destroy(cg, CLEANUP_TIMEOUT_MS, &cleanup_err) < 0 ||
	    cr_nfs_unmount_all(cfg, NFS_UNMOUNT_MS, &cleanup_err) < 0) {
		cr_partition_log(cfg->name, "broken: %s", cr_error_msg(&cleanup_err));
		r = record_state(cfg->name, CR_STATE_BROKEN, 0, cr_error_msg(&cleanup_err), err);
		cr_error_clear(&cleanup_err);
		cr_cgroup_free(cg);
		return r < 0 ? r : -EBUSY;
	}
	cr_cgroup_free(cg);
	cr_partition_log(cfg->name, "stopped");
	return record_state(cfg->name, CR_STATE_DEFINED, 0, *why ? why : NULL, err);
fail:
	(void)cr_net_release(cfg, &netns, NULL);
	cr_cgroup_destroy(cg, CLEANUP_TIMEOUT_MS, NULL);
	cr_cgroup_free(cg);
	(void)cr_net_detach(cfg, NULL);
	(void)cr_nfs_unmount_all(cfg, NFS_UNMOUNT_MS, NULL);
	return r;
}

/* The monitor lock (partition/liveness.h), held until this process ends:
 * handed down on descriptor 4 by startwpar, else taken here. */
static int monitor_lock = -1;

static void hold_monitor_lock(const char *name)
{
	if (cr_monitor_lock_is(name, 4)) {
		monitor_lock = 4;
		(void)fcntl(monitor_lock, F_SETFD, FD_CLOEXEC);
		return;
	}
	struct cr_error err = CR_ERROR_INIT;
	if (cr_monitor_lock_take(name, 0, &monitor_lock, &err) < 0)
		cr_debug("%s", cr_error_msg(&err));
	cr_error_clear(&err);
}

static void become_monitor(const char *name)
{
	hold_monitor_lock(name);
	char comm[16];
	cr_monitor_comm(name, comm, sizeof(comm));
	prctl(PR_SET_NAME, comm);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction sa = {.sa_handler = forward_signal};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Become NAME's monitor and load NAME into *RET; a failure is reported on
 * REPORT_FD. */
static int monitor_load(const char *name, int report_fd, struct cr_wpar *ret, struct cr_error *err)
{
	become_monitor(name);
	int r = cr_registry_load(name, ret, err);
	if (r < 0)
		report(report_fd, "error", cr_error_msg(err));
	return r;
}

/* A WHAT ("start", "restart") that failed while NAME was Transitional: NAME
 * is recorded STATE (Broken with ERR as the reason, or Defined), and the
 * failure logged and reported on REPORT_FD. */
static void launch_failed(const char *name, const char *what, enum cr_state state, int report_fd,
			  const struct cr_error *err)
{
	cr_partition_log(name, "%s failed: %s", what, cr_error_msg(err));
	struct cr_error ignored = CR_ERROR_INIT;
	record_state(name, state, 0, state == CR_STATE_BROKEN ? cr_error_msg(err) : NULL, &ignored);
	cr_error_clear(&ignored);
	report(report_fd, "error", cr_error_msg(err));
}

int cr_monitor_run(const char *name, int report_fd, struct cr_error *err)
{
	struct cr_wpar w;
	int r = monitor_load(name, report_fd, &w, err);
	if (r < 0)
		return r;
	char *argv[] = {CR_INIT_PATH, "--system", NULL};
	struct spawn_ctx sc = {argv, false, NULL};
	int status = 0;
	r = supervise(&w.config, spawn_launch, &sc, report_fd, &status, err);
	if (r < 0 && w.state.state == CR_STATE_TRANSITIONAL) /* Broken, with the reason */
		launch_failed(name, "start", CR_STATE_BROKEN, report_fd, err);
	cr_wpar_free(&w);
	return r;
}

static int job_launch(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, void *ctx, pid_t *ret_init,
		      enum cr_state *ret_state, struct cr_error *err)
{
	const struct spawn_ctx *sc = ctx;
	int r = cr_app_job_spawn(cfg, cg, sc->output, sc->argv, ret_init, err);
	if (r < 0)
		return cr_error_wrap(err, "starting job %s", cfg->name);
	*ret_state = CR_STATE_ACTIVE;
	return 0;
}

int cr_partition_exec(const struct cr_wpar_config *cfg, char *const *argv, int *ret_status,
		      struct cr_error *err)
{
	become_monitor(cfg->name);
	/* Our own init runs the command as its child and reaps orphans. */
	cleanup_free char *init = NULL;
	cleanup_free char *output = NULL;
	int r = cr_rootfs_init_binary(&init, err);
	if (r < 0)
		return r;
	size_t n = 0;
	while (argv[n])
		n++;
	cleanup_free char **full = calloc(n + 3, sizeof(char *));
	if (!full)
		return cr_error_set(err, ENOMEM, "out of memory");
	full[0] = init;
	full[1] = "--exec";
	for (size_t i = 0; i < n; i++)
		full[i + 2] = argv[i];
	/* wparexec -c: a session of its own, output to a file (partition/app_job.h). */
	off_t mark = cr_app_job_log_mark(cfg->name);
	if (cfg->checkpointable) {
		cr_app_job_clear_end(cfg->name);
		if ((r = cr_app_job_output_path(cfg->name, &output, err)) < 0)
			return r;
	}
	int status = 0;
	struct spawn_ctx sc = {full, !cfg->checkpointable, output};
	r = supervise(cfg, cfg->checkpointable ? job_launch : spawn_launch, &sc, -1, &status, err);
	if (r < 0)
		return r;
	if (cfg->checkpointable && (r = cr_app_job_record_end(cfg->name, status, mark, err)) < 0)
		return r;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}

void cr_monitor_kill_launched(struct cr_cgroup *cg, pid_t init)
{
	cr_cgroup_kill_all(cg, SIGKILL, NULL);
	wait_for_init(init);
}

int cr_monitor_launch(const char *name, cr_monitor_launch_fn launch, void *ctx, int report_fd,
		      struct cr_error *err)
{
	struct cr_wpar w;
	int r = monitor_load(name, report_fd, &w, err);
	if (r < 0)
		return r;
	int status = 0;
	bool job = w.config.type == CR_TYPE_APPLICATION && w.config.checkpointable;
	off_t mark = cr_app_job_log_mark(name);
	if (job)
		cr_app_job_clear_end(name);
	r = supervise(&w.config, launch, ctx, report_fd, &status, err);
	if (r == 0 && job) /* wparexec -c: restartwpar waits for this */
		r = cr_app_job_record_end(name, status, mark, err);
	if (r < 0 && w.state.state == CR_STATE_TRANSITIONAL) /* nothing runs: Defined again */
		launch_failed(name, "restart", CR_STATE_DEFINED, report_fd, err);
	cr_wpar_free(&w);
	return r;
}
