/* startwpar and stopwpar: launching the monitor and ending a partition. */
#define LOG_PREFIX "lifecycle: "
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "net/net.h"
#include "nfs/nfs.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/mounts.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "util/cleanup.h"
#include "util/fdwait.h"
#include "util/log.h"

#define LOCK_TIMEOUT_MS 10000
#define START_TIMEOUT_MS 60000
#define KILL_WAIT_MS 15000
#define NFS_UNMOUNT_MS 30000
/* A monitor that recorded the end of an earlier run may still be leaving. */
#define MONITOR_LOCK_MS 5000

/* Fork the monitor, detached in a session of its own, its output in the log. */
static int launch_monitor(const char *name, const char *self_exe, char *const *extra, int report_fd,
			  int monitor_lock, int go_fd, pid_t *ret_pid, struct cr_error *err)
{
	cleanup_free char *log = NULL;
	int r = cr_partition_log_path(name, &log, err);
	if (r < 0)
		return r;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return cr_error_errno(err, "cannot fork the monitor of %s", name);
	if (pid > 0) {
		*ret_pid = pid;
		return 0;
	}
	setsid();
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	/* Its report pipe on 3, on 4 the monitor lock it holds until it ends,
	 * and on 5 what it waits for before it restores (GO_FD), if any. */
	int report = fcntl(report_fd, F_DUPFD_CLOEXEC, 10), held = fcntl(monitor_lock, F_DUPFD_CLOEXEC, 10);
	int go = go_fd >= 0 ? fcntl(go_fd, F_DUPFD_CLOEXEC, 10) : -1;
	if (report < 0 || held < 0 || dup2(report, 3) < 0 || dup2(held, 4) < 0 ||
	    (go_fd >= 0 && (go < 0 || dup2(go, 5) < 0)))
		_exit(127);
	(void)syscall(SYS_close_range, go_fd >= 0 ? 6 : 5, ~0U, 0);
	/* The monitor must not keep its parent's session: fork once more so
	 * startwpar's process is not its parent (no zombie, no SIGCHLD). */
	pid_t grandchild = fork();
	if (grandchild != 0)
		_exit(grandchild < 0 ? 127 : 0);
	char *argv[16] = {"corral", "monitor", (char *)name, "3"};
	for (size_t i = 0; extra && extra[i] && i < 11; i++)
		argv[4 + i] = extra[i];
	execv(self_exe, argv);
	_exit(127);
}

int cr_partition_launch_held(const char *name, const char *self_exe, char *const *extra, int go_fd, int *lock,
			     int *ret_verdict, struct cr_error *err)
{
	int pipefd[2];
	/* Taken here and handed down, so that a monitor is known to be at work
	 * from this moment on, whenever this command is killed. */
	cleanup_close int monitor_lock = -1;
	int r = cr_monitor_lock_take(name, MONITOR_LOCK_MS, &monitor_lock, err);
	if (r < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe");
	pid_t child = 0;
	r = launch_monitor(name, self_exe, extra, pipefd[1], monitor_lock, go_fd, &child, err);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return r;
	}
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	/* The monitor records the outcome itself, under this lock: let it. */
	close(cr_steal_fd(lock));
	*ret_verdict = pipefd[0];
	return 0;
}

int cr_partition_launch_await(int verdict_fd, struct cr_error *err)
{
	char verdict[1024];
	int r = cr_fd_read_line(verdict_fd, START_TIMEOUT_MS, verdict, sizeof(verdict));
	close(verdict_fd);
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "the partition did not start within %d seconds",
				    START_TIMEOUT_MS / 1000);
	if (r < 0)
		return cr_error_set(err, -r, "cannot read the monitor's verdict: %s", strerror(-r));
	if (strcmp(verdict, "ok") != 0) {
		const char *msg = !strncmp(verdict, "error: ", 7) ? verdict + 7 : verdict;
		return cr_error_set(err, EIO, "%s", *msg ? msg : "the monitor ended without a word; see the partition log");
	}
	return 0;
}

int cr_partition_launch(const char *name, const char *self_exe, char *const *extra, int *lock,
			struct cr_error *err)
{
	int verdict = -1;
	int r = cr_partition_launch_held(name, self_exe, extra, -1, lock, &verdict, err);
	return r < 0 ? r : cr_partition_launch_await(verdict, err);
}

