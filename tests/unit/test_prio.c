/* util/prio.c: a thread's nice value shifted and given back (that thread
 * only, by its id from any thread, clamped to -20..19, once per record), and
 * the window's boost: CR_WINDOW_NICE_BOOST below, unless
 * $CORRAL_WINDOW_BOOST is "0". Lowering a nice value needs CAP_SYS_NICE: the
 * boost's own tests skip without it. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/prio.h"

static int nice_of(pid_t tid)
{
	return getpriority(PRIO_PROCESS, (id_t)tid);
}

static bool may_lower(void)
{
	return geteuid() == 0;
}

/* A thread that reports its id and waits until told to end. */
struct sleeper {
	pthread_t th;
	pid_t tid;
	int nice_seen;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready, end;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	pthread_mutex_lock(&s->lock);
	s->tid = gettid();
	s->nice_seen = nice_of(s->tid);
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	while (!s->end)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void sleeper_start(struct sleeper *s)
{
	*s = (struct sleeper){.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	assert_int_equal(pthread_create(&s->th, NULL, sleeper_main, s), 0);
	pthread_mutex_lock(&s->lock);
	while (!s->ready)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static void sleeper_end(struct sleeper *s)
{
	pthread_mutex_lock(&s->lock);
	s->end = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->th, NULL);
}

static void shifted_and_given_back(void **state)
{
	(void)state;
	pid_t me = gettid();
	int before = nice_of(me);
	if (before > 16)
		skip();
	struct cr_nice n = CR_NICE_INIT;
	assert_int_equal(cr_nice_shift(&n, 0, 3), 0);
	assert_true(n.changed);
	assert_int_equal(n.tid, me);
	assert_int_equal(n.saved, before);
	assert_int_equal(nice_of(me), before + 3);
	assert_int_equal(cr_nice_shift(&n, 0, 2), 0); /* held already: nothing more */
	assert_int_equal(nice_of(me), before + 3);
	struct sleeper s;
	sleeper_start(&s); /* a thread started meanwhile inherits it */
	assert_int_equal(s.nice_seen, before + 3);
	sleeper_end(&s);
	cr_nice_restore(&n);
	assert_false(n.changed);
	if (may_lower()) /* giving it back lowers it: CAP_SYS_NICE */
		assert_int_equal(nice_of(me), before);
	cr_nice_restore(&n); /* nothing when not held */
}

static void clamped(void **state)
{
	(void)state;
	if (!may_lower())
		skip();
	pid_t me = gettid();
	int before = nice_of(me);
	struct cr_nice n = CR_NICE_INIT;
	assert_int_equal(cr_nice_shift(&n, 0, 100), 0);
	assert_int_equal(nice_of(me), 19);
	struct cr_nice again = CR_NICE_INIT;
	assert_int_equal(cr_nice_shift(&again, 0, 1), -EALREADY); /* 19 is the lowest */
	assert_false(again.changed);
	cr_nice_restore(&n);
	assert_int_equal(nice_of(me), before);
	assert_int_equal(cr_nice_shift(&n, 0, -100), 0);
	assert_int_equal(nice_of(me), -20);
	cr_nice_restore(&n);
	assert_int_equal(nice_of(me), before);
}

/* Another thread, by its id: it alone changes, and is given back from here
 * (the source's freezing thread is given back by the one that ends the
 * window). */
static void another_thread_by_its_id(void **state)
{
	(void)state;
	if (!may_lower())
		skip();
	unsetenv("CORRAL_WINDOW_BOOST");
	struct sleeper s;
	sleeper_start(&s);
	int mine = nice_of(gettid()), its = nice_of(s.tid);
	struct cr_nice n = CR_NICE_INIT;
	cr_window_boost(&n, s.tid);
	int want = its - CR_WINDOW_NICE_BOOST < -20 ? -20 : its - CR_WINDOW_NICE_BOOST;
	assert_int_equal(nice_of(s.tid), want);
	assert_int_equal(nice_of(gettid()), mine);
	cr_nice_restore(&n);
	assert_int_equal(nice_of(s.tid), its);
	sleeper_end(&s);
}

static void boost_switched_off(void **state)
{
	(void)state;
	unsetenv("CORRAL_WINDOW_BOOST");
	assert_true(cr_window_boost_on());
	setenv("CORRAL_WINDOW_BOOST", "1", 1);
	assert_true(cr_window_boost_on());
	setenv("CORRAL_WINDOW_BOOST", "0", 1);
	assert_false(cr_window_boost_on());
	int before = nice_of(gettid());
	struct cr_nice n = CR_NICE_INIT;
	cr_window_boost(&n, 0);
	assert_false(n.changed);
	assert_int_equal(nice_of(gettid()), before);
	unsetenv("CORRAL_WINDOW_BOOST");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shifted_and_given_back),
		cmocka_unit_test(clamped),
		cmocka_unit_test(another_thread_by_its_id),
		cmocka_unit_test(boost_switched_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
