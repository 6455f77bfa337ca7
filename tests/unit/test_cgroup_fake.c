/* The cgroup code without root: the translation of resource controls into
 * control-file values, and the file writes of create / apply / freeze on
 * fake v1 and v2 trees in a temporary directory (built through the internal
 * cg_open_with, since layout detection wants a real cgroup mount). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup_internal.h"
#include "util/fsutil.h"

static char tmp[64];

static void put(const char *rel, const char *content)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", tmp, rel) > 0);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(cr_mkdir_p(path, 0755, NULL), 0);
	*slash = '/';
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	free(path);
}

static const char *get(const char *rel)
{
	static char *last;
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", tmp, rel) > 0);
	free(last);
	last = NULL;
	size_t len;
	if (cr_read_file(path, 4096, &last, &len, NULL) < 0)
		fail_msg("cannot read %s", path);
	free(path);
	return last;
}

static const struct cg_host host = {2, 1000LL * 1000 * 1000, "0-1"};

static const char *value_of(const struct cg_setting *s, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].file, file) == 0)
			return s[i].value;
	return NULL;
}

static void plan_maps_aix_controls(void **state)
{
	(void)state;
	struct cr_resources res;
	cr_resources_init(&res);
	res.cpu_shares = 50;
	res.cpu_hardmax = 25;
	res.memory_hardmax = 10;            /* 100 MB of the 1 GB host */
	res.memory_limit = 200 * 1000 * 1000; /* the smaller wins: hardmax */
	res.memory_softmax = 5;
	res.memory_min = 1;
	res.total_processes = 40;
	res.total_threads = 30;
	res.rset = (char *)"1";
	struct cg_setting s[CG_MAX_SETTINGS];
	size_t n = 0;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.shares"), "512");
	assert_string_equal(value_of(s, n, "cpu.cfs_period_us"), "100000");
	assert_string_equal(value_of(s, n, "cpu.cfs_quota_us"), "50000"); /* 25% of 2 CPUs */
	assert_string_equal(value_of(s, n, "memory.limit_in_bytes"), "100000000");
	assert_string_equal(value_of(s, n, "memory.soft_limit_in_bytes"), "50000000");
	assert_string_equal(value_of(s, n, "pids.max"), "30");
	assert_string_equal(value_of(s, n, "cpuset.cpus"), "1");
	assert_null(value_of(s, n, "memory.low")); /* no v1 equivalent */

	assert_int_equal(cg_plan(&res, true, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.weight"), "50");
	assert_string_equal(value_of(s, n, "cpu.max"), "50000 100000");
	assert_string_equal(value_of(s, n, "memory.max"), "100000000");
	assert_string_equal(value_of(s, n, "memory.high"), "50000000");
	assert_string_equal(value_of(s, n, "memory.low"), "10000000");
	assert_string_equal(value_of(s, n, "pids.max"), "30");
}

static void plan_clamps_shares(void **state)
{
	(void)state;
	struct cr_resources res;
	cr_resources_init(&res);
	struct cg_setting s[CG_MAX_SETTINGS];
	size_t n = 0;
	res.cpu_shares = 65535;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.shares"), "262144");
	assert_int_equal(cg_plan(&res, true, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.weight"), "10000");
	res.cpu_shares = 1;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.shares"), "10");
	res.memory_limit = 123456789;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "memory.limit_in_bytes"), "123456789");
}

static void plan_resets_unset_and_inactive(void **state)
{
	(void)state;
	struct cr_resources res;
	cr_resources_init(&res);
	res.active = false;
	res.total_processes = 5; /* active = no: nothing applies */
	struct cg_setting s[CG_MAX_SETTINGS];
	size_t n = 0;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.shares"), "1024");
	assert_null(value_of(s, n, "cpu.cfs_period_us"));
	assert_string_equal(value_of(s, n, "cpu.cfs_quota_us"), "-1");
	assert_string_equal(value_of(s, n, "memory.limit_in_bytes"), "-1");
	assert_string_equal(value_of(s, n, "memory.soft_limit_in_bytes"), "-1");
	assert_string_equal(value_of(s, n, "pids.max"), "max");
	assert_string_equal(value_of(s, n, "cpuset.cpus"), "0-1"); /* the parent's */
	for (size_t i = 0; i < n; i++)
		assert_false(s[i].required);
	assert_int_equal(cg_plan(&res, true, &host, s, &n, NULL), 0);
	assert_string_equal(value_of(s, n, "cpu.weight"), "100");
	assert_string_equal(value_of(s, n, "cpu.max"), "max 100000");
	assert_string_equal(value_of(s, n, "memory.max"), "max");
	assert_string_equal(value_of(s, n, "memory.high"), "max");
	assert_string_equal(value_of(s, n, "memory.low"), "0");
	assert_string_equal(value_of(s, n, "cpuset.cpus"), "");
}

static void plan_rejects_bad_values(void **state)
{
	(void)state;
	struct cg_setting s[CG_MAX_SETTINGS];
	size_t n = 0;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_resources res;
	cr_resources_init(&res);
	res.cpu_hardmax = 150;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CPU hardmax"));
	cr_resources_init(&res);
	res.rset = (char *)"0;reboot";
	assert_int_equal(cg_plan(&res, true, &host, s, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "0;reboot"));
	cr_resources_init(&res);
	res.total_threads = 0;
	assert_int_equal(cg_plan(&res, true, &host, s, &n, &err), -EINVAL);
	cr_resources_init(&res);
	res.memory_hardmax = 0; /* a 0% hard maximum would kill everything */
	assert_int_equal(cg_plan(&res, false, &host, s, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "memory hardmax must be 1..100%"));
	cr_resources_init(&res);
	res.memory_softmax = 0;
	assert_int_equal(cg_plan(&res, false, &host, s, &n, &err), 0);
	cr_error_clear(&err);
}

static void names_and_mode_strings(void **state)
{
	(void)state;
	char buf[64];
	cr_cgroup_controllers_str(CR_CG_CPU | CR_CG_MEMORY | CR_CG_IO, buf, sizeof(buf));
	assert_string_equal(buf, "cpu,memory,io");
	cr_cgroup_controllers_str(CR_CG_CPU | CR_CG_CPUACCT, buf, 8);
	assert_string_equal(buf, "cpu"); /* whole names only */
	cr_cgroup_controllers_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_string_equal(cr_cgroup_mode_name(CR_CGROUP_HYBRID), "hybrid");
	assert_string_equal(cr_cgroup_mode_name(CR_CGROUP_V1), "v1");
	assert_int_equal(cg_parse_v2_list("cpuset cpu io memory hugetlb pids rdma"),
			 CR_CG_CPU | CR_CG_CPUSET | CR_CG_IO | CR_CG_MEMORY | CR_CG_PIDS);
}

static void mountinfo_finds_v1_mounts(void **state)
{
	(void)state;
	char text[] =
		"25 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
		"26 25 0:23 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw\n"
		"27 25 0:24 / /sys/fs/cgroup/systemd rw shared:6 - cgroup cgroup rw,xattr,name=systemd\n"
		"31 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
		"32 25 0:29 / /sys/fs/cgroup/memory rw shared:11 master:3 - cgroup cgroup rw,memory\n"
		"33 25 0:30 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
		"34 25 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
		"35 25 0:32 / /other/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
		"36 25 0:33 / /sys/fs/cgroupx/blkio rw - cgroup cgroup rw,blkio\n"
		"bad line\n";
	struct cg_mounts m;
	memset(&m, 0, sizeof(m));
	/* pids is not enabled in /proc/cgroups: ignored */
	unsigned enabled = CG_ALL_CTRLS & ~CR_CG_PIDS;
	assert_int_equal(cg_scan_mountinfo(&m, text, "/sys/fs/cgroup", enabled), 0);
	assert_string_equal(m.v1_mount[0], "/sys/fs/cgroup/cpu,cpuacct"); /* cpu */
	assert_string_equal(m.v1_mount[1], "/sys/fs/cgroup/cpu,cpuacct"); /* cpuacct */
	assert_string_equal(m.v1_mount[3], "/sys/fs/cgroup/memory");
	assert_null(m.v1_mount[4]); /* pids: not enabled */
	assert_null(m.v1_mount[5]); /* freezer: outside the root */
	assert_null(m.v1_mount[6]); /* blkio: a root that only starts the same */
	cg_mounts_clear(&m);
}

static struct cr_cgroup *open_fake(struct cg_mounts *m)
{
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cg_open_with(m, "corral", "web", true, &cg, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	return cg;
}

static void apply_on_fake_v1_tree(void **state)
{
	(void)state;
	static const char *const ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "pids",
					    "freezer"};
	struct cg_mounts m;
	memset(&m, 0, sizeof(m));
	m.layout.mode = CR_CGROUP_V1;
	for (int i = 0; i < 6; i++) {
		assert_true(asprintf(&m.v1_mount[i], "%s/%s", tmp, ctrls[i]) > 0);
		assert_int_equal(cr_mkdir_p(m.v1_mount[i], 0755, NULL), 0);
	}
	put("cpuset/cpuset.cpus", "0-1\n");
	put("cpuset/cpuset.mems", "0\n");
	put("cpuset/corral/cpuset.cpus", "");
	put("cpuset/corral/cpuset.mems", "");
	put("cpuset/corral/web/cpuset.cpus", "");
	put("cpuset/corral/web/cpuset.mems", "");
	put("cpu/corral/web/cpu.shares", "1024");
	put("cpu/corral/web/cpu.cfs_quota_us", "-1");
	put("cpu/corral/web/cpu.cfs_period_us", "100000");
	put("memory/corral/web/memory.limit_in_bytes", "");
	put("memory/corral/web/memory.soft_limit_in_bytes", "");
	put("pids/corral/web/pids.max", "max");
	put("freezer/corral/web/freezer.state", "THAWED");

	struct cr_cgroup *cg = open_fake(&m);
	/* create copied the CPUs and memory nodes down both levels */
	assert_string_equal(get("cpuset/corral/web/cpuset.cpus"), "0-1");
	assert_string_equal(get("cpuset/corral/web/cpuset.mems"), "0");
	assert_int_equal(cr_cgroup_controllers(cg), CG_ALL_CTRLS & ~(CR_CG_IO | CR_CG_DEVICES));

	struct cr_resources res;
	cr_resources_init(&res);
	res.memory_limit = 1 << 20;
	res.total_processes = 7;
	res.rset = (char *)"1";
	assert_int_equal(cr_cgroup_apply(cg, &res, NULL), 0);
	assert_string_equal(get("memory/corral/web/memory.limit_in_bytes"), "1048576");
	assert_string_equal(get("pids/corral/web/pids.max"), "7");
	assert_string_equal(get("cpuset/corral/web/cpuset.cpus"), "1");
	cr_resources_init(&res);
	assert_int_equal(cr_cgroup_apply(cg, &res, NULL), 0);
	assert_string_equal(get("cpuset/corral/web/cpuset.cpus"), "0-1");
	assert_string_equal(get("pids/corral/web/pids.max"), "max");

	/* a fake freezer.state takes FROZEN at once: freeze succeeds */
	assert_int_equal(cr_cgroup_freeze(cg, 100, NULL), 0);
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 1);
	assert_int_equal(cr_cgroup_thaw(cg, NULL), 0);
	assert_string_equal(get("freezer/corral/web/freezer.state"), "THAWED");
	cr_cgroup_free(cg);
	cg_mounts_clear(&m);
}

