/* The arrival's record and rules (relocate/relocation_record.h,
 * relocate/arrival.h): a record round-trips with its id, a pending
 * relocation names its source, forget removes the record and the unpacked
 * image, a bad relocation id is refused, the committed id is remembered with
 * the partition's state, a copy whose relocation is not settled resumes
 * only with force, and corrald's start removes a relocation a dead
 * connection left prepared (nothing of it ran) but keeps a restored one for
 * its source's word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "relocate/arrival.h"
#include "relocate/landing.h"
#include "relocate/relocation_record.h"
#include "test_transport_util.h"
#include "util/fsutil.h"
#include "util/paths.h"

static int setup(void **state)
{
	*state = t_fresh_root();
	return 0;
}

static int teardown(void **state)
{
	t_rm_root(*state);
	return 0;
}

static void make_incoming(void)
{
	char *dir = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_path(&dir, &err, CR_STATE_DIR "/incoming"), 0);
	assert_int_equal(cr_mkdir_p(dir, 0700, &err), 0);
	free(dir);
}

static void test_record_roundtrip(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	make_incoming();
	struct cr_relocation_record rec = {.rootfs = "/wpars/web", .peer = "a", .id = "00ff", .defined = true};
	struct cr_relocation_record got;
	assert_int_equal(cr_relocation_record_load("web", &got, &err), 0);
	assert_int_equal(cr_relocation_record_save("web", &rec, &err), 0);
	assert_int_equal(cr_relocation_record_load("web", &got, &err), 1);
	assert_string_equal(got.rootfs, "/wpars/web");
	assert_string_equal(got.peer, "a");
	assert_string_equal(got.id, "00ff");
	assert_true(got.defined);
	cr_relocation_record_free(&got);

	char *peer = NULL, *unpacked = NULL;
	assert_true(cr_relocation_pending("web", &peer));
	assert_string_equal(peer, "a");
	free(peer);
	assert_int_equal(cr_unpacked_path("web", &unpacked, &err), 0);
	assert_int_equal(cr_mkdir_p(unpacked, 0700, &err), 0);
	cr_relocation_forget("web");
	assert_false(cr_relocation_pending("web", &peer));
	assert_false(cr_path_exists(unpacked));
	free(unpacked);
}

static void test_id_check(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_relocation_id_check("0123456789abcdef", &err), 0);
	assert_int_equal(cr_relocation_id_check("", &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(cr_relocation_id_check("00ff\nrootfs /etc", &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(cr_relocation_id_check("ABCD", &err), -EINVAL);
	cr_error_clear(&err);
}

static void test_arrival_id(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	char *dir = NULL;
	assert_false(cr_relocation_arrived_by("web", "00ff"));
	assert_int_equal(cr_path_name(&dir, CR_STATE_DIR, "web", "", &err), 0);
	assert_int_equal(cr_mkdir_p(dir, 0700, &err), 0);
	cr_relocation_arrival_save("web", "00ff");
	assert_true(cr_relocation_arrived_by("web", "00ff"));
	assert_false(cr_relocation_arrived_by("web", "00f"));
	assert_false(cr_relocation_arrived_by("web", "11ff"));
	free(dir);
}

/* Resuming a copy whose source may still run it would run it twice. */
static void test_resume_needs_force(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	make_incoming();
	struct cr_relocation_record rec = {.peer = "hosta"};
	assert_int_equal(cr_relocation_record_save("web", &rec, &err), 0);
	assert_int_equal(cr_arrival_resume("web", false, &err), -EBUSY);
	assert_non_null(strstr(cr_error_msg(&err), "hosta"));
	assert_non_null(strstr(cr_error_msg(&err), "-F"));
	cr_error_clear(&err);
	char *peer = NULL;
	assert_true(cr_relocation_pending("web", &peer));
	free(peer);
	/* With force the rule lets it through (here to "no such partition"). */
	assert_int_equal(cr_arrival_resume("web", true, &err), -ENOENT);
	cr_error_clear(&err);
}

static void test_sweep_prepared(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	make_incoming();
	struct cr_relocation_record prepared = {.peer = "a", .id = "00ff", .prepared = true};
	struct cr_relocation_record restored = {.peer = "a", .id = "0aaa"};
	struct cr_relocation_record got;
	assert_int_equal(cr_relocation_record_save("web", &prepared, &err), 0);
	assert_int_equal(cr_relocation_record_load("web", &got, &err), 1);
	assert_true(got.prepared);
	cr_relocation_record_free(&got);
	assert_int_equal(cr_relocation_record_save("db", &restored, &err), 0);
	unsigned removed = 0;
	cr_relocate_arrival.sweep(&removed);
	assert_int_equal(removed, 1);
	assert_int_equal(cr_relocation_record_load("web", &got, &err), 0);
	assert_int_equal(cr_relocation_record_load("db", &got, &err), 1);
	assert_false(got.prepared);
	cr_relocation_record_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrival_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_needs_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_prepared, setup, teardown),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
