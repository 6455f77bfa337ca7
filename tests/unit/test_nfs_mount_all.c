/* cr_nfs_mount_all with mount points that are taken already, and
 * cr_nfs_mounted_source: a mount of the same export is kept, a mount of
 * anything else is refused and left alone, a failure unmounts only what the
 * call mounted. Needs root (it runs in a private mount namespace of its own,
 * with tmpfs mounts standing in for exports); no NFS server is contacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "test_nfs_fixture.h"

#define UNSERVED "port=1,mountport=1,timeout=1" /* nobody listens: fails at once */

static bool skip_all;
static char base[64];

static int setup(void **state)
{
	(void)state;
	if (getuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "skipped: needs root and a mount namespace of its own\n");
		skip_all = true;
		return 0;
	}
	snprintf(base, sizeof(base), "/tmp/corral-nfs-mounted.XXXXXX");
	assert_non_null(mkdtemp(base));
	setenv("CORRAL_NFS_CLIENT", "fuse", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (base[0]) {
		umount2(base, MNT_DETACH);
		cr_rm_rf(base, NULL);
	}
	return 0;
}

#define NEED_ROOT()                                                                                \
	do {                                                                                       \
		if (skip_all)                                                                      \
			skip();                                                                    \
	} while (0)

/* A partition in BASE/NAME whose "/" is 127.0.0.1:/export on a port
 * nobody serves (any attempt to mount fails at once). */
static void config_in(struct cr_wpar_config *cfg, const char *name)
{
	nfs_fixture_config(cfg, name);
	assert_true(asprintf(&cfg->directory, "%s/%s", base, name) > 0);
	nfs_fixture_stanza(cfg, "/", "127.0.0.1", "/export", UNSERVED);
	assert_int_equal(cr_mkdir_p(cfg->directory, 0755, NULL), 0);
}

static void source_of(const char *path, const char *want)
{
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *src = NULL;
	int r = cr_nfs_mounted_source(path, &src, &err);
	if (!want) {
		assert_int_equal(r, 0);
		assert_null(src);
		return;
	}
	assert_int_equal(r, 1);
	assert_string_equal(src, want);
}

static void mounted_source(void **state)
{
	(void)state;
	NEED_ROOT();
	cleanup_free char *dir = NULL;
	assert_true(asprintf(&dir, "%s/with space", base) > 0);
	assert_int_equal(cr_mkdir_p(dir, 0755, NULL), 0);
	source_of(dir, NULL);
	assert_int_equal(mount("host:/a b", dir, "tmpfs", 0, "size=64k"), 0);
	source_of(dir, "host:/a b");
	/* The last mount on a path is the one that shows. */
	assert_int_equal(mount("second", dir, "tmpfs", 0, "size=64k"), 0);
	source_of(dir, "second");
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	assert_int_equal(umount2(dir, MNT_DETACH), 0);
	source_of(dir, NULL);
	struct cr_error err = CR_ERROR_INIT;
	char *src = NULL;
	assert_true(cr_nfs_mounted_source("/no/such/dir", &src, &err) < 0);
	assert_null(src);
	cr_error_clear(&err);
}

static void same_export_kept(void **state)
{
	(void)state;
	NEED_ROOT();
	struct cr_wpar_config cfg;
	config_in(&cfg, "kept");
	assert_int_equal(mount("127.0.0.1:/export", cfg.directory, "tmpfs", 0, "size=64k"), 0);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_mount_all(&cfg, &err), 0);
	source_of(cfg.directory, "127.0.0.1:/export");
	assert_int_equal(umount2(cfg.directory, MNT_DETACH), 0);
	cr_config_free(&cfg);
}

static void other_mount_refused_and_left(void **state)
{
	(void)state;
	NEED_ROOT();
	struct cr_wpar_config cfg;
	config_in(&cfg, "taken");
	assert_int_equal(mount("somebody-else", cfg.directory, "tmpfs", 0, "size=64k"), 0);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_mount_all(&cfg, &err), -EBUSY);
	assert_non_null(strstr(cr_error_msg(&err), "mounting / of taken: "));
	assert_non_null(strstr(cr_error_msg(&err), "is a mount point of somebody-else already, not of 127.0.0.1:/export"));
	cr_error_clear(&err);
	source_of(cfg.directory, "somebody-else"); /* not ours: left mounted */
	assert_int_equal(umount2(cfg.directory, MNT_DETACH), 0);
	cr_config_free(&cfg);
}

/* "/" is kept (the same export), "/home" cannot be mounted: the call fails
 * and leaves "/" as it found it. */
static void failure_keeps_what_was_there(void **state)
{
	(void)state;
	NEED_ROOT();
	struct cr_wpar_config cfg;
	config_in(&cfg, "partial");
	nfs_fixture_stanza(&cfg, "/home", "127.0.0.1", "/homes", UNSERVED);
	assert_int_equal(mount("127.0.0.1:/export", cfg.directory, "tmpfs", 0, "size=64k"), 0);
	struct cr_error err = CR_ERROR_INIT;
	assert_true(cr_nfs_mount_all(&cfg, &err) < 0);
	assert_non_null(strstr(cr_error_msg(&err), "mounting /home of partial"));
	assert_non_null(strstr(cr_error_msg(&err), "unreachable"));
	cr_error_clear(&err);
	source_of(cfg.directory, "127.0.0.1:/export");
	cleanup_free char *home_path = NULL;
	assert_true(asprintf(&home_path, "%s/home", cfg.directory) > 0);
	source_of(home_path, NULL);
	assert_int_equal(umount2(cfg.directory, MNT_DETACH), 0);
	cr_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mounted_source),
		cmocka_unit_test(same_export_kept),
		cmocka_unit_test(other_mount_refused_and_left),
		cmocka_unit_test(failure_keeps_what_was_there),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
