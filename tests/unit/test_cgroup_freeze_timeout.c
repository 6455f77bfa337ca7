/* Tasks that cannot be frozen or killed, on real cgroups (root and /dev/fuse,
 * else skipped). A FUSE mount whose daemon never answers (in this test's own
 * mount namespace, so nothing else trips on it) holds a blocker task in a
 * lookup; a task of the group looking up the same name then waits for that
 * lookup uninterruptibly (d_alloc_parallel), where neither freezer reaches
 * it and SIGKILL waits. Freezing must give up with -ETIMEDOUT and leave the
 * group thawed, destroy must time out naming the task, and once the FUSE
 * connection goes the task dies of the SIGKILL and destroy completes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include "cgroup/cgroup.h"
#include "tests/unit/test_cgroup_common.h"

#define CGROUP2_MAGIC 0x63677270

static char *mnt, *stuck_path;
static int fuse_fd = -1;

/* Process state letter from /proc/PID/stat ('D' for a blocked task). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void wait_blocked(pid_t pid)
{
	for (int i = 0; i < 300 && proc_state(pid) != 'D'; i++)
		cgt_sleep_ms(10);
	assert_int_equal(proc_state(pid), 'D');
}

/* Look up the unanswered name; only the daemon's fd going away ends it. */
static void stat_unanswered(void *arg)
{
	(void)arg;
	close(fuse_fd);
	struct stat st;
	stat(stuck_path, &st);
}

static void timeouts_then_release(const char *name)
{
	struct cr_cgroup *cg = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_create(name, &cg, &err) < 0)
		fail_msg("create: %s", cr_error_msg(&err));
	if (!(cr_cgroup_controllers(cg) & CR_CG_FREEZER)) {
		cgt_destroy_and_check(cg);
		skip();
	}
	pid_t blocker = fork();
	if (blocker == 0) {
		stat_unanswered(NULL);
		_exit(0);
	}
	assert_true(blocker > 0);
	wait_blocked(blocker);
	pid_t child = cgt_spawn_attached(cg, stat_unanswered, NULL);
	assert_true(child > 0);
	wait_blocked(child);

	assert_int_equal(cr_cgroup_freeze(cg, 200, &err), -ETIMEDOUT);
	assert_non_null(strstr(cr_error_msg(&err), name));
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 0);

	assert_int_equal(cr_cgroup_destroy(cg, 300, &err), -ETIMEDOUT);
	assert_non_null(strstr(cr_error_msg(&err), "still alive"));
	assert_non_null(cr_cgroup_dir(cg, 0));
	assert_int_equal(access(cr_cgroup_dir(cg, 0), F_OK), 0); /* groups kept */
	cr_error_clear(&err);

	close(fuse_fd); /* the connection aborts: both lookups return */
	fuse_fd = -1;
	cgt_expect_signalled(child, SIGKILL); /* the SIGKILL sent by destroy */
	int status;
	assert_int_equal(waitpid(blocker, &status, 0), blocker);
	cgt_destroy_and_check(cg);
}

static void default_layout_timeouts(void **state)
{
	(void)state;
	unsetenv("CORRAL_CGROUP_ROOT");
	timeouts_then_release("fto");
}

static void cgroup2_timeouts(void **state)
{
	(void)state;
	struct statfs sf;
	const char *root = "/sys/fs/cgroup/unified";
	if (statfs(root, &sf) < 0 || (long)sf.f_type != CGROUP2_MAGIC)
		skip(); /* a v2 host: the default layout already was cgroup2 */
	setenv("CORRAL_CGROUP_ROOT", root, 1);
	timeouts_then_release("fto2");
	unsetenv("CORRAL_CGROUP_ROOT");
}

/* A FUSE mount nobody serves, fresh for each test. */
static int mount_dead_fuse(void **state)
{
	(void)state;
	mnt = strdup("/tmp/corral-cgfuse-XXXXXX");
	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (!mnt || fuse_fd < 0 || !mkdtemp(mnt))
		return -1;
	char opts[128];
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse_fd);
	if (mount("corral-test", mnt, "fuse", MS_NOSUID | MS_NODEV, opts) < 0)
		return -1;
	return asprintf(&stuck_path, "%s/x", mnt) > 0 ? 0 : -1;
}

static int unmount_fuse(void **state)
{
	(void)state;
	if (fuse_fd >= 0)
		close(fuse_fd);
	fuse_fd = -1;
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	free(mnt);
	free(stuck_path);
	mnt = stuck_path = NULL;
	cgt_reap_all();
	return 0;
}

int main(void)
{
	if (!cgt_usable())
		return 0;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "skipped: no private mount namespace or no /dev/fuse\n");
		return 0;
	}
	cgt_setup_parent();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(default_layout_timeouts, mount_dead_fuse,
						unmount_fuse),
		cmocka_unit_test_setup_teardown(cgroup2_timeouts, mount_dead_fuse, unmount_fuse),
	};
	return cmocka_run_group_tests(tests, NULL, cgt_teardown_parents);
}
