/* util/run.c: cr_run returns once its program exits, even when a process
 * forked meanwhile by another thread holds the output pipe open (a CRIU
 * worker never execs, so close-on-exec does not close it there). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/run.h"

static pid_t holder;

/* While cr_run's program runs, fork a child that keeps every descriptor
 * (the pipe's write end among them) for 5 s without exec. */
static void *fork_holder(void *arg)
{
	(void)arg;
	struct timespec t = {0, 100 * 1000 * 1000};
	nanosleep(&t, NULL);
	holder = fork();
	if (holder == 0) {
		sleep(5);
		_exit(0);
	}
	return NULL;
}

static void exit_ends_the_wait(void **state)
{
	(void)state;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, fork_holder, NULL), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *argv[] = {"sleep", "0.3", NULL};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_run(argv, 20000, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	assert_true(s < 3.0); /* not the holder's 5 s */
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_ends_the_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
