#define LOG_PREFIX "guardian: "
#include "ckpt/guardian.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "criu/criu.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/state.h"
#include "util/log.h"

static volatile sig_atomic_t parent_died;

static void on_parent_death(int sig)
{
	(void)sig;
	parent_died = 1;
}

/* The pid tracing PID (CRIU seizes every task it dumps), or 0. */
static pid_t tracer_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int tracer = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return (pid_t)tracer;
}

/* Does a tracer (CRIU) hold a task of the partition? Kill it and its
 * worker's process group when KILL. */
static bool traced(struct cr_cgroup *cg, bool kill_it)
{
	pid_t *pids = NULL;
	size_t n = 0;
	bool any = false;
	if (cr_cgroup_pids(cg, &pids, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		pid_t tracer = tracer_of(pids[i]);
		if (tracer <= 0)
			continue;
		any = true;
		if (!kill_it)
			continue;
		pid_t group = getpgid(tracer);
		if (group > 1 && group != getpgrp())
			kill(-group, SIGKILL);
		kill(tracer, SIGKILL);
	}
	free(pids);
	return any;
}

/* CRIU goes on without its client. Killed while it holds the tasks, it
 * leaves them as they are that instant: a parasite half-run or a hardware
 * breakpoint armed, and the partition's init died of SIGTRAP when the next
 * one fired (test_crash_kill_chkptwpar, 2 kills in 80). So let it finish
 * (it cures the tasks and lets them go; the freezer holds them, thawed
 * below): wait until no task is traced for QUIET_MS (a CRIU may only be
 * starting now), and kill it only when it still holds them after
 * CRIU_GRACE_MS. Its dump is never used: chkptwpar, which packs it, is gone. */
#define QUIET_MS 3000
#define CRIU_GRACE_MS 30000
static void end_criu(struct cr_cgroup *cg)
{
	int quiet = 0;
	for (int waited = 0; quiet < QUIET_MS; waited += 100) {
		bool held = traced(cg, waited >= CRIU_GRACE_MS);
		quiet = held ? 0 : quiet + 100;
		usleep(100 * 1000);
	}
}

/* chkptwpar is gone mid-checkpoint: undo what it had done. */
static void recover(const char *name, pid_t init_pid, const char *log_path)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_cgroup *cg = NULL;
	if (cr_cgroup_open(name, &cg, &err) == 0) {
		end_criu(cg);
		/* A CRIU that slipped through may freeze the tasks again as it ends. */
		for (int round = 0; round < 20; round++) {
			cr_cgroup_thaw(cg, &err);
			usleep(100 * 1000);
		}
		cr_cgroup_free(cg);
	}
	cr_error_clear(&err);
	if (log_path && cr_criu_nft_unlock(init_pid, log_path, &err) < 0)
		cr_partition_log(name, "guardian: %s", cr_error_msg(&err));
	cr_error_clear(&err);
	struct cr_wpar_state st;
	if (cr_state_load(name, &st, &err) == 0) {
		if (cr_pid_alive(init_pid)) {
			st.state = CR_STATE_ACTIVE;
			st.owner_pid = 0;
			free(st.operation);
			st.operation = strdup("none");
			cr_state_save(name, &st, &err);
		}
		cr_state_free(&st);
	}
	cr_error_clear(&err);
	cr_partition_log(name, "checkpoint interrupted: partition thawed and left Active");
}

int cr_guardian_start(const char *name, pid_t init_pid, const char *log_path,
		      struct cr_guardian *ret, struct cr_error *err)
{
	pid_t parent = getpid();
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return cr_error_errno(err, "cannot start the checkpoint guardian");
	}
	if (pid > 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		ret->pid = pid;
		return 0;
	}
	/* The guardian: it shares chkptwpar's lock descriptor, so the partition
	 * stays locked until it has recovered it. */
	prctl(PR_SET_NAME, "cor_guardian");
	struct sigaction sa = {.sa_handler = on_parent_death};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		parent_died = 1;
	int sig = 0;
	while (!parent_died) {
		sigset_t wait_for;
		sigemptyset(&wait_for);
		sigaddset(&wait_for, SIGUSR1);
		sigaddset(&wait_for, SIGTERM);
		struct timespec tick = {1, 0};
		sig = sigtimedwait(&wait_for, NULL, &tick);
		if (sig == SIGUSR1)
			_exit(0);
		if (sig == SIGTERM || getppid() != parent)
			parent_died = 1;
	}
	recover(name, init_pid, log_path);
	_exit(0);
}

void cr_guardian_release(struct cr_guardian *g)
{
	if (g->pid <= 0)
		return;
	kill(g->pid, SIGUSR1);
	while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
		;
	g->pid = 0;
}
