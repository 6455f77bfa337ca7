/* A daemonizing program, as services start: the parent forks a worker and
 * exits at once (with PARENT_EXIT, default 0); the worker starts a session of its own, puts its
 * standard streams on /dev/null and appends its counter, kept in memory,
 * to FILE ("1", "2", ... one line a tick) for TICKS ticks of MS
 * milliseconds, then exits 0. A worker that was checkpointed and restarted
 * goes on from its memory, so FILE holds 1..TICKS with nothing lost or
 * repeated; a worker ended with its parent stops short.
 *
 *   daemon_counter FILE TICKS MS [PARENT_EXIT] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long number(const char *s, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max) {
		fprintf(stderr, "daemon_counter: %s: not a number from 1 to %ld\n", s, max);
		exit(2);
	}
	return v;
}

static void append(const char *file, long value)
{
	/* Opened for each line: nothing of FILE is held across a checkpoint. */
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		_exit(1);
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", value);
	if (write(fd, line, (size_t)n) != n)
		_exit(1);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: daemon_counter FILE TICKS MS [PARENT_EXIT]\n");
		return 2;
	}
	const char *file = argv[1];
	long ticks = number(argv[2], 1000000), ms = number(argv[3], 60000);
	int parent_exit = argc == 5 ? (int)number(argv[4], 255) : 0;
	pid_t pid = fork();
	if (pid < 0) {
		perror("daemon_counter: fork");
		return 1;
	}
	if (pid > 0)
		return parent_exit; /* the parent's work is done: the worker goes on alone */
	if (setsid() < 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(1);
	close(null);
	volatile long counter = 0;
	while (counter < ticks) {
		counter++;
		append(file, counter);
		struct timespec nap = {ms / 1000, (ms % 1000) * 1000000L};
		while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
			;
	}
	_exit(0);
}
