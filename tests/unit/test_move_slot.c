/* relocate/move_slot.c: the slot's switch ($CORRAL_MOVE_SLOT, on unless
 * "0"), and a preparation's lower priority: nice +10 on this thread only
 * (another thread and a child started after the restore keep theirs),
 * given back by the restore, lowered at a step boundary only while a move
 * is frozen on this host (relocate/frozen_window.c's busy test) and given
 * back at the next one when none is, nothing at all with the slot off. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "relocate/frozen_window.h"
#include "relocate/move_slot.h"
#include "util/error.h"
#include "util/fsutil.h"

static int nice_of(pid_t tid)
{
	return getpriority(PRIO_PROCESS, (id_t)tid);
}

static void switch_read(void **state)
{
	(void)state;
	unsetenv("CORRAL_MOVE_SLOT");
	assert_true(cr_move_slot_on());
	setenv("CORRAL_MOVE_SLOT", "1", 1);
	assert_true(cr_move_slot_on());
	setenv("CORRAL_MOVE_SLOT", "0", 1);
	assert_false(cr_move_slot_on());
	unsetenv("CORRAL_MOVE_SLOT");
}

static void *other_thread(void *arg)
{
	*(int *)arg = nice_of(gettid());
	return NULL;
}

static int nice_of_a_new_thread(void)
{
	int seen = -100;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread, &seen), 0);
	pthread_join(th, NULL);
	return seen;
}

static void nice_and_given_back(void **state)
{
	(void)state;
	unsetenv("CORRAL_MOVE_SLOT");
	int before = nice_of(gettid());
	if (before + CR_MOVE_PREP_NICE > 19) {
		skip(); /* this test already runs at the lowest priority */
		return;
	}
	struct cr_prep_prio p = CR_PREP_PRIO_INIT;
	cr_prep_prio_lower(&p);
	assert_true(p.lowered);
	assert_int_equal(nice_of(gettid()), before + CR_MOVE_PREP_NICE);
	cr_prep_prio_lower(&p); /* once only */
	assert_int_equal(nice_of(gettid()), before + CR_MOVE_PREP_NICE);
	/* A thread started meanwhile inherits it (so does the tar a step starts). */
	assert_int_equal(nice_of_a_new_thread(), before + CR_MOVE_PREP_NICE);
	cr_prep_prio_restore(&p);
	assert_false(p.lowered);
	if (geteuid() == 0) /* raising it back needs CAP_SYS_NICE */
		assert_int_equal(nice_of(gettid()), before);
	else if (nice_of(gettid()) != before) {
		skip();
		return;
	}
	assert_int_equal(nice_of_a_new_thread(), before);
	cr_prep_prio_restore(&p); /* nothing when not lowered */
	assert_int_equal(nice_of(gettid()), before);
}

/* A step boundary lowers it only while the host's window is held by
 * another move, and gives it back at the next one when not. */
static void yields_while_a_window_is_held(void **state)
{
	(void)state;
	unsetenv("CORRAL_MOVE_SLOT");
	int before = nice_of(gettid());
	assert_false(cr_frozen_window_busy());
	assert_false(cr_restore_window_busy());
	struct cr_prep_prio p = CR_PREP_PRIO_INIT;
	cr_prep_prio_yield(&p, cr_frozen_window_busy());
	assert_false(p.lowered);
	assert_int_equal(nice_of(gettid()), before);

	struct cr_frozen_window w = {.fd = -1};
	struct cr_error e = CR_ERROR_INIT;
	assert_int_equal(cr_frozen_window_enter(&w, 1000, &e), 0);
	assert_true(cr_frozen_window_busy());
	assert_false(cr_restore_window_busy()); /* the other window is free */
	cr_prep_prio_yield(&p, cr_frozen_window_busy());
	if (before + CR_MOVE_PREP_NICE <= 19) {
		assert_true(p.lowered);
		assert_int_equal(nice_of(gettid()), before + CR_MOVE_PREP_NICE);
	}
	/* The busy test takes nothing: the holder keeps it, another can enter after. */
	assert_true(cr_frozen_window_busy());
	cr_frozen_window_leave(&w);
	assert_false(cr_frozen_window_busy());
	cr_prep_prio_yield(&p, cr_frozen_window_busy());
	assert_false(p.lowered);
	if (geteuid() == 0) /* raising it back needs CAP_SYS_NICE */
		assert_int_equal(nice_of(gettid()), before);

	assert_int_equal(cr_restore_window_enter(&w, 1000, &e), 0);
	assert_true(cr_restore_window_busy());
	assert_false(cr_frozen_window_busy());
	cr_frozen_window_leave(&w);
	assert_false(cr_restore_window_busy());
	cr_error_clear(&e);
}

/* A CORRAL_ROOT of its own for the windows' locks (mkdtemp's template), removed
 * whether the test passed or not. */
static char root[] = "/tmp/corral-test-move-slot-XXXXXX";

static int root_made(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	return setenv("CORRAL_ROOT", root, 1);
}

static int root_removed(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rm_rf(root, &err);
	cr_error_clear(&err);
	unsetenv("CORRAL_ROOT");
	return r < 0 ? -1 : 0;
}

static void nothing_with_the_slot_off(void **state)
{
	(void)state;
	setenv("CORRAL_MOVE_SLOT", "0", 1);
	int before = nice_of(gettid());
	struct cr_prep_prio p = CR_PREP_PRIO_INIT;
	cr_prep_prio_lower(&p);
	assert_false(p.lowered);
	assert_int_equal(nice_of(gettid()), before);
	cr_prep_prio_yield(&p, true);
	assert_false(p.lowered);
	assert_int_equal(nice_of(gettid()), before);
	cr_prep_prio_restore(&p);
	assert_int_equal(nice_of(gettid()), before);
	unsetenv("CORRAL_MOVE_SLOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(switch_read),
		cmocka_unit_test(nothing_with_the_slot_off),
		cmocka_unit_test(nice_and_given_back),
		cmocka_unit_test_setup_teardown(yields_while_a_window_is_held, root_made, root_removed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
