/* partition/rootfs_unpack.c: a GNU tar level-0 (--listed-incremental)
 * unpacked in Corral's process ends as GNU tar's own extract leaves it
 * (owners, modes, times, hard links, symlinks absolute and relative, a fifo,
 * a device node, user xattrs, a sparse file, an empty directory), and an
 * archive from a bad peer is refused without a write outside the directory:
 * a member under a symlink that points out, '..' and absolute names, a
 * truncated archive, a deadline passed. The archives are made by GNU tar. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "partition/rootfs_archive.h"
#include "partition/rootfs_unpack.h"
#include "test_image_util.h"

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void make_tree(const char *src)
{
	assert_int_equal(mkdir(src, 0750), 0);
	char *p;
	t_write(src, "a", "hello\n", 6, 0640);
	p = t_join(src, "a");
	if (setxattr(p, "user.corral", "v1", 2, 0) != 0)
		print_message("no user xattrs here: %s\n", strerror(errno));
	if (geteuid() == 0)
		assert_int_equal(chown(p, 1234, 5678), 0);
	free(p);
	sh("ln %s/a %s/a2 && mkdir -p %s/d/e && chmod 0711 %s/d/e && ln -s /etc/passwd %s/abs && "
	   "ln -s d/e %s/rel && mkfifo -m 0620 %s/p && truncate -s 8M %s/s && "
	   "printf data | dd of=%s/s bs=1 seek=4194304 conv=notrunc status=none && "
	   "touch -h -d '2001-02-03 04:05:06' %s/a %s/abs %s/d/e %s/d %s/s",
	   src, src, src, src, src, src, src, src, src, src, src, src, src, src);
	if (geteuid() == 0)
		sh("mknod -m 0600 %s/null c 1 3", src);
	sh("touch -d '2002-01-01 00:00:00' %s", src);
}

static void same_entry(const char *a, const char *b, const char *rel)
{
	char *pa = t_join(a, rel), *pb = t_join(b, rel);
	struct stat sa, sb;
	assert_int_equal(lstat(pa, &sa), 0);
	assert_int_equal(lstat(pb, &sb), 0);
	assert_int_equal(sa.st_mode, sb.st_mode);
	assert_int_equal(sa.st_uid, sb.st_uid);
	assert_int_equal(sa.st_gid, sb.st_gid);
	assert_int_equal(sa.st_nlink, sb.st_nlink);
	assert_int_equal(sa.st_rdev, sb.st_rdev);
	if (!S_ISDIR(sa.st_mode))
		assert_int_equal(sa.st_size, sb.st_size);
	if (!S_ISLNK(sa.st_mode)) { /* (a symlink's own time GNU tar sets as well) */
		assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
	}
	if (S_ISLNK(sa.st_mode)) {
		char la[256] = "", lb[256] = "";
		assert_true(readlink(pa, la, sizeof(la) - 1) > 0);
		assert_true(readlink(pb, lb, sizeof(lb) - 1) > 0);
		assert_string_equal(la, lb);
	}
	char va[16] = "", vb[16] = "";
	ssize_t na = lgetxattr(pa, "user.corral", va, sizeof(va) - 1);
	ssize_t nb = lgetxattr(pb, "user.corral", vb, sizeof(vb) - 1);
	assert_int_equal(na, nb);
	assert_string_equal(va, vb);
	free(pa);
	free(pb);
}

static char *level0(const char *root, const char *src)
{
	char *tar = t_join(root, "l0.tar");
	sh("tar --create --file %s --directory %s --numeric-owner --xattrs --acls --sparse --one-file-system "
	   "--listed-incremental=%s/l0.snar .",
	   tar, src, root);
	return tar;
}

