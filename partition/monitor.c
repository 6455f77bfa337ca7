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

#include "partition/cgroup.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "partition/rootfs.h"
#include "partition/spawn.h"
#include "util/cleanup.h"
#include "util/log.h"

#define CLEANUP_TIMEOUT_MS 10000
#define LOCK_TIMEOUT_MS 30000

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

/* Start the init, follow it, clean up. Shared by system and application
 * partitions. REPORT_FD hears once whether the start worked. */
static int supervise(const struct cr_wpar_config *cfg, char *const *argv, bool keep_stdio,
		     int report_fd, int *ret_status, struct cr_error *err)
{
	struct cr_cgroup *cg = NULL;
	int r = cr_cgroup_create(cfg->name, &cg, err);
	if (r < 0)
		return cr_error_wrap(err, "creating the cgroup of %s", cfg->name);
	if (cfg->resources.active && (r = cr_cgroup_apply(cg, &cfg->resources, err)) < 0) {
		cr_error_wrap(err, "applying the resource controls of %s", cfg->name);
		goto fail;
	}
	struct cr_spawn_request req = {
		.config = cfg,
		.cgroup = cg,
		.new_network = cfg->type == CR_TYPE_SYSTEM || cfg->n_netifs > 0,
		.keep_stdio = keep_stdio,
		.argv = argv,
	};
	pid_t init;
	if ((r = cr_spawn_init(&req, &init, err)) < 0) {
		cr_error_wrap(err, "starting the init of %s", cfg->name);
		goto fail;
	}
	forward_to = init;
	if ((r = record_state(cfg->name, CR_STATE_ACTIVE, init, NULL, err)) < 0) {
		kill(init, SIGKILL);
		wait_for_init(init);
		goto fail;
	}
	cr_partition_log(cfg->name, "started: init pid %d, monitor pid %d", (int)init, (int)getpid());
	report(report_fd, "ok", NULL);
	int status = wait_for_init(init);
	forward_to = 0;
	*ret_status = status;
	cr_partition_log(cfg->name, "init ended (status %d)", status);
	struct cr_error cleanup_err = CR_ERROR_INIT;
	if (cr_cgroup_destroy(cg, CLEANUP_TIMEOUT_MS, &cleanup_err) < 0) {
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
	cr_cgroup_destroy(cg, CLEANUP_TIMEOUT_MS, NULL);
	cr_cgroup_free(cg);
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
	int status = 0;
	r = supervise(&w.config, argv, false, report_fd, &status, err);
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

int cr_partition_exec(const struct cr_wpar_config *cfg, char *const *argv, int *ret_status,
		      struct cr_error *err)
{
	become_monitor(cfg->name);
	/* Our own init runs the command as its child and reaps orphans. */
	cleanup_free char *init = NULL;
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
	int status = 0;
	r = supervise(cfg, full, true, -1, &status, err);
	if (r < 0)
		return r;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}
