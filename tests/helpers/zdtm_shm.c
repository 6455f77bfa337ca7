/* zdtm: System V and POSIX shared memory keep their contents, and a segment
 * shared by two processes stays shared after restore. */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "zdtm_lib.h"

#define SIZE (1 << 20)

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
	if (id < 0)
		zdtm_fail("shmget: %s", strerror(errno));
	unsigned char *sysv = shmat(id, NULL, 0);
	if (sysv == (void *)-1)
		zdtm_fail("shmat: %s", strerror(errno));
	zdtm_fill(sysv, SIZE, 0, 11);
	int fd = shm_open("/zdtm_shm", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, SIZE) < 0)
		zdtm_fail("shm_open: %s", strerror(errno));
	unsigned char *posix = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (posix == MAP_FAILED)
		zdtm_fail("mmap: %s", strerror(errno));
	zdtm_fill(posix, SIZE, 0, 12);
	/* A child writes into both segments after restore: the parent must see it. */
	pid_t child = fork();
	if (child == 0) {
		while (!zdtm_go)
			usleep(5000);
		sysv[0] = 0xA5;
		posix[0] = 0x5A;
		_exit(0);
	}
	zdtm_ready();
	zdtm_wait();
	kill(child, SIGUSR1);
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		zdtm_fail("the child did not finish");
	if (sysv[0] != 0xA5 || posix[0] != 0x5A)
		zdtm_fail("the segments are no longer shared with the child");
	long bad = zdtm_check(sysv + 1, SIZE - 1, 1, 11);
	if (bad >= 0)
		zdtm_fail("System V segment differs at byte %ld", bad + 1);
	if ((bad = zdtm_check(posix + 1, SIZE - 1, 1, 12)) >= 0)
		zdtm_fail("POSIX segment differs at byte %ld", bad + 1);
	shm_unlink("/zdtm_shm");
	shmctl(id, IPC_RMID, NULL);
	zdtm_pass();
}
