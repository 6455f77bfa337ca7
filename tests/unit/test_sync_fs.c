/* syncwpar's file operations inside a partition root: links planted in the
 * partition resolve inside it (never on the host), files and links are
 * installed with their mode and target, FIFOs are seen without blocking,
 * and missing parents are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/sync.h"
#include "util/fsutil.h"

struct fixture {
	char root[64]; /* the partition */
	char host[64]; /* files to install from */
	int root_fd;
};

static char *join(const char *a, const char *b)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", a, b) > 0);
	return p;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/corral-syncfs-root.XXXXXX");
	strcpy(f->host, "/tmp/corral-syncfs-host.XXXXXX");
	if (!mkdtemp(f->root) || !mkdtemp(f->host))
		return -1;
	char *etc = join(f->root, "etc"), *link = join(f->root, "escape");
	if (mkdir(etc, 0755) < 0 || symlink("/etc", link) < 0)
		return -1;
	free(etc);
	free(link);
	if (cr_sync_root_open(f->root, &f->root_fd, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->root_fd);
	cr_rm_rf(f->root, NULL);
	cr_rm_rf(f->host, NULL);
	free(f);
	return 0;
}

static void planted_link_stays_inside(void **state)
{
	struct fixture *f = *state;
	struct cr_sync_item it;
	/* "escape" -> /etc resolves to the partition's etc, which has no passwd. */
	assert_int_equal(cr_sync_stat(f->root_fd, true, "escape/passwd", &it, NULL), 0);
	assert_int_equal(it.kind, 0);
	assert_int_equal(cr_sync_stat(f->root_fd, true, "escape", &it, NULL), 0);
	assert_int_equal(it.kind, 'l');
	/* Installing through it writes into the partition, not the host's /etc. */
	char *src = join(f->host, "corral-sync-probe");
	assert_int_equal(cr_write_file_atomic(src, "probe\n", 6, 0640, NULL), 0);
	assert_int_equal(cr_sync_install(f->root_fd, "escape/corral-sync-probe", src, NULL), 0);
	assert_false(cr_path_exists("/etc/corral-sync-probe"));
	char *dst = join(f->root, "etc/corral-sync-probe");
	struct stat st;
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(cr_sync_stat(f->root_fd, true, "etc/corral-sync-probe", &it, NULL), 0);
	assert_int_equal(it.kind, 'f');
	assert_true(it.hash == cr_sync_hash(CR_SYNC_HASH_INIT, "probe\n", 6));
	assert_int_equal(cr_sync_unlink(f->root_fd, "escape/corral-sync-probe", NULL), 0);
	assert_false(cr_path_exists(dst));
	free(src);
	free(dst);
}

static void links_and_dirs(void **state)
{
	struct fixture *f = *state;
	char *src = join(f->host, "l");
	assert_int_equal(symlink("some/target", src), 0);
	assert_int_equal(cr_sync_install(f->root_fd, "etc/l", src, NULL), 0);
	char *dst = join(f->root, "etc/l");
	char buf[64];
	ssize_t n = readlink(dst, buf, sizeof(buf) - 1);
	assert_int_equal(n, 11);
	buf[n] = '\0';
	assert_string_equal(buf, "some/target");
	struct cr_sync_item it;
	assert_int_equal(cr_sync_stat(f->root_fd, true, "etc/l", &it, NULL), 0);
	assert_int_equal(it.kind, 'l');
	assert_true(it.hash == cr_sync_hash(CR_SYNC_HASH_INIT, "some/target", 11));
	/* A directory the host lacks is made 0755. */
	char *none = join(f->host, "none");
	assert_int_equal(cr_sync_mkdir(f->root_fd, "etc/d", none, NULL), 0);
	char *d = join(f->root, "etc/d");
	struct stat st;
	assert_int_equal(stat(d, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	/* A missing parent is an error naming the path. */
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_sync_install(f->root_fd, "nodir/x", src, &err), -ENOENT);
	assert_string_equal(cr_error_msg(&err), "the directory of /nodir/x is missing in the partition");
	cr_error_clear(&err);
	free(src);
	free(dst);
	free(none);
	free(d);
}

static void fifo_does_not_block(void **state)
{
	struct fixture *f = *state;
	char *p = join(f->root, "etc/fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	struct cr_sync_item it;
	assert_int_equal(cr_sync_stat(f->root_fd, true, "etc/fifo", &it, NULL), 0);
	assert_int_equal(it.kind, 'o');
	assert_int_equal(cr_sync_stat(f->root_fd, true, "etc", &it, NULL), 0);
	assert_int_equal(it.kind, 'd');
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(planted_link_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(links_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_does_not_block, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
