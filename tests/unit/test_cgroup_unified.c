/* The cgroup2 code path on a real cgroup2 hierarchy (root only). On a v2
 * host that is /sys/fs/cgroup; on a hybrid host $CORRAL_CGROUP_ROOT points at
 * the (controller-less) cgroup2 mount at /sys/fs/cgroup/unified, so the v2
 * groups, attach, cgroup.freeze, cgroup.kill and destroy run for real while
 * the resource controllers, bound to v1 there, cannot be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/vfs.h>

#include "cgroup/cgroup.h"
#include "tests/unit/test_cgroup_common.h"

#define CGROUP2_MAGIC 0x63677270

static char v2_root[256];

static struct cr_cgroup *make_group(const char *name)
{
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_create(name, &cg, &err) < 0)
		fail_msg("create %s: %s", name, cr_error_msg(&err));
	cr_error_clear(&err);
	return cg;
}

static void layout_is_v2_at_override(void **state)
{
	(void)state;
	struct cr_cgroup_layout l;
	assert_int_equal(cr_cgroup_layout_detect(&l, NULL), 0);
	assert_int_equal(l.mode, CR_CGROUP_V2);
	assert_string_equal(l.mount_root, v2_root);
	assert_string_equal(l.unified_path, v2_root);
	assert_int_equal(l.v1_controllers, 0);
}

static void freeze_and_thaw_with_cgroup_freeze(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("v2frz");
	if (!(cr_cgroup_controllers(cg) & CR_CG_FREEZER)) {
		cgt_destroy_and_check(cg);
		skip(); /* kernels before 5.2 have no cgroup.freeze */
	}
	cgt_prove_freeze(cg);
}

static void sleeper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (fork() < 0)
			break;
	pause();
}

static void kill_all_and_pids(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("v2kill");
	pid_t child = cgt_spawn_attached(cg, sleeper, NULL);
	assert_true(child > 0);
	size_t n = 0;
	for (int i = 0; i < 200 && n != 8; i++) {
		pid_t *pids = NULL;
		assert_int_equal(cr_cgroup_pids(cg, &pids, &n, NULL), 0);
		free(pids);
		cgt_sleep_ms(10);
	}
	assert_int_equal(n, 8); /* three rounds of fork doubling */
	struct cr_cgroup_stats st;
	assert_int_equal(cr_cgroup_stats(cg, &st, NULL), 0);
	assert_int_equal(st.nprocs, 8);
	assert_true(st.cpu_usage_ns >= 0); /* cpu.stat is in every cgroup2 group */
	assert_int_equal(cr_cgroup_kill_all(cg, SIGKILL, NULL), 0);
	cgt_expect_signalled(child, SIGKILL);
	cgt_destroy_and_check(cg);
}

static void controls_need_their_controllers(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("v2ctl");
	struct cr_resources res;
	cr_resources_init(&res);
	struct cr_error err = CR_ERROR_INIT;
	/* all unset: whatever exists is reset, the rest is skipped */
	assert_int_equal(cr_cgroup_apply(cg, &res, &err), 0);
	res.total_processes = 5;
	int r = cr_cgroup_apply(cg, &res, &err);
	if (cr_cgroup_controllers(cg) & CR_CG_PIDS) {
		assert_int_equal(r, 0);
	} else {
		/* a limit asked for without its controller is an error, not ignored */
		assert_int_equal(r, -ENOTSUP);
		assert_non_null(strstr(cr_error_msg(&err), "pids"));
		fprintf(stderr, "note: pids controller is not on %s (bound to v1 on a hybrid "
			"host): limits there are tested by test_cgroup_limits\n", v2_root);
	}
	cr_error_clear(&err);
	cgt_destroy_and_check(cg);
}

static int teardown_all(void **state)
{
	(void)state;
	cgt_remove_parent(v2_root);
	cgt_reap_all();
	return 0;
}

/* The host's cgroup2 mount: the root on a v2 host, else ROOT/unified. */
static int find_v2_root(void)
{
	const char *candidates[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs sf;
		if (statfs(candidates[i], &sf) == 0 && (long)sf.f_type == CGROUP2_MAGIC) {
			snprintf(v2_root, sizeof(v2_root), "%s", candidates[i]);
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	if (!cgt_usable())
		return 0;
	if (!find_v2_root()) {
		fprintf(stderr, "skipped: no cgroup2 hierarchy on this host\n");
		return 0;
	}
	setenv("CORRAL_CGROUP_ROOT", v2_root, 1);
	cgt_setup_parent();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_v2_at_override),
		cmocka_unit_test(freeze_and_thaw_with_cgroup_freeze),
		cmocka_unit_test(kill_all_and_pids),
		cmocka_unit_test(controls_need_their_controllers),
	};
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
