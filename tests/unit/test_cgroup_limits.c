/* Real cgroups on this host (root only, else skipped): a group is created,
 * a forked child attached, and each resource control is proven by what the
 * child can no longer do. Runs on whatever layout the host has (v1, hybrid
 * or v2); the groups live under a parent unique to this run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>


#include "cgroup/cgroup.h"
#include "tests/unit/test_cgroup_common.h"

static struct cr_resources unlimited(void)
{
	struct cr_resources r;
	cr_resources_init(&r);
	return r;
}

static struct cr_cgroup *make_group(const char *name, unsigned need)
{
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_create(name, &cg, &err) < 0)
		fail_msg("create %s: %s", name, cr_error_msg(&err));
	cr_error_clear(&err);
	if ((cr_cgroup_controllers(cg) & need) != need) {
		cr_cgroup_destroy(cg, 1000, NULL);
		cr_cgroup_free(cg);
		return NULL;
	}
	return cg;
}

static void apply_ok(struct cr_cgroup *cg, const struct cr_resources *res)
{
	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_apply(cg, res, &err) < 0)
		fail_msg("apply: %s", cr_error_msg(&err));
	cr_error_clear(&err);
}

/* The first line of a control file of CG (a static buffer), NULL if none. */
static char *read_ctl(struct cr_cgroup *cg, unsigned ctrl, const char *file)
{
	static char buf[256];
	char *path = NULL;
	if (asprintf(&path, "%s/%s", cr_cgroup_dir(cg, ctrl), file) < 0)
		return NULL;
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The child forks until fork fails and reports how many forks worked. */
static int fork_pipe[2];

static void fork_until_refused(void *arg)
{
	(void)arg;
	int made = 0, why = 0;
	for (int i = 0; i < 64; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			why = errno;
			break;
		}
		made++;
	}
	int msg[2] = {made, why};
	if (write(fork_pipe[1], msg, sizeof(msg)) != sizeof(msg))
		_exit(3);
	pause();
}