static void fake_v2_tree(struct cg_mounts *m)
{
	memset(m, 0, sizeof(*m));
	m->layout.mode = CR_CGROUP_V2;
	snprintf(m->layout.mount_root, sizeof(m->layout.mount_root), "%s/v2", tmp);
	snprintf(m->layout.unified_path, sizeof(m->layout.unified_path), "%s/v2", tmp);
	put("v2/cgroup.controllers", "cpuset cpu io memory pids\n");
	put("v2/cgroup.subtree_control", "");
	put("v2/corral/cgroup.controllers", "cpuset cpu io memory pids\n");
	put("v2/corral/cgroup.subtree_control", "");
	put("v2/corral/web/cgroup.controllers", "cpu memory pids\n");
	put("v2/corral/web/cgroup.freeze", "0\n");
	put("v2/corral/web/cgroup.events", "populated 1\nfrozen 0\n");
	put("v2/corral/web/cpu.weight", "100");
	put("v2/corral/web/cpu.max", "max 100000");
	put("v2/corral/web/memory.max", "max");
	put("v2/corral/web/memory.high", "max");
}

static void apply_on_fake_v2_tree(void **state)
{
	(void)state;
	struct cg_mounts m;
	fake_v2_tree(&m);
	struct cr_cgroup *cg = open_fake(&m);
	/* the controllers were enabled one write each in both parents */
	assert_string_equal(get("v2/cgroup.subtree_control"), "+io");
	assert_string_equal(get("v2/corral/cgroup.subtree_control"), "+io");
	unsigned have = cr_cgroup_controllers(cg);
	assert_int_equal(have, CR_CG_CPU | CR_CG_CPUACCT | CR_CG_MEMORY | CR_CG_PIDS |
				       CR_CG_FREEZER);

	struct cr_resources res;
	cr_resources_init(&res);
	res.cpu_shares = 300;
	res.memory_softmax = 100;
	assert_int_equal(cr_cgroup_apply(cg, &res, NULL), 0);
	assert_string_equal(get("v2/corral/web/cpu.weight"), "300");
	/* a limit whose controller is missing is refused, not ignored */
	res.rset = (char *)"0";
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_cgroup_apply(cg, &res, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "cpuset"));
	cr_error_clear(&err);
	cr_cgroup_free(cg);
}