/* NAME is Transitional, its start carried on by a monitor although the
 * startwpar that launched it was killed: wait (bounded) for the outcome the
 * monitor records, then hold the lock and NAME as it is. */
static int await_orphaned_start(const char *name, int *lock, struct cr_wpar *w, struct cr_error *err)
{
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		bool orphaned = w->state.state == CR_STATE_TRANSITIONAL && !cr_pid_alive(w->state.owner_pid) &&
				cr_monitor_lock_held(name);
		if (!orphaned)
			return 0;
		close(cr_steal_fd(lock));
		cr_wpar_free(w);
		poll(NULL, 0, 20);
		int r = cr_registry_lock_load(name, LOCK_TIMEOUT_MS, lock, w, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cr_partition_start(const char *name, const char *self_exe, struct cr_error *err)
{
	cleanup_close int lock = -1;
	struct cr_wpar w;
	int r = cr_registry_lock_load(name, LOCK_TIMEOUT_MS, &lock, &w, err);
	if (r < 0 || (r = await_orphaned_start(name, &lock, &w, err)) < 0)
		return r;
	if (w.config.type != CR_TYPE_SYSTEM) {
		r = cr_error_set(err, EINVAL, "%s is an application partition: run it with wparexec", name);
		goto out;
	}
	if (w.state.state == CR_STATE_BROKEN) {
		r = cr_error_set(err, EINVAL, "%s is Broken (%s): clear it with stopwpar -F first", name,
				 w.state.broken_reason ? w.state.broken_reason : "no reason recorded");
		goto out;
	}
	if (w.state.state != CR_STATE_DEFINED) {
		r = cr_error_set(err, EBUSY, "%s is already %s", name, cr_state_name(w.state.state));
		goto out;
	}
	if ((r = cr_mounts_check_supported(&w.config, err)) < 0 || (r = cr_partition_net_validate(&w.config, name, err)) < 0) {
		cr_error_wrap(err, "starting %s", name);
		goto out;
	}
	/* NFS file systems are mounted on the host under the base directory
	 * (the partition inherits them) before anything is written there. */
	if ((r = cr_nfs_mount_all(&w.config, err)) < 0) {
		cr_error_wrap(err, "starting %s", name);
		goto out;
	}
	if ((r = cr_rootfs_write_hostname(w.config.directory, w.config.hostname, err)) < 0 ||
	    (r = cr_rootfs_install_init(w.config.directory, err)) < 0) {
		cr_error_wrap(err, "starting %s", name);
		goto unmount;
	}
	if ((r = cr_state_transition(name, &w.state, CR_STATE_TRANSITIONAL, "start", err)) < 0)
		goto unmount;
	if ((r = cr_partition_launch(name, self_exe, NULL, &lock, err)) < 0 && lock >= 0)
		goto undo;
	goto out;
undo:
	cr_state_transition(name, &w.state, CR_STATE_DEFINED, "none", NULL);
unmount:
	cr_nfs_unmount_all(&w.config, NFS_UNMOUNT_MS, NULL);
out:
	cr_wpar_free(&w);
	return r;
}

/* Wait until PID ends (it is not our child), at most TIMEOUT_MS (-1: forever). */
static bool wait_gone(const char *name, pid_t pid, int timeout_ms)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 || !cr_monitor_alive(name, pid))
		return true;
	return cr_fd_wait_readable(pidfd, timeout_ms) == 1;
}

/* Clean up after a partition whose monitor is gone. */
static int clean_leftovers(const char *name, struct cr_wpar *w, struct cr_error *err)
{
	struct cr_wpar_state *st = &w->state;
	struct cr_cgroup *cg = NULL;
	int r = cr_cgroup_open(name, &cg, err);
	if (r == -ENOENT)
		cr_error_clear(err);
	else if (r < 0)
		return r;
	if (cg) {
		r = cr_cgroup_destroy(cg, KILL_WAIT_MS, err);
		cr_cgroup_free(cg);
		if (r < 0)
			return r;
	}
	if ((r = cr_nfs_unmount_all(&w->config, NFS_UNMOUNT_MS, err)) < 0)
		return r;
	st->init_pid = st->monitor_pid = 0;
	st->start_time = 0;
	free(st->broken_reason);
	st->broken_reason = NULL;
	return cr_state_transition(name, st, CR_STATE_DEFINED, "none", err);
}

