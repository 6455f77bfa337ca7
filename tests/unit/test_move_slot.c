/* relocate/move_slot.c: the slot's switch ($CORRAL_MOVE_SLOT, on unless
 * "0"), and a preparation's lower priority: this thread only (another
 * thread and a child started after the restore keep theirs), given back by
 * the restore, nothing at all with the slot off. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "relocate/move_slot.h"

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

static void lowered_and_given_back(void **state)
{
	(void)state;
	unsetenv("CORRAL_MOVE_SLOT");
	int before = nice_of(gettid());
	if (before + CR_MOVE_PREP_NICE > 19) {
		skip(); /* this test already runs at the lowest priority */
		return;
	}
	struct cr_prep_nice p = CR_PREP_NICE_INIT;
	cr_prep_nice_lower(&p);
	assert_true(p.lowered);
	assert_int_equal(nice_of(gettid()), before + CR_MOVE_PREP_NICE);
	cr_prep_nice_lower(&p); /* once only */
	assert_int_equal(nice_of(gettid()), before + CR_MOVE_PREP_NICE);
	/* A thread started meanwhile inherits it, one started after does not. */
	int seen = -100;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread, &seen), 0);
	pthread_join(th, NULL);
	assert_int_equal(seen, before + CR_MOVE_PREP_NICE);
	cr_prep_nice_restore(&p);
	assert_false(p.lowered);
	if (geteuid() == 0) /* raising it back needs CAP_SYS_NICE */
		assert_int_equal(nice_of(gettid()), before);
	else if (nice_of(gettid()) != before) {
		skip();
		return;
	}
	assert_int_equal(pthread_create(&th, NULL, other_thread, &seen), 0);
	pthread_join(th, NULL);
	assert_int_equal(seen, before);
	cr_prep_nice_restore(&p); /* nothing when not lowered */
	assert_int_equal(nice_of(gettid()), before);
}

static void nothing_with_the_slot_off(void **state)
{
	(void)state;
	setenv("CORRAL_MOVE_SLOT", "0", 1);
	int before = nice_of(gettid());
	struct cr_prep_nice p = CR_PREP_NICE_INIT;
	cr_prep_nice_lower(&p);
	assert_false(p.lowered);
	assert_int_equal(nice_of(gettid()), before);
	cr_prep_nice_restore(&p);
	assert_int_equal(nice_of(gettid()), before);
	unsetenv("CORRAL_MOVE_SLOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(switch_read),
		cmocka_unit_test(nothing_with_the_slot_off),
		cmocka_unit_test(lowered_and_given_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
