/* The tasks of a partition: listing, signalling and the final destroy.
 *
 * SIGKILL uses cgroup.kill when a cgroup2 group has it (kernel 5.14+: the
 * kernel kills every task, forks in flight included); that is all on a v2
 * host. Otherwise, and after it in the hybrid layout, the group is
 * frozen (best effort) so nothing forks between listing and signalling, every
 * task gets the signal, and the group is thawed so the tasks can act on it; a
 * frozen v1 task does not die before it is thawed. Rounds repeat until the
 * group is empty or KILL_ROUNDS_MS have passed. Other signals are sent once
 * to every task listed. */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define KILL_ROUNDS_MS 2000
#define KILL_FREEZE_MS 500

int cr_cgroup_pids(struct cr_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct cr_error *err)
{
	int r = cg_list_pids(cg_task_hier(cg)->dir, ret_pids, ret_n, err);
	if (r < 0)
		return cr_error_wrap(err, "listing the tasks of %s", cg->name);
	return 0;
}

/* Signal every task once; *ret_n is how many were listed. */
static int signal_round(struct cr_cgroup *cg, int sig, size_t *ret_n, struct cr_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	int r = cr_cgroup_pids(cg, &pids, &n, err);
	if (r < 0)
		return r;
	pid_t self = getpid();
	for (size_t i = 0; i < n; i++) {
		if (pids[i] == self)
			continue; /* never the caller, should it have joined */
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return cr_error_errno(err, "cannot send signal %d to pid %d of %s", sig,
					      (int)pids[i], cg->name);
	}
	*ret_n = n;
	return 0;
}

static const struct cg_hier *kill_file_hier(const struct cr_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_hier; i++)
		if (cg->hier[i].v2 && cg_has(cg->hier[i].dir, "cgroup.kill"))
			return &cg->hier[i];
	return NULL;
}

static int kill_round(struct cr_cgroup *cg, size_t *ret_n, struct cr_error *err)
{
	bool can_freeze = cg_find(cg, CR_CG_FREEZER) != NULL;
	struct cr_error ferr = CR_ERROR_INIT;
	bool froze = can_freeze && cr_cgroup_freeze(cg, KILL_FREEZE_MS, &ferr) == 0;
	if (can_freeze && !froze)
		cr_debug("killing %s unfrozen: %s", cg->name, cr_error_msg(&ferr));
	cr_error_clear(&ferr);
	int r = signal_round(cg, SIGKILL, ret_n, err);
	/* thaw even when frozen before: a frozen v1 task never dies */
	if (can_freeze) {
		int t = cr_cgroup_thaw(cg, r < 0 ? NULL : err);
		if (r == 0)
			r = t;
	}
	return r;
}

/* Send SIG; for SIGKILL repeat the rounds until the group is empty or DEADLINE. */
static int kill_all_until(struct cr_cgroup *cg, int sig, int64_t deadline, struct cr_error *err)
{
	size_t n = 0;
	if (sig != SIGKILL) {
		int r = signal_round(cg, sig, &n, err);
		return r < 0 ? cr_error_wrap(err, "signalling %s", cg->name) : 0;
	}
	const struct cg_hier *k = kill_file_hier(cg);
	if (k) {
		int r = cg_write(k->dir, "cgroup.kill", "1", err);
		if (r < 0)
			return cr_error_wrap(err, "killing %s", cg->name);
		/* hybrid: the v1 groups may hold tasks that never joined the
		 * cgroup2 group, and a v1-frozen task needs a thaw to die */
		if (k == cg_task_hier(cg))
			return 0;
	}
	do {
		int r = kill_round(cg, &n, err);
		if (r < 0)
			return cr_error_wrap(err, "killing %s", cg->name);
		if (n == 0)
			return 0;
		cg_sleep_ms(10);
	} while (cr_now_ms() < deadline);
	return 0;
}

int cr_cgroup_kill_all(struct cr_cgroup *cg, int sig, struct cr_error *err)
{
	return kill_all_until(cg, sig, cr_now_ms() + KILL_ROUNDS_MS, err);
}

/* Wait until no task is left, up to DEADLINE. */
static int wait_empty(struct cr_cgroup *cg, int64_t deadline, struct cr_error *err)
{
	for (;;) {
		cleanup_free pid_t *pids = NULL;
		size_t n = 0;
		int r = cr_cgroup_pids(cg, &pids, &n, err);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		if (cr_now_ms() >= deadline)
			return cr_error_set(err, ETIMEDOUT, "%zu task(s) of %s (pid %d...) still "
					    "alive", n, cg->name, (int)pids[0]);
		cg_sleep_ms(10);
	}
}

int cr_cgroup_destroy(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err)
{
	int64_t now = cr_now_ms();
	int64_t deadline = now + (timeout_ms > 0 ? timeout_ms : 0);
	int64_t rounds_end = now + KILL_ROUNDS_MS;
	int r = 0;
	/* a second destroy finds the groups gone: nothing to kill */
	if (cg_has(cg_task_hier(cg)->dir, ".")) {
		r = kill_all_until(cg, SIGKILL, deadline < rounds_end ? deadline : rounds_end, err);
		if (r == 0)
			r = wait_empty(cg, deadline, err);
	}
	for (size_t i = 0; r == 0 && i < cg->n_hier; i++) {
		/* a group can stay busy a moment after its last task is gone */
		while ((r = cg_rmdir_tree(cg->hier[i].dir, err)) == -EBUSY &&
		       cr_now_ms() < deadline)
			cg_sleep_ms(10);
	}
	if (r < 0)
		return cr_error_wrap(err, "removing the groups of %s", cg->name);
	cr_debug("removed the groups of %s", cg->name);
	return 0;
}