static void freeze_timeout_thaws_again(void **state)
{
	(void)state;
	struct cg_mounts m;
	fake_v2_tree(&m);
	struct cr_cgroup *cg = open_fake(&m);
	struct cr_error err = CR_ERROR_INIT;
	/* cgroup.events never says frozen: time out, thaw, -ETIMEDOUT */
	assert_int_equal(cr_cgroup_freeze(cg, 50, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "web"));
	assert_string_equal(get("v2/corral/web/cgroup.freeze"), "0");
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 0);
	put("v2/corral/web/cgroup.events", "populated 1\nfrozen 1\n");
	assert_int_equal(cr_cgroup_freeze(cg, 50, &err), 0);
	assert_string_equal(get("v2/corral/web/cgroup.freeze"), "1");
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 1);
	cr_error_clear(&err);
	cr_cgroup_free(cg);
}

static void open_missing_and_bad_names(void **state)
{
	(void)state;
	struct cg_mounts m;
	fake_v2_tree(&m);
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cg_open_with(&m, "corral", "nosuch", false, &cg, &err), -ENOENT);
	assert_null(cg);
	assert_int_equal(cg_open_with(&m, "corral", "..", true, &cg, &err), -EINVAL);
	assert_int_equal(cg_open_with(&m, "a/../b", "web", true, &cg, &err), -EINVAL);
	assert_int_equal(cg_open_with(&m, "corral", "web", false, &cg, &err), 0);
	cr_cgroup_free(cg);
	cr_error_clear(&err);
}

static int make_tmp(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/corral-cgfake-XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **state)
{
	(void)state;
	return cr_rm_rf(tmp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_maps_aix_controls),
		cmocka_unit_test(plan_clamps_shares),
		cmocka_unit_test(plan_resets_unset_and_inactive),
		cmocka_unit_test(plan_rejects_bad_values),
		cmocka_unit_test(names_and_mode_strings),
		cmocka_unit_test(mountinfo_finds_v1_mounts),
		cmocka_unit_test_setup_teardown(apply_on_fake_v1_tree, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(apply_on_fake_v2_tree, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(freeze_timeout_thaws_again, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(open_missing_and_bad_names, make_tmp, remove_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