static void same_as_gnu_tar(void **state)
{
	char *root = *state, *src = t_join(root, "src"), *a = t_join(root, "A"), *b = t_join(root, "B");
	make_tree(src);
	char *tar = level0(root, src);
	assert_int_equal(mkdir(a, 0755), 0);
	sh("tar --extract --file %s --directory %s --numeric-owner --xattrs --acls --same-permissions "
	   "--same-owner --listed-incremental=/dev/null",
	   tar, a);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(mkdir(b, 0700), 0);
	assert_int_equal(cr_rootfs_unpack_file(tar, b, &err), 0);
	static const char *const rels[] = {".", "a", "a2", "d", "d/e", "abs", "rel", "p", "s"};
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++)
		same_entry(a, b, rels[i]);
	if (geteuid() == 0)
		same_entry(a, b, "null");
	struct stat st;
	char *s = t_join(b, "s");
	assert_int_equal(stat(s, &st), 0);
	assert_true(st.st_blocks * 512 < (1 << 20)); /* holes stay holes */
	size_t len;
	uint8_t *data = t_read(s, &len);
	assert_int_equal(len, 8u << 20);
	assert_memory_equal(data + 4194304, "data", 4);
	free(data);
	free(s);
	free(src), free(a), free(b), free(tar);
}

/* A symlink to OUTSIDE, then a member under it: refused, OUTSIDE untouched. */
static void refuses_symlink_out(void **state)
{
	char *root = *state, *out = t_join(root, "outside"), *b = t_join(root, "B");
	char *tar = t_join(root, "evil.tar");
	assert_int_equal(mkdir(out, 0755), 0);
	sh("mkdir -p %s/s1 %s/s2/evil && ln -s %s %s/s1/evil && echo pwned > %s/s2/evil/x && "
	   "tar -cf %s -C %s/s1 ./evil && tar -rf %s -C %s/s2 ./evil/x",
	   root, root, out, root, root, tar, root, tar, root);
	assert_int_equal(mkdir(b, 0755), 0);
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rootfs_unpack_file(tar, b, &err);
	assert_true(r < 0);
	assert_non_null(strstr(cr_error_msg(&err), tar));
	assert_non_null(strstr(cr_error_msg(&err), "evil/x"));
	assert_null(strchr(cr_error_msg(&err), '\n'));
	char *x = t_join(out, "x");
	assert_int_not_equal(access(x, F_OK), 0);
	cr_error_clear(&err);
	free(out), free(b), free(tar), free(x);
}

static void refused(const char *tar, const char *dir, const char *needle)
{
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rootfs_unpack_file(tar, dir, &err);
	assert_true(r < 0);
	t_expect_error(r, &err, needle);
	cr_error_clear(&err);
}

static void refuses_dotdot_and_absolute(void **state)
{
	char *root = *state, *b = t_join(root, "B");
	sh("mkdir -p %s/B/sub %s/src/sub && echo one > %s/f && echo two > %s/src/f && "
	   "tar -cPf %s/dotdot.tar -C %s/src/sub ../f && tar -cPf %s/abs.tar %s/f",
	   root, root, root, root, root, root, root, root);
	char *dotdot = t_join(root, "dotdot.tar"), *abs = t_join(root, "abs.tar");
	char *sub = t_join(b, "sub");
	refused(dotdot, sub, "'..'");
	refused(abs, b, "absolute");
	size_t len;
	char *f = t_join(root, "f");
	uint8_t *data = t_read(f, &len); /* neither wrote where its name points */
	assert_int_equal(len, 4);
	assert_memory_equal(data, "one\n", 4);
	char *f2 = t_join(b, "f");
	assert_int_not_equal(access(f2, F_OK), 0);
	free(data), free(f), free(f2), free(b), free(dotdot), free(abs), free(sub);
}

/* An archive cut inside a member and a deadline already passed fail
 * cleanly (one cut between members reads as its end, as for GNU tar). */
static void truncated_and_late(void **state)
{
	char *root = *state, *src = t_join(root, "src"), *b = t_join(root, "B"), *c = t_join(root, "C");
	make_tree(src);
	char *tar = level0(root, src);
	size_t len;
	uint8_t *data = t_read(tar, &len);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(mkdir(b, 0755), 0);
	int r = cr_rootfs_unpack_memory("a cut archive", data, 1700, b, 60000, &err);
	t_expect_error(r, &err, "a cut archive");
	cr_error_clear(&err);
	assert_int_equal(mkdir(c, 0755), 0);
	r = cr_rootfs_unpack_memory("a late archive", data, len, c, -1, &err);
	assert_int_equal(r, -ETIMEDOUT);
	cr_error_clear(&err);
	free(data);
	free(src), free(b), free(c), free(tar);
}

/* The test's directory, removed even when an assertion failed. */
static int setup(void **state)
{
	*state = t_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	t_rm_rf(*state);
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(same_as_gnu_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_symlink_out, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_dotdot_and_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_and_late, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
