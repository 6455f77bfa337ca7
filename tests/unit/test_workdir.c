/* The one work-directory maker (util/workdir.h): its size formula, the
 * fallback without room (or when told disk only), the owner in its name
 * (and the pid when a process owns it), a name only when asked, the
 * administrator's scratch remembered as not the fallback, the sweep of an
 * owner's leftovers (a dead process's only, for a process-owned one), and
 * the daemon's sweep of an owner prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/workdir.h"

static char tmp[64];
static char *fallback;

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/corral-test-workdir-XXXXXX");
	if (!mkdtemp(tmp) || asprintf(&fallback, "%s/state", tmp) < 0)
		return -1;
	unsetenv("CORRAL_SCRATCH_DIR");
	return setenv("CORRAL_ROOT", tmp, 1);
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CORRAL_SCRATCH_DIR");
	unsetenv("CORRAL_ROOT");
	free(fallback);
	return cr_rm_rf(tmp, NULL);
}

static char *in_fallback(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", fallback, name) > 0);
	return p;
}

static void put_dir(const char *name)
{
	char *p = in_fallback(name);
	assert_int_equal(cr_mkdir_p(p, 0700, NULL), 0);
	free(p);
}

static bool exists(const char *name)
{
	char *p = in_fallback(name);
	bool e = cr_path_exists(p);
	free(p);
	return e;
}

static void room_formula(void **state)
{
	(void)state;
	struct cr_workdir_request r = {.contents = 1000, .memory = 24};
	assert_int_equal(cr_workdir_room(&r), 1024 + CR_WORKDIR_SLACK);
}

static void disk_only_named_for_owner(void **state)
{
	(void)state;
	struct cr_workdir_request r = {.owner = "web-move", .owned_by = CR_WORKDIR_PROCESS, .fallback = fallback,
				       .disk_only = true};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	assert_false(w.tmpfs);
	char *prefix = NULL;
	assert_true(asprintf(&prefix, "%s/corral-web-move.%d.", fallback, (int)getpid()) > 0);
	assert_memory_equal(w.path, prefix, strlen(prefix));
	assert_true(cr_path_exists(w.path));
	char *path = strdup(w.path);
	cr_workdir_remove(&w);
	assert_null(w.path);
	assert_false(cr_path_exists(path));
	cr_workdir_remove(&w); /* twice is harmless */
	free(path);
	free(prefix);
}

static void name_only(void **state)
{
	(void)state;
	struct cr_workdir_request r = {.owner = "incoming-web", .owned_by = CR_WORKDIR_DAEMON, .fallback = fallback,
				       .disk_only = true, .name_only = true};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	assert_false(cr_path_exists(w.path));
	assert_non_null(strstr(w.path, "/corral-incoming-web."));
	cr_workdir_release(&w);
}

static void no_room_falls_back(void **state)
{
	(void)state;
	struct cr_workdir_request r = {.owner = "web-checkpoint", .owned_by = CR_WORKDIR_LOCKED, .fallback = fallback,
				       .contents = UINT64_MAX / 4};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	assert_false(w.tmpfs);
	assert_memory_equal(w.path, fallback, strlen(fallback));
	cr_workdir_remove(&w);
}

static void forced_scratch_is_not_fallback(void **state)
{
	(void)state;
	char *forced = NULL;
	assert_true(asprintf(&forced, "%s/forced", tmp) > 0);
	assert_int_equal(cr_mkdir_p(forced, 0700, NULL), 0);
	setenv("CORRAL_SCRATCH_DIR", forced, 1);
	struct cr_workdir_request r = {.owner = "restart", .owned_by = CR_WORKDIR_PROCESS, .fallback = fallback,
				       .contents = 1};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	unsetenv("CORRAL_SCRATCH_DIR");
	assert_true(w.tmpfs);
	assert_memory_equal(w.path, forced, strlen(forced));
	cr_workdir_remove(&w);
	free(forced);
}

/* A locked owner's leftovers go; another owner's stay. */
static void locked_sweeps_leftovers(void **state)
{
	(void)state;
	put_dir("corral-web-checkpoint.OLD123");
	put_dir(".corral-web-checkpoint.OLD123.partial-x");
	put_dir("corral-web2-checkpoint.KEEP12");
	struct cr_workdir_request r = {.owner = "web-checkpoint", .owned_by = CR_WORKDIR_LOCKED, .fallback = fallback,
				       .disk_only = true};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	assert_false(exists("corral-web-checkpoint.OLD123"));
	assert_false(exists(".corral-web-checkpoint.OLD123.partial-x"));
	assert_true(exists("corral-web2-checkpoint.KEEP12"));
	cr_workdir_remove(&w);
}

/* A process's leftovers go once it is dead; a live one's stay. */
static void process_sweeps_dead_only(void **state)
{
	(void)state;
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	assert_true(child > 0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	char dead[64], live[64];
	snprintf(dead, sizeof(dead), "corral-restart.%d.AAAAAA", (int)child);
	snprintf(live, sizeof(live), "corral-restart.%d.BBBBBB", (int)getppid());
	put_dir(dead);
	put_dir(live);
	struct cr_workdir_request r = {.owner = "restart", .owned_by = CR_WORKDIR_PROCESS, .fallback = fallback,
				       .disk_only = true};
	struct cr_workdir w;
	assert_int_equal(cr_workdir_make(&r, &w, NULL), 0);
	assert_false(exists(dead));
	assert_true(exists(live));
	cr_workdir_remove(&w);
	char *p = in_fallback(live);
	cr_rm_rf(p, NULL);
	free(p);
}

static void daemon_sweep(void **state)
{
	(void)state;
	put_dir("corral-incoming-a.X1");
	put_dir(".corral-incoming-b.X2.partial-y");
	put_dir("corral-restart.1.X3");
	assert_int_equal(cr_workdir_sweep("incoming-", fallback), 2);
	assert_false(exists("corral-incoming-a.X1"));
	assert_true(exists("corral-restart.1.X3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(room_formula),
		cmocka_unit_test(disk_only_named_for_owner),
		cmocka_unit_test(name_only),
		cmocka_unit_test(no_room_falls_back),
		cmocka_unit_test(forced_scratch_is_not_fallback),
		cmocka_unit_test(locked_sweeps_leftovers),
		cmocka_unit_test(process_sweeps_dead_only),
		cmocka_unit_test(daemon_sweep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
