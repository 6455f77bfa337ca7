/* Where CRIU's images go (util/scratch.h): the administrator's directory
 * wins, a need no memory can hold falls back to the state directory, a tmpfs
 * chosen is a real tmpfs with room inside the test's root, the sweep removes
 * what a dead run left and nothing else, and the size walk counts files,
 * stops at its limit and does not follow symlinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/scratch.h"
#include "util/fsutil.h"

static char tmp[64];

static bool on_tmpfs(const char *dir)
{
	struct statfs fs;
	return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* One root for the group (cr_root reads CORRAL_ROOT once), on /dev/shm when
 * that is a tmpfs, so that $ROOT/run/corral is one. */
static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/corral-test-scratch-XXXXXX", on_tmpfs("/dev/shm") ? "/dev/shm" : "/tmp");
	if (!mkdtemp(tmp))
		return -1;
	unsetenv("CORRAL_SCRATCH_DIR");
	return setenv("CORRAL_ROOT", tmp, 1);
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CORRAL_SCRATCH_DIR");
	unsetenv("CORRAL_ROOT");
	return cr_rm_rf(tmp, NULL);
}

static int clear_forced(void **state)
{
	(void)state;
	return unsetenv("CORRAL_SCRATCH_DIR");
}

static void put_file(const char *rel, size_t len)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", tmp, rel) > 0);
	char *data = malloc(len);
	assert_non_null(data);
	memset(data, 'x', len);
	assert_int_equal(cr_write_file_atomic(path, data, len, 0600, NULL), 0);
	free(data);
	free(path);
}

static void forced_dir_wins(void **state)
{
	(void)state;
	setenv("CORRAL_SCRATCH_DIR", "/srv/scratch", 1);
	bool tmpfs = true;
	char *base = cr_scratch_base("/state", 1, &tmpfs);
	assert_string_equal(base, "/srv/scratch");
	assert_false(tmpfs);
	free(base);
}

static void impossible_need_falls_back(void **state)
{
	(void)state;
	bool tmpfs = true;
	char *base = cr_scratch_base("/state", UINT64_MAX / 4, &tmpfs);
	assert_string_equal(base, "/state");
	assert_false(tmpfs);
	free(base);
	assert_false(cr_scratch_fits("/dev/shm", UINT64_MAX / 4));
	assert_false(cr_scratch_fits("/nonexistent/corral", 0));
}

static void small_need_takes_a_tmpfs_with_room(void **state)
{
	(void)state;
	char *run = NULL;
	assert_true(asprintf(&run, "%s/run/corral", tmp) > 0);
	assert_int_equal(cr_mkdir_p(run, 0700, NULL), 0);
	bool tmpfs = false;
	char *base = cr_scratch_base("/state", 4096, &tmpfs);
	assert_non_null(base);
	if (tmpfs) {
		/* Inside the test's root: /dev/shm only without CORRAL_ROOT. */
		assert_string_equal(base, run);
		assert_true(on_tmpfs(base));
		assert_true(cr_scratch_fits(base, 4096));
	} else {
		/* No tmpfs here, or no memory to spare: the state directory. */
		assert_string_equal(base, "/state");
	}
	free(base);
	free(run);
}

static void sweep_removes_only_the_prefix(void **state)
{
	(void)state;
	char *dir = NULL;
	assert_true(asprintf(&dir, "%s/run/corral/corral-web-checkpoint.AbC123/criu", tmp) > 0);
	assert_int_equal(cr_mkdir_p(dir, 0700, NULL), 0);
	put_file("run/corral/corral-web-checkpoint.AbC123/criu/pages-1.img", 4096);
	put_file("run/corral/corral-web2-checkpoint.XyZ789", 10);
	put_file("run/corral/web.lock", 0);
	cr_scratch_sweep("corral-web-checkpoint.");
	char *gone = NULL, *kept = NULL, *lock = NULL;
	assert_true(asprintf(&gone, "%s/run/corral/corral-web-checkpoint.AbC123", tmp) > 0);
	assert_true(asprintf(&kept, "%s/run/corral/corral-web2-checkpoint.XyZ789", tmp) > 0);
	assert_true(asprintf(&lock, "%s/run/corral/web.lock", tmp) > 0);
	assert_false(cr_path_exists(gone));
	assert_true(cr_path_exists(kept));
	assert_true(cr_path_exists(lock));
	free(dir);
	free(gone);
	free(kept);
	free(lock);
}

static void tree_bytes_counts_and_stops(void **state)
{
	(void)state;
	char *sub = NULL, *top = NULL;
	assert_true(asprintf(&sub, "%s/tree/a/b", tmp) > 0);
	assert_true(asprintf(&top, "%s/tree", tmp) > 0);
	assert_int_equal(cr_mkdir_p(sub, 0755, NULL), 0);
	free(sub);
	put_file("tree/one", 100000);
	put_file("tree/a/two", 200000);
	put_file("tree/a/b/three", 300000);
	char *link = NULL;
	assert_true(asprintf(&link, "%s/tree/a/etc", tmp) > 0);
	assert_int_equal(symlink("/etc", link), 0); /* not followed */
	free(link);
	uint64_t all = cr_scratch_tree_bytes(top, UINT64_MAX / 2);
	assert_true(all >= 600000);
	assert_true(all < 600000 + 3 * 65536); /* block rounding, nothing of /etc */
	uint64_t cut = cr_scratch_tree_bytes(top, 50000);
	assert_true(cut > 50000);
	assert_true(cut < all);
	assert_int_equal(cr_scratch_tree_bytes("/nonexistent/corral", 10), 0);
	free(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(forced_dir_wins, clear_forced),
		cmocka_unit_test_teardown(impossible_need_falls_back, clear_forced),
		cmocka_unit_test_teardown(small_need_takes_a_tmpfs_with_room, clear_forced),
		cmocka_unit_test_teardown(tree_bytes_counts_and_stops, clear_forced),
		cmocka_unit_test_teardown(sweep_removes_only_the_prefix, clear_forced),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
