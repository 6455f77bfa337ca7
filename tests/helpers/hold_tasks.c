/* Workloads that hold a task where a freeze cannot simply hand it to CRIU
 * (tests/integration/test_checkpoint_hangs.sh).
 *
 *   hold_tasks stopped DIR   a child counts in DIR/count (every 20 ms) and is
 *                            stopped by its parent with SIGSTOP; its pid goes
 *                            to DIR/stopped.pid; the parent then waits forever.
 *   hold_tasks vfork DIR SECONDS
 *                            vfork; the child writes its pid to DIR/vfork.pid
 *                            and sleeps SECONDS before it execs /bin/true; the
 *                            parent then waits forever. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_number(const char *dir, const char *name, long v)
{
	char path[4096], tmp[4096], text[32];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	int n = snprintf(text, sizeof(text), "%ld\n", v);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return;
	}
	close(fd);
	rename(tmp, path);
}

static void __attribute__((noreturn)) wait_forever(void)
{
	for (;;)
		pause();
}

static int stopped(const char *dir)
{
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		struct timespec t = {0, 20 * 1000 * 1000};
		for (long count = 1;; count++) {
			write_number(dir, "count", count);
			nanosleep(&t, NULL);
		}
	}
	struct timespec t = {0, 200 * 1000 * 1000};
	nanosleep(&t, NULL); /* a few counts first */
	kill(child, SIGSTOP);
	int status;
	if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status))
		return 1;
	write_number(dir, "stopped.pid", child);
	wait_forever();
}

static int in_vfork(const char *dir, long seconds)
{
	char path[4096], text[32];
	snprintf(path, sizeof(path), "%s/vfork.pid", dir);
	pid_t child = vfork();
	if (child < 0)
		return 1;
	if (child == 0) {
		/* Only system calls here: the memory is the parent's. */
		int n = snprintf(text, sizeof(text), "%ld\n", (long)syscall(SYS_getpid));
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			ssize_t ignored = write(fd, text, (size_t)n);
			(void)ignored;
			close(fd);
		}
		struct timespec t = {seconds, 0};
		while (nanosleep(&t, &t) < 0)
			;
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	write_number(dir, "vfork.done", child);
	wait_forever();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "stopped") == 0)
		return stopped(argv[2]);
	if (argc == 4 && strcmp(argv[1], "vfork") == 0)
		return in_vfork(argv[2], strtol(argv[3], NULL, 10));
	fprintf(stderr, "usage: hold_tasks stopped DIR | vfork DIR SECONDS\n");
	return 2;
}