static void pids_max_refuses_sixth_task(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("pids", CR_CG_PIDS);
	if (!cg)
		skip();
	struct cr_resources res = unlimited();
	res.total_processes = 5;
	res.total_threads = 100;
	apply_ok(cg, &res);
	assert_string_equal(read_ctl(cg, CR_CG_PIDS, "pids.max"), "5");

	assert_int_equal(pipe(fork_pipe), 0);
	pid_t child = cgt_spawn_attached(cg, fork_until_refused, NULL);
	assert_true(child > 0);
	int msg[2] = {-1, -1};
	assert_int_equal(read(fork_pipe[0], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	close(fork_pipe[0]);
	close(fork_pipe[1]);
	assert_int_equal(msg[0], 4); /* the child itself is the first of five */
	assert_int_equal(msg[1], EAGAIN);

	struct cr_cgroup_stats st;
	assert_int_equal(cr_cgroup_stats(cg, &st, NULL), 0);
	assert_int_equal(st.nprocs, 5);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cr_cgroup_pids(cg, &pids, &n, NULL), 0);
	assert_int_equal(n, 5);
	free(pids);

	/* chwpar lifts the limit on the running group */
	res.total_processes = CR_UNSET;
	res.total_threads = CR_UNSET;
	apply_ok(cg, &res);
	assert_string_equal(read_ctl(cg, CR_CG_PIDS, "pids.max"), "max");
	cgt_destroy_and_check(cg);
	cgt_expect_signalled(child, SIGKILL);
}

static void touch_64_mib(void *arg)
{
	(void)arg;
	size_t size = 64u << 20;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	_exit(0); /* reached only if the limit did not hold */
}

static void memory_limit_kills_hog(void **state)
{
	(void)state;
	FILE *swaps = fopen("/proc/swaps", "re");
	char line[256];
	int lines = 0;
	while (swaps && fgets(line, sizeof(line), swaps))
		lines++;
	if (swaps)
		fclose(swaps);
	if (lines > 1) {
		fprintf(stderr, "skipped: with swap on, a memory limit pages out, not kills\n");
		skip();
	}
	struct cr_cgroup *cg = make_group("mem", CR_CG_MEMORY);
	if (!cg)
		skip();
	struct cr_resources res = unlimited();
	res.memory_limit = 32 << 20;
	res.memory_hardmax = 90; /* the smaller of the two wins */
	apply_ok(cg, &res);
	pid_t child = cgt_spawn_attached(cg, touch_64_mib, NULL);
	assert_true(child > 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	if (WIFEXITED(status))
		assert_int_equal(WEXITSTATUS(status), 2); /* refused memory: also a pass */
	else
		assert_int_equal(WTERMSIG(status), SIGKILL); /* the OOM killer */
	cgt_destroy_and_check(cg);
}

static void freeze_stops_progress_thaw_resumes(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("frz", CR_CG_FREEZER);
	if (!cg)
		skip();
	cgt_prove_freeze(cg);
}

static void apply_writes_and_resets_controls(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("ctl", CR_CG_CPU | CR_CG_MEMORY);
	if (!cg)
		skip();
	bool v1 = read_ctl(cg, CR_CG_CPU, "cpu.shares") != NULL;
	struct cr_resources res = unlimited();
	res.cpu_shares = 50;
	res.cpu_hardmax = 50;
	res.memory_limit = 64 << 20;
	res.memory_softmax = 1;
	res.rset = (char *)"0";
	apply_ok(cg, &res);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char quota[64];
	if (v1) {
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.shares"), "512");
		snprintf(quota, sizeof(quota), "%ld", ncpu * 50000);
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.cfs_quota_us"), quota);
		assert_string_equal(read_ctl(cg, CR_CG_MEMORY, "memory.limit_in_bytes"), "67108864");
	} else {
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.weight"), "50");
		snprintf(quota, sizeof(quota), "%ld 100000", ncpu * 50000);
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.max"), quota);
		assert_string_equal(read_ctl(cg, CR_CG_MEMORY, "memory.max"), "67108864");
	}
	if (cr_cgroup_dir(cg, CR_CG_CPUSET))
		assert_string_equal(read_ctl(cg, CR_CG_CPUSET, "cpuset.cpus"), "0");

	/* everything unset: back to the defaults, on the running group */
	res = unlimited();
	apply_ok(cg, &res);
	if (v1) {
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.shares"), "1024");
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.cfs_quota_us"), "-1");
		assert_true(strtoll(read_ctl(cg, CR_CG_MEMORY, "memory.limit_in_bytes"), NULL,
				    10) > (1LL << 50));
	} else {
		assert_string_equal(read_ctl(cg, CR_CG_CPU, "cpu.weight"), "100");
		assert_string_equal(read_ctl(cg, CR_CG_MEMORY, "memory.max"), "max");
	}
	if (cr_cgroup_dir(cg, CR_CG_CPUSET) && ncpu > 1)
		assert_string_not_equal(read_ctl(cg, CR_CG_CPUSET, "cpuset.cpus"), "0");
	cgt_destroy_and_check(cg);
}

static void open_finds_existing_and_reports_missing(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("opn", 0), *again = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_cgroup_open("opn", &again, &err), 0);
	assert_string_equal(cr_cgroup_dir(again, 0), cr_cgroup_dir(cg, 0));
	/* destroy through one handle; a second destroy through the other is fine */
	assert_int_equal(cr_cgroup_destroy(again, 1000, &err), 0);
	assert_int_equal(cr_cgroup_open("opn", &again, &err), -ENOENT);
	cr_cgroup_free(again);
	again = NULL;
	assert_int_equal(cr_cgroup_open("nosuch", &again, &err), -ENOENT);
	assert_null(again);
	assert_non_null(strstr(cr_error_msg(&err), "nosuch"));
	cr_error_clear(&err);
	assert_int_equal(cr_cgroup_create("a/b", &again, &err), -EINVAL);
	cr_error_clear(&err);
	cgt_destroy_and_check(cg);
}

static void nested_parent_groups_work(void **state)
{
	(void)state;
	char *nested = NULL;
	assert_true(asprintf(&nested, "%s/inner/most", test_parent) > 0);
	setenv("CORRAL_CGROUP_PARENT", nested, 1);
	struct cr_cgroup *cg = make_group("nest", 0);
	setenv("CORRAL_CGROUP_PARENT", test_parent, 1);
	assert_non_null(strstr(cr_cgroup_dir(cg, 0), "/inner/most/nest"));
	/* attach needs cpuset.cpus and .mems at every level on v1 */
	volatile unsigned long counter = 0;
	pid_t child = cgt_spawn_attached(cg, cgt_busy_loop, (void *)&counter);
	assert_true(child > 0);
	cgt_destroy_and_check(cg);
	cgt_expect_signalled(child, SIGKILL);
	free(nested);
}

static void kill_all_empties_group_with_forks(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("kill", 0);
	assert_int_equal(pipe(fork_pipe), 0);
	pid_t child = cgt_spawn_attached(cg, fork_until_refused, NULL);
	assert_true(child > 0);
	/* no pids limit here: the child stops at 64 forks */
	int msg[2];
	assert_int_equal(read(fork_pipe[0], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	close(fork_pipe[0]);
	close(fork_pipe[1]);
	assert_int_equal(msg[0], 64);

	struct cr_cgroup_stats st;
	assert_int_equal(cr_cgroup_stats(cg, &st, NULL), 0);
	assert_int_equal(st.nprocs, 65);
	assert_int_equal(cr_cgroup_kill_all(cg, SIGKILL, NULL), 0);
	cgt_expect_signalled(child, SIGKILL);
	cgt_destroy_and_check(cg);
}

static void busy_child_is_accounted(void **state)
{
	(void)state;
	struct cr_cgroup *cg = make_group("stat", 0);
	volatile unsigned long counter = 0;
	pid_t child = cgt_spawn_attached(cg, cgt_busy_loop, (void *)&counter);
	assert_true(child > 0);
	cgt_sleep_ms(200);
	struct cr_cgroup_stats st;
	assert_int_equal(cr_cgroup_stats(cg, &st, NULL), 0);
	assert_int_equal(st.nprocs, 1);
	if (cr_cgroup_controllers(cg) & CR_CG_CPUACCT)
		assert_true(st.cpu_usage_ns > 10 * 1000 * 1000);
	if (cr_cgroup_controllers(cg) & CR_CG_MEMORY)
		assert_true(st.memory_bytes >= 0);
	assert_int_equal(cr_cgroup_kill_all(cg, SIGTERM, NULL), 0);
	cgt_expect_signalled(child, SIGTERM);
	cgt_destroy_and_check(cg);
}

static void kill_reaches_tasks_outside_the_cgroup2_group(void **state)
{
	(void)state;
	struct cr_cgroup_layout l;
	assert_int_equal(cr_cgroup_layout_detect(&l, NULL), 0);
	if (l.mode != CR_CGROUP_HYBRID)
		skip(); /* only the hybrid layout has a v1 and a cgroup2 group */
	struct cr_cgroup *cg = make_group("hyb", CR_CG_FREEZER);
	if (!cg)
		skip();
	volatile unsigned long counter = 0;
	pid_t child = cgt_spawn_attached(cg, cgt_busy_loop, (void *)&counter);
	assert_true(child > 0);
	/* the child leaves the cgroup2 group: cgroup.kill cannot reach it */
	char *procs = NULL;
	assert_true(asprintf(&procs, "%s/cgroup.procs", l.unified_path) > 0);
	FILE *f = fopen(procs, "we");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)child);
	assert_int_equal(fclose(f), 0);
	free(procs);
	assert_int_equal(cr_cgroup_freeze(cg, 5000, NULL), 0);
	assert_int_equal(cr_cgroup_kill_all(cg, SIGKILL, NULL), 0);
	cgt_expect_signalled(child, SIGKILL);
	cgt_destroy_and_check(cg);
}

int main(void)
{
	if (!cgt_usable())
		return 0;
	unsetenv("CORRAL_CGROUP_ROOT");
	cgt_setup_parent();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pids_max_refuses_sixth_task),
		cmocka_unit_test(memory_limit_kills_hog),
		cmocka_unit_test(freeze_stops_progress_thaw_resumes),
		cmocka_unit_test(apply_writes_and_resets_controls),
		cmocka_unit_test(open_finds_existing_and_reports_missing),
		cmocka_unit_test(nested_parent_groups_work),
		cmocka_unit_test(kill_all_empties_group_with_forks),
		cmocka_unit_test(busy_child_is_accounted),
		cmocka_unit_test(kill_reaches_tasks_outside_the_cgroup2_group),
	};
	return cmocka_run_group_tests(tests, NULL, cgt_teardown_parents);
}
