/* The monitor: one process per running partition, outside it (AIX's
 * cor_NAME). It creates the cgroup, starts the init in its namespaces, records
 * the state, and when the init ends cleans up and records the end. */
#define LOG_PREFIX "monitor: "
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "partition/app_job.h"
#include "partition/cgroup.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "partition/spawn.h"
#include "restore/restore.h"
#include "net/net.h"
#include "net/net_ckpt.h"
#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CLEANUP_TIMEOUT_MS 10000
#define LOCK_TIMEOUT_MS 30000
#define NFS_UNMOUNT_MS 30000

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static void report(int fd, const char *status, const char *msg)
{
	if (fd < 0)
		return;
	dprintf(fd, "%s%s%s\n", status, msg ? ": " : "", msg ? msg : "");
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

/* Start the partition's processes in CG: a new init, or a restored tree. */
typedef int (*launch_fn)(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, void *ctx,
			 pid_t *ret_init, enum cr_state *ret_state, struct cr_error *err);

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
	*ret_state = CR_STATE_ACTIVE;
	return 0;
}

/* Launch, follow the init, clean up. Shared by system and application
 * partitions, fresh or restored. REPORT_FD hears once whether it runs. */
static int supervise(const struct cr_wpar_config *cfg, launch_fn launch, void *ctx, int report_fd,
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
	cr_partition_log(cfg->name, "init ended (status %d)", status);
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
	return record_state(cfg->name, CR_STATE_DEFINED, 0, NULL, err);
fail:
	(void)cr_net_release(cfg, &netns, NULL);
	cr_cgroup_destroy(cg, CLEANUP_TIMEOUT_MS, NULL);
	cr_cgroup_free(cg);
	(void)cr_net_detach(cfg, NULL);
	(void)cr_nfs_unmount_all(cfg, NFS_UNMOUNT_MS, NULL);
	return r;
}

static void become_monitor(const char *name)
{
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

int cr_monitor_run(const char *name, int report_fd, struct cr_error *err)
{
	become_monitor(name);
	struct cr_wpar w;
	int r = cr_registry_load(name, &w, err);
	if (r < 0) {
		report(report_fd, "error", cr_error_msg(err));
		return r;
	}
	char *argv[] = {CR_INIT_PATH, "--system", NULL};
	struct spawn_ctx sc = {argv, false, NULL};
	int status = 0;
	r = supervise(&w.config, spawn_launch, &sc, report_fd, &status, err);
	if (r < 0 && w.state.state == CR_STATE_TRANSITIONAL) {
		/* The start failed: the partition is Broken, with the reason. */
		cr_partition_log(name, "start failed: %s", cr_error_msg(err));
		struct cr_error ignored = CR_ERROR_INIT;
		record_state(name, CR_STATE_BROKEN, 0, cr_error_msg(err), &ignored);
		cr_error_clear(&ignored);
		report(report_fd, "error", cr_error_msg(err));
	}
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

struct restore_ctx {
	const char *images_dir;
	bool paused;
};

static int restore_launch(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, void *ctx,
			  pid_t *ret_init, enum cr_state *ret_state, struct cr_error *err)
{
	const struct restore_ctx *rc = ctx;
	int r = cr_restore_tree(cfg, cg, rc->images_dir, ret_init, err);
	if (r < 0)
		return r;
	/* Hold the restored tree still while its timers are mended. */
	if ((r = cr_cgroup_freeze(cg, CLEANUP_TIMEOUT_MS, err)) < 0 || (r = cr_restore_fixups(cg, err)) < 0 ||
	    (!rc->paused && (r = cr_cgroup_thaw(cg, err)) < 0)) {
		cr_cgroup_kill_all(cg, SIGKILL, NULL);
		wait_for_init(*ret_init);
		return cr_error_wrap(err, "resuming the restored %s", cfg->name);
	}
	/* Running: its addresses are here now (a Paused one says so when resumed). */
	struct cr_error net_err = CR_ERROR_INIT;
	if (!rc->paused && cr_net_resumed(cfg, *ret_init, &net_err) < 0)
		cr_partition_log(cfg->name, "restored, but: %s", cr_error_msg(&net_err));
	cr_error_clear(&net_err);
	*ret_state = rc->paused ? CR_STATE_PAUSED : CR_STATE_ACTIVE;
	return 0;
}

int cr_monitor_restore(const char *name, const char *images_dir, bool paused, int report_fd,
		       struct cr_error *err)
{
	become_monitor(name);
	struct cr_wpar w;
	int r = cr_registry_load(name, &w, err);
	if (r < 0) {
		report(report_fd, "error", cr_error_msg(err));
		return r;
	}
	struct restore_ctx rc = {images_dir, paused};
	int status = 0;
	bool job = w.config.type == CR_TYPE_APPLICATION && w.config.checkpointable;
	off_t mark = cr_app_job_log_mark(name);
	if (job)
		cr_app_job_clear_end(name);
	r = supervise(&w.config, restore_launch, &rc, report_fd, &status, err);
	if (r == 0 && job) /* wparexec -c: restartwpar waits for this */
		r = cr_app_job_record_end(name, status, mark, err);
	if (r < 0 && w.state.state == CR_STATE_TRANSITIONAL) {
		/* Nothing runs: the partition is Defined again, the image untouched. */
		cr_partition_log(name, "restart failed: %s", cr_error_msg(err));
		struct cr_error ignored = CR_ERROR_INIT;
		record_state(name, CR_STATE_DEFINED, 0, NULL, &ignored);
		cr_error_clear(&ignored);
		report(report_fd, "error", cr_error_msg(err));
	}
	cr_wpar_free(&w);
	return r;
}
