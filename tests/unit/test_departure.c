/* The source's record of a relocation (relocate/departure.h): pending while
 * its mover holds the lock, the decision once recorded, "aborted" when the
 * mover died undecided or let go without deciding, nothing for another
 * relocation's id, and gone once the destination confirmed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relocate/departure.h"
#include "test_transport_util.h"
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

static void test_pending_then_committed(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_departure d = CR_DEPARTURE_INIT;
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_UNKNOWN);
	assert_int_equal(cr_departure_begin("web", "00ff", "b", &d, &err), 0);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_PENDING);
	assert_int_equal(cr_departure_outcome("web", "0a0a"), CR_DEPARTURE_UNKNOWN);
	/* A second relocation of the same partition is refused while one runs. */
	struct cr_departure other = CR_DEPARTURE_INIT;
	assert_int_equal(cr_departure_begin("web", "0b0b", "c", &other, &err), -EBUSY);
	cr_error_clear(&err);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_PENDING);
	assert_int_equal(cr_departure_decide(&d, true, &err), 0);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_COMMITTED);
	/* Let go unconfirmed: the decision stays for the destination to ask. */
	cr_departure_release(&d);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_COMMITTED);
}

static void test_released_undecided_is_aborted(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_departure d = CR_DEPARTURE_INIT;
	assert_int_equal(cr_departure_begin("web", "00ff", "b", &d, &err), 0);
	cr_departure_release(&d);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_ABORTED);
}

static void test_mover_died_undecided(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_departure d = CR_DEPARTURE_INIT;
		_exit(cr_departure_begin("web", "00ff", "b", &d, &err) == 0 ? 0 : 1); /* dies holding it */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_ABORTED);
}

static void test_settled_goes(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_departure d = CR_DEPARTURE_INIT;
	assert_int_equal(cr_departure_begin("web", "00ff", "b", &d, &err), 0);
	assert_int_equal(cr_departure_decide(&d, true, &err), 0);
	cr_departure_settled(&d);
	cr_departure_release(&d);
	assert_int_equal(cr_departure_outcome("web", "00ff"), CR_DEPARTURE_UNKNOWN);
	/* Nothing of a settled relocation stays behind. */
	char *dir = NULL;
	assert_int_equal(cr_path(&dir, &err, CR_STATE_DIR "/outgoing"), 0);
	DIR *dd = opendir(dir);
	assert_non_null(dd);
	for (struct dirent *de; (de = readdir(dd));)
		assert_true(de->d_name[0] == '.');
	closedir(dd);
	free(dir);
	/* A bad name or id is refused, nothing written. */
	assert_int_equal(cr_departure_begin("../x", "00ff", "b", &d, &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(cr_departure_begin("web", "zz", "b", &d, &err), -EINVAL);
	cr_error_clear(&err);
	assert_int_equal(cr_departure_outcome("web", "zz"), CR_DEPARTURE_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_then_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_undecided_is_aborted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mover_died_undecided, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settled_goes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, t_group_setup, t_group_teardown);
}
