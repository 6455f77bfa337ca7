/* Shared by the cgroup tests that use real cgroups: root check, a parent
 * group unique to the run, children that wait to be attached, clean-up. */
#ifndef CORRAL_TEST_CGROUP_COMMON_H
#define CORRAL_TEST_CGROUP_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_internal.h"

static char test_parent[64];

/* Root and a cgroup layout, else the whole file is skipped (returns 0). */
static inline int cgt_usable(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: real cgroup tests need root\n");
		return 0;
	}
	struct cr_cgroup_layout l;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_cgroup_layout_detect(&l, &err);
	if (r < 0)
		fprintf(stderr, "skipped: %s\n", cr_error_msg(&err));
	cr_error_clear(&err);
	return r == 0;
}

static inline void cgt_sweep_all_dead_parents(void);

/* Groups of this run go under corral-test-PID; we reap orphans ourselves. */
static inline void cgt_setup_parent(void)
{
	cgt_sweep_all_dead_parents();
	snprintf(test_parent, sizeof(test_parent), "corral-test-%d", (int)getpid());
	setenv("CORRAL_CGROUP_PARENT", test_parent, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

static inline void rmdir_joined(const char *a, const char *b, const char *c)
{
	char *path = NULL;
	if (asprintf(&path, "%s%s%s/%s", a, b[0] ? "/" : "", b, c) < 0)
		return;
	cg_rmdir_tree(path, NULL);
	free(path);
}

/* Remove the (empty) groups ROOT/PARENT and ROOT/x/PARENT, with what is
 * below them, for every hierarchy x. */
static inline void cgt_remove_parent(const char *root)
{
	rmdir_joined(root, "", test_parent);
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			rmdir_joined(root, de->d_name, test_parent);
	closedir(d);
}

/* A parent group of an earlier run of these tests, "corral-test-PID" with
 * PID gone (the run was killed before its teardown, by a timeout or by
 * hand): removed, with what is below it, when empty of tasks. Integration
 * tests' parents carry a suffix ("corral-test-PID-a") and are left alone. */
static inline void cgt_sweep_dead_parents(const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid = 0, end = 0;
		if (sscanf(de->d_name, "corral-test-%d%n", &pid, &end) != 1 || de->d_name[end] != '\0' || pid <= 0 ||
		    pid == (int)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		rmdir_joined(root, "", de->d_name);
	}
	closedir(d);
}

static inline void cgt_sweep_all_dead_parents(void)
{
	struct cr_cgroup_layout l;
	if (cr_cgroup_layout_detect(&l, NULL) < 0)
		return;
	DIR *d = opendir(l.mount_root);
	if (!d)
		return;
	cgt_sweep_dead_parents(l.mount_root);
	struct dirent *de;
	while ((de = readdir(d))) {
		char *path = NULL;
		if (de->d_name[0] == '.' || asprintf(&path, "%s/%s", l.mount_root, de->d_name) < 0)
			continue;
		cgt_sweep_dead_parents(path);
		free(path);
	}
	closedir(d);
}

/* Group teardown: remove this run's parent groups in every hierarchy. */
static inline int cgt_teardown_parents(void **state)
{
	(void)state;
	struct cr_cgroup_layout l;
	if (cr_cgroup_layout_detect(&l, NULL) == 0) {
		cgt_remove_parent(l.mount_root);
		if (l.unified_path[0])
			cgt_remove_parent(l.unified_path);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

static inline void cgt_reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static inline void cgt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A forked child that waits until it is attached, then runs FN. */
static inline pid_t cgt_spawn_attached(struct cr_cgroup *cg, void (*fn)(void *), void *arg)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		/* A test that fails skips its clean-up: the child (a busy loop)
		 * must not outlive the test's process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(98);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		fn(arg);
		_exit(0);
	}
	close(go[0]);
	struct cr_error err = CR_ERROR_INIT;
	if (pid > 0 && cr_cgroup_attach(cg, pid, &err) < 0) {
		fprintf(stderr, "attach: %s\n", cr_error_msg(&err));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	cr_error_clear(&err);
	if (pid > 0 && write(go[1], "g", 1) != 1)
		pid = -1;
	close(go[1]);
	return pid;
}

static inline void cgt_busy_loop(void *arg)
{
	volatile unsigned long *counter = arg;
	for (;;)
		(*counter)++;
}

/* Destroy CG (asserting success) and check that no group directory is left.
 * The killed tasks stay zombies (not in any group) until reaped. */
static inline void cgt_destroy_and_check(struct cr_cgroup *cg)
{
	static const unsigned ctrls[] = {0,	     CR_CG_CPU,	 CR_CG_CPUACCT, CR_CG_CPUSET,
					 CR_CG_MEMORY, CR_CG_PIDS, CR_CG_FREEZER, CR_CG_IO,
					 CR_CG_DEVICES};
	char *dirs[sizeof(ctrls) / sizeof(ctrls[0])];
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		const char *d = cr_cgroup_dir(cg, ctrls[i]);
		dirs[i] = d ? strdup(d) : NULL;
	}
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_cgroup_destroy(cg, 5000, &err);
	if (r < 0)
		fprintf(stderr, "destroy: %s\n", cr_error_msg(&err));
	cr_error_clear(&err);
	cr_cgroup_free(cg);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		if (dirs[i]) {
			struct stat st;
			if (stat(dirs[i], &st) == 0)
				fail_msg("%s still exists after destroy", dirs[i]);
		}
		free(dirs[i]);
	}
}

/* Wait for CHILD and check that SIG ended it. */
static inline void cgt_expect_signalled(pid_t child, int sig)
{
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

/* A busy child of CG makes no progress for 300 ms while frozen, resumes
 * when thawed, and a frozen group still dies on destroy. */
static inline void cgt_prove_freeze(struct cr_cgroup *cg)
{
	volatile unsigned long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(counter != MAP_FAILED);
	pid_t child = cgt_spawn_attached(cg, cgt_busy_loop, (void *)counter);
	assert_true(child > 0);
	cgt_sleep_ms(50);
	assert_true(*counter > 0);

	struct cr_error err = CR_ERROR_INIT;
	if (cr_cgroup_freeze(cg, 5000, &err) < 0)
		fail_msg("freeze: %s", cr_error_msg(&err));
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 1);
	unsigned long before = *counter;
	cgt_sleep_ms(300);
	assert_int_equal(*counter, before);

	assert_int_equal(cr_cgroup_thaw(cg, NULL), 0);
	cgt_sleep_ms(100);
	assert_true(*counter > before);
	assert_int_equal(cr_cgroup_is_frozen(cg, NULL), 0);

	assert_int_equal(cr_cgroup_freeze(cg, 5000, NULL), 0);
	cgt_destroy_and_check(cg);
	cgt_expect_signalled(child, SIGKILL);
	munmap((void *)counter, 4096);
}

#endif
