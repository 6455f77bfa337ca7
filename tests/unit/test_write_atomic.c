/* cr_write_file_atomic (util/fsutil.h): the file is replaced whole, and a
 * temporary name left by a writer killed between naming and renaming it
 * (its pid gone) is removed by the next write of that file, while a live
 * writer's and another file's are left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fsutil.h"

static char dir[] = "/tmp/crwrite-test-XXXXXX";

static char *in_dir(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void touch(const char *name)
{
	char *p = in_dir(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static bool exists(const char *name)
{
	char *p = in_dir(name);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

/* A pid that no process has: a child that has been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void test_repairs_a_killed_writer(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char stale[64], live[64], other[64];
	snprintf(stale, sizeof(stale), "state.tmp.%d", (int)dead_pid());
	snprintf(live, sizeof(live), "state.tmp.%d", (int)getppid());
	snprintf(other, sizeof(other), "spec.tmp.%d", (int)dead_pid());
	touch(stale);
	touch(live);
	touch(other);
	char *path = in_dir("state");
	assert_int_equal(cr_write_file_atomic(path, "A\n", 2, 0600, &err), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(path, 64, &data, &len, &err), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "A\n", 2);
	free(data);
	assert_false(exists(stale));
	assert_true(exists(live));
	assert_true(exists(other));
	free(path);
}

/* A scratch file replaces what was there, with its mode; a symlink in its
 * place is refused, not followed; nothing is left of a write that failed. */
static void test_scratch_file(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *path = in_dir("scratch.tar"), *data = NULL;
	size_t len = 0;
	assert_int_equal(cr_write_file_scratch(path, "longer text\n", 12, 0640, &err), 0);
	assert_int_equal(cr_write_file_scratch(path, "B\n", 2, 0600, &err), 0);
	assert_int_equal(cr_read_file(path, 64, &data, &len, &err), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "B\n", 2);
	free(data);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(unlink(path), 0);
	char *target = in_dir("target");
	touch("target");
	assert_int_equal(symlink(target, path), 0);
	assert_true(cr_write_file_scratch(path, "C", 1, 0600, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "scratch.tar"));
	cr_error_clear(&err);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(path);
	free(target);
	free(path);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rm_rf(dir, &err);
	cr_error_clear(&err);
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repairs_a_killed_writer),
		cmocka_unit_test(test_scratch_file),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
