/* cr_vfork_in_flight: a parent waiting for its vfork child to exec is found
 * (CRIU cannot seize it), a plain fork is not. cr_stopped_in: a task in a
 * group stop is found (CRIU must seize it outside the freezer). What /proc
 * says of a task, and how a task's state and wchan are classified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt/freeze_settle.h"
#include "ckpt/proc_task.h"

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

static void holds_are_classified(void **state)
{
	(void)state;
	assert_int_equal(cr_task_hold_of('T', ""), CR_HOLD_STOPPED);
	assert_int_equal(cr_task_hold_of('T', NULL), CR_HOLD_STOPPED);
	/* Frozen by the v1 freezer, a stopped task reads D. */
	assert_int_equal(cr_task_hold_of('D', "do_signal_stop"), CR_HOLD_STOPPED);
	assert_int_equal(cr_task_hold_of('D', "kernel_clone"), CR_HOLD_VFORK_PARENT);
	assert_int_equal(cr_task_hold_of('D', "wait_for_vfork_done"), CR_HOLD_VFORK_PARENT);
	assert_int_equal(cr_task_hold_of('S', "hrtimer_nanosleep"), CR_HOLD_NONE);
	assert_int_equal(cr_task_hold_of('D', "__refrigerator"), CR_HOLD_NONE);
	assert_int_equal(cr_task_hold_of('R', ""), CR_HOLD_NONE);
	/* Traced (a debugger inside), not a group stop. */
	assert_int_equal(cr_task_hold_of('t', "ptrace_stop"), CR_HOLD_NONE);
}

static pid_t sleeper(const char *name)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_NAME, name);
		char ok = 1;
		ssize_t n = write(p[1], &ok, 1);
		(void)n;
		for (;;)
			pause();
	}
	close(p[1]);
	char ok = 0;
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	return pid;
}

static void stopped_task_is_found(void **state)
{
	(void)state;
	pid_t run = sleeper("runs");
	pid_t stop = sleeper("stops");
	kill(stop, SIGSTOP);
	int status = 0;
	pid_t w = waitpid(stop, &status, WUNTRACED);
	pid_t both[] = {run, stop};
	pid_t found = cr_stopped_in(both, 2);
	pid_t found_running = cr_stopped_in(&run, 1);
	struct cr_proc_task t = {0};
	int read_r = cr_proc_task_read(stop, &t);
	kill(run, SIGKILL);
	kill(stop, SIGKILL);
	waitpid(run, NULL, 0);
	waitpid(stop, NULL, 0);
	assert_int_equal(w, stop);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(found, stop);
	assert_int_equal(found_running, 0);
	assert_int_equal(read_r, 0);
	assert_int_equal(t.state, 'T');
	assert_int_equal(t.ppid, getpid());
	assert_string_equal(t.comm, "stops");
	/* Gone: -1, and not found. */
	assert_int_equal(cr_proc_task_read(stop, &t), -1);
	assert_int_equal(cr_stopped_in(&stop, 1), 0);
}

static void odd_names_are_read(void **state)
{
	(void)state;
	pid_t pid = sleeper("a) b (c");
	struct cr_proc_task t = {0};
	int r = -1;
	for (int i = 0; i < 200; i++) { /* till it sleeps in pause() */
		r = cr_proc_task_read(pid, &t);
		if (r < 0 || t.state == 'S')
			break;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(r, 0);
	assert_string_equal(t.comm, "a) b (c");
	assert_int_equal(t.state, 'S');
	assert_int_equal(t.ppid, getpid());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(holds_are_classified),
		cmocka_unit_test(stopped_task_is_found),
		cmocka_unit_test(odd_names_are_read),
		cmocka_unit_test(vfork_child_is_found),
		cmocka_unit_test(fork_child_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
