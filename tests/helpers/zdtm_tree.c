/* zdtm: a multi-process tree with a zombie: three generations keep their
 * pids and parents, and an exited child that was never reaped is still a
 * zombie with its exit status after restore. */
#include <sys/wait.h>

#include "zdtm_lib.h"

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0)
			for (;;)
				pause();
		for (;;)
			pause();
	}
	return pid;
}

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	pid_t a = spawn_sleeper(), b = spawn_sleeper();
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(42);
	/* Let it die without reaping it. */
	siginfo_t si;
	if (waitid(P_PID, (id_t)zombie, &si, WEXITED | WNOWAIT) < 0)
		zdtm_fail("waitid: %s", strerror(errno));
	zdtm_ready();
	zdtm_wait();
	if (kill(a, 0) < 0 || kill(b, 0) < 0)
		zdtm_fail("children %d and %d are not both alive", (int)a, (int)b);
	int status;
	if (waitpid(zombie, &status, WNOHANG) != zombie)
		zdtm_fail("the zombie %d is gone", (int)zombie);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		zdtm_fail("the zombie's status is %d, not exit 42", status);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	zdtm_pass();
}
