/* A pure v1 host on this machine's real v1 hierarchies (root only): the
 * detected mounts without their cgroup2 part, so there is no cgroup.kill and
 * SIGKILL goes through the freeze / kill / thaw rounds, racing a fork bomb. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup/cgroup_internal.h"
#include "tests/unit/test_cgroup_common.h"

static struct cg_mounts mounts;

static struct cr_cgroup *make_v1_group(const char *name)
{
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cg_open_with(&mounts, test_parent, name, true, &cg, &err) < 0)
		fail_msg("create %s: %s", name, cr_error_msg(&err));
	for (size_t i = 0; i < cg->n_hier; i++)
		assert_false(cg->hier[i].v2);
	return cg;
}

/* Every task forks forever, bounded by pids.max. */
static void fork_bomb(void *arg)
{
	(void)arg;
	for (;;) {
		if (fork() < 0)
			cgt_sleep_ms(1);
	}
}

static void sigkill_rounds_stop_a_fork_bomb(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_v1_group("bomb");
	if (!(cr_cgroup_controllers(cg) & CR_CG_PIDS)) {
		cgt_destroy_and_check(cg);
		skip(); /* no fork bomb without pids.max to hold it */
	}
	struct cr_resources res;
	cr_resources_init(&res);
	res.total_processes = 64;
	assert_int_equal(cr_cgroup_apply(cg, &res, NULL), 0);
	pid_t child = cgt_spawn_attached(cg, fork_bomb, NULL);
	assert_true(child > 0);
	cgt_sleep_ms(200);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cr_cgroup_pids(cg, &pids, &n, NULL), 0);
	free(pids);
	assert_true(n > 1);

	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_kill_all(cg, SIGKILL, &err) < 0)
		fail_msg("kill_all: %s", cr_error_msg(&err));
	assert_int_equal(cr_cgroup_pids(cg, &pids, &n, NULL), 0);
	free(pids);
	assert_int_equal(n, 0);
	cgt_expect_signalled(child, SIGKILL);
	cgt_destroy_and_check(cg);
}

static void destroy_kills_frozen_tasks(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_v1_group("frozen");
	if (!(cr_cgroup_controllers(cg) & CR_CG_FREEZER)) {
		cgt_destroy_and_check(cg);
		skip();
	}
	volatile unsigned long counter = 0;
	pid_t child = cgt_spawn_attached(cg, cgt_busy_loop, (void *)&counter);
	assert_true(child > 0);
	assert_int_equal(cr_cgroup_freeze(cg, 5000, NULL), 0);
	cgt_destroy_and_check(cg);
	cgt_expect_signalled(child, SIGKILL);
}

static int teardown_all(void **state)
{
	(void)state;
	cgt_remove_parent(mounts.layout.mount_root);
	cgt_reap_all();
	cg_mounts_clear(&mounts);
	return 0;
}

int main(void)
{
	if (!cgt_usable())
		return 0;
	unsetenv("CORRAL_CGROUP_ROOT");
	if (cg_mounts_detect(&mounts, NULL) < 0 || !mounts.layout.v1_controllers) {
		fprintf(stderr, "skipped: this host has no cgroup v1 hierarchy\n");
		cg_mounts_clear(&mounts);
		return 0;
	}
	mounts.layout.mode = CR_CGROUP_V1;
	mounts.layout.unified_path[0] = '\0';
	cgt_setup_parent();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigkill_rounds_stop_a_fork_bomb),
		cmocka_unit_test(destroy_kills_frozen_tasks),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
