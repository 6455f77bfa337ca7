/* relocate/move_archive.c: the archive made while CRIU dumps is used only
 * when it was made and CRIU recorded no file remap (link-remap may link a
 * file back into the file system during the dump). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "relocate/move_internal.h"
#include "test_image_util.h"

static void used_unless_remapped(void **state)
{
	(void)state;
	char *images = t_mkdtemp();
	struct cr_move_archive a;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_move_archive_prepare(&a, "p1", "/nonexistent", 0, &err), 0);
	assert_false(cr_move_archive_usable(&a, images)); /* not made */
	a.done = true;
	assert_true(cr_move_archive_usable(&a, images)); /* no remap image at all */
	static const uint8_t magics[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	t_write(images, "remap-fpath.img", magics, sizeof(magics), 0600);
	assert_true(cr_move_archive_usable(&a, images)); /* an empty remap image */
	static uint8_t entry[24];
	t_write(images, "remap-fpath.img", entry, sizeof(entry), 0600);
	assert_false(cr_move_archive_usable(&a, images)); /* a remap recorded */
	cr_move_archive_drop(&a);
	assert_null(a.name);
	t_rm_rf(images);
	free(images);
}

static void made_and_dropped(void **state)
{
	(void)state;
	char *root = t_mkdtemp();
	char *fs = t_join(root, "fs");
	assert_int_equal(mkdir(fs, 0755), 0);
	t_write(fs, "hostname", "p2\n", 3, 0644);
	setenv("CORRAL_SCRATCH_DIR", root, 1);
	struct cr_move_archive a;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_move_archive_prepare(&a, "p2", fs, 4096, &err), 0);
	int r = cr_move_archive_early(&a, &err);
	if (r < 0) /* no tar, or no state directory: nothing more to check here */
		print_message("skipped: %s\n", cr_error_msg(&err));
	else {
		assert_true(a.done);
		struct stat st;
		assert_int_equal(stat(a.tar, &st), 0);
		assert_true(st.st_size > 0);
		char *dir = strdup(a.dir);
		cr_move_archive_drop(&a);
		assert_int_not_equal(stat(dir, &st), 0); /* removed with its archive */
		free(dir);
	}
	cr_move_archive_drop(&a);
	unsetenv("CORRAL_SCRATCH_DIR");
	cr_error_clear(&err);
	t_rm_rf(root);
	free(fs);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(used_unless_remapped),
		cmocka_unit_test(made_and_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