static int kill_partition(const char *name, struct cr_error *err)
{
	struct cr_cgroup *cg = NULL;
	int r = cr_cgroup_open(name, &cg, err);
	if (r < 0)
		return r;
	r = cr_cgroup_kill_all(cg, SIGKILL, err);
	cr_cgroup_free(cg);
	return r;
}

int cr_partition_stop(const char *name, const struct cr_stop_options *opts, struct cr_error *err)
{
	cleanup_close int lock = -1;
	struct cr_wpar w;
	int r = cr_registry_lock_load(name, LOCK_TIMEOUT_MS, &lock, &w, err);
	if (r < 0)
		return r;
	enum cr_state s = w.state.state;
	if (s == CR_STATE_DEFINED && !opts->force) {
		r = cr_error_set(err, EINVAL, "%s is not active", name);
		goto out;
	}
	if (s == CR_STATE_DEFINED || s == CR_STATE_BROKEN) {
		if (!opts->force) {
			r = cr_error_set(err, EINVAL, "%s is Broken (%s): use stopwpar -F", name,
					 w.state.broken_reason ? w.state.broken_reason : "no reason recorded");
			goto out;
		}
		r = clean_leftovers(name, &w, err);
		if (r == 0)
			cr_partition_log(name, "stopwpar -F cleared the partition");
		goto out;
	}
	pid_t monitor = w.state.monitor_pid, init = w.state.init_pid;
	if ((r = cr_state_transition(name, &w.state, CR_STATE_TRANSITIONAL, "stop", err)) < 0)
		goto out;
	close(cr_steal_fd(&lock)); /* the monitor records the end under this lock */
	cr_partition_log(name, "stopping%s", opts->force ? " (forced)" : "");
	struct cr_error ignored = CR_ERROR_INIT;
	if (opts->force || s == CR_STATE_FROZEN || s == CR_STATE_PAUSED || init <= 0)
		kill_partition(name, &ignored);
	else
		kill(init, SIGTERM);
	bool gone = wait_gone(name, monitor, opts->force ? KILL_WAIT_MS : (opts->timeout_s < 0 ? -1 : opts->timeout_s * 1000));
	if (!gone) {
		cr_partition_log(name, "did not stop within %d seconds: killing it", opts->timeout_s);
		kill_partition(name, &ignored);
		gone = wait_gone(name, monitor, KILL_WAIT_MS);
	}
	cr_error_clear(&ignored);
	if ((r = cr_registry_lock(name, LOCK_TIMEOUT_MS, &lock, err)) < 0)
		goto out;
	cr_state_free(&w.state);
	if ((r = cr_state_load(name, &w.state, err)) < 0)
		goto out;
	if (!gone) {
		free(w.state.broken_reason);
		w.state.broken_reason = strdup("its processes could not be stopped");
		cr_state_transition(name, &w.state, CR_STATE_BROKEN, "stop", NULL);
		r = cr_error_set(err, EBUSY, "%s could not be stopped: it is now Broken", name);
	} else if (w.state.state != CR_STATE_DEFINED) {
		/* The monitor did not record the end (it was killed): do it here. */
		r = clean_leftovers(name, &w, err);
	}
out:
	cr_wpar_free(&w);
	return r;
}

int cr_partition_settle_transition(const char *name, enum cr_settled *ret, struct cr_error *err)
{
	struct cr_wpar w;
	int r = cr_registry_read(name, &w, err);
	if (r < 0)
		return r;
	struct cr_wpar_state *st = &w.state;
	if (st->state != CR_STATE_TRANSITIONAL || (st->owner_pid > 0 && cr_pid_alive(st->owner_pid)))
		goto out;
	bool monitor = cr_monitor_lock_held(name) || (st->monitor_pid > 0 && cr_monitor_alive(name, st->monitor_pid));
	bool stopping = st->operation && !strcmp(st->operation, "stop");
	if (monitor && !stopping)
		goto out; /* the monitor it launched is starting it and records the outcome */
	cr_partition_log(name, "the command doing '%s' (pid %d) ended before it finished: %s", st->operation ? st->operation : "?",
			 (int)st->owner_pid, monitor ? "Active again" : "Defined again");
	*ret = CR_SETTLED_TRANSITION;
	if (monitor) /* the stop was not carried out: it runs */
		r = cr_state_transition(name, st, CR_STATE_ACTIVE, "none", err);
	else
		r = clean_leftovers(name, &w, err);
out:
	cr_wpar_free(&w);
	return r;
}
