/* Layout detection on this host (reading only, no root needed) and with
 * $CORRAL_CGROUP_ROOT pointing elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "cgroup/cgroup.h"

#define CGROUP2_MAGIC 0x63677270

static bool is_cgroup2(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && (long)sf.f_type == CGROUP2_MAGIC;
}

/* v1 controllers the host has bound to a hierarchy, per /proc/cgroups. */
static unsigned proc_cgroups_v1(void)
{
	static const char *const names[] = {"cpu", "cpuacct", "cpuset", "memory",
					    "pids", "freezer", "blkio", "devices"};
	FILE *f = fopen("/proc/cgroups", "re");
	if (!f)
		return 0;
	unsigned mask = 0;
	char name[64];
	unsigned long hier, num, enabled;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &hier, &num, &enabled) == 4 && hier &&
		    enabled)
			for (unsigned i = 0; i < 8; i++)
				if (strcmp(name, names[i]) == 0)
					mask |= 1u << i;
	fclose(f);
	return mask;
}

static void detects_this_host(void **state)
{
	(void)state;
	unsetenv("CORRAL_CGROUP_ROOT");
	struct cr_cgroup_layout l;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_cgroup_layout_detect(&l, &err);
	if (r < 0) {
		fprintf(stderr, "no cgroups here: %s\n", cr_error_msg(&err));
		cr_error_clear(&err);
		skip();
	}
	assert_string_equal(l.mount_root, "/sys/fs/cgroup");
	if (is_cgroup2("/sys/fs/cgroup")) {
		assert_int_equal(l.mode, CR_CGROUP_V2);
		assert_string_equal(l.unified_path, "/sys/fs/cgroup");
		assert_int_equal(l.v1_controllers, 0);
		return;
	}
	if (is_cgroup2("/sys/fs/cgroup/unified")) {
		assert_int_equal(l.mode, CR_CGROUP_HYBRID);
		assert_string_equal(l.unified_path, "/sys/fs/cgroup/unified");
	} else {
		assert_int_equal(l.mode, CR_CGROUP_V1);
		assert_string_equal(l.unified_path, "");
	}
	/* every v1 controller found is one /proc/cgroups binds to a hierarchy */
	assert_int_equal(l.v1_controllers & ~proc_cgroups_v1(), 0);
	assert_int_not_equal(l.v1_controllers, 0);
}

static void override_root_is_honoured(void **state)
{
	(void)state;
	struct cr_cgroup_layout l;
	struct cr_error err = CR_ERROR_INIT;
	setenv("CORRAL_CGROUP_ROOT", "/proc/self", 1);
	assert_int_equal(cr_cgroup_layout_detect(&l, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/proc/self"));
	setenv("CORRAL_CGROUP_ROOT", "/nonexistent/cgroup", 1);
	assert_int_equal(cr_cgroup_layout_detect(&l, &err), -ENOENT);
	char longroot[400];
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	setenv("CORRAL_CGROUP_ROOT", longroot, 1);
	assert_int_equal(cr_cgroup_layout_detect(&l, &err), -ENAMETOOLONG);
	if (is_cgroup2("/sys/fs/cgroup/unified")) {
		setenv("CORRAL_CGROUP_ROOT", "/sys/fs/cgroup/unified/", 1);
		assert_int_equal(cr_cgroup_layout_detect(&l, &err), 0);
		assert_int_equal(l.mode, CR_CGROUP_V2);
		assert_string_equal(l.mount_root, "/sys/fs/cgroup/unified"); /* no trailing / */
	}
	cr_error_clear(&err);
	unsetenv("CORRAL_CGROUP_ROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(detects_this_host),
		cmocka_unit_test(override_root_is_honoured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
