/* cr_vfork_in_flight: a parent waiting for its vfork child to exec is found
 * (CRIU cannot seize it), a plain fork is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt/freeze_settle.h"

/* A child that makes a grandchild with vfork (USE_VFORK) or fork, the
 * grandchild reporting its pid on a pipe and then waiting to be killed. */
static pid_t family(int use_vfork, pid_t *ret_grandchild)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		pid_t g = use_vfork ? vfork() : fork();
		if (g == 0) {
			pid_t self = getpid();
			ssize_t n = write(p[1], &self, sizeof(self));
			(void)n;
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	close(p[1]);
	pid_t g = 0;
	assert_int_equal(read(p[0], &g, sizeof(g)), (ssize_t)sizeof(g));
	close(p[0]);
	*ret_grandchild = g;
	return child;
}

static void end_family(pid_t child, pid_t grandchild)
{
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

static void vfork_child_is_found(void **state)
{
	(void)state;
	pid_t g = 0;
	pid_t c = family(1, &g);
	pid_t pids[] = {c, g};
	pid_t found = cr_vfork_in_flight(pids, 2);
	/* The child (it shares its parent's memory) or the parent (it sleeps
	 * where a vfork waits), whichever is seen first. */
	end_family(c, g);
	assert_true(found == g || found == c);
	/* The child alone: the memory test needs its parent listed too. */
	pid_t g2 = 0;
	pid_t c2 = family(1, &g2);
	pid_t child_alone = cr_vfork_in_flight(&g2, 1);
	/* The parent alone: found by where it sleeps (once it is asleep: the
	 * grandchild may report before its parent reaches the wait). */
	pid_t parent_alone = 0;
	for (int i = 0; i < 200 && parent_alone == 0; i++) {
		parent_alone = cr_vfork_in_flight(&c2, 1);
		if (parent_alone == 0)
			usleep(5000);
	}
	end_family(c2, g2); /* before any assertion: a failed one would leave them */
	assert_int_equal(child_alone, 0);
	assert_int_equal(parent_alone, c2);
}

static void fork_child_is_not(void **state)
{
	(void)state;
	pid_t g = 0;
	pid_t c = family(0, &g);
	pid_t pids[] = {g, c, getpid()};
	pid_t found = cr_vfork_in_flight(pids, 3);
	end_family(c, g);
	assert_int_equal(found, 0);
	/* Gone pids are skipped. */
	assert_int_equal(cr_vfork_in_flight(pids, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vfork_child_is_found),
		cmocka_unit_test(fork_child_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
