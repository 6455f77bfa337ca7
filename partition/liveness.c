#include "partition/liveness.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

void cr_monitor_comm(const char *name, char *buf, size_t size)
{
	/* The kernel keeps 15 bytes of a process name. */
	snprintf(buf, size < 16 ? size : 16, "cor_%s", name);
}

static int read_proc_file(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

bool cr_pid_alive(pid_t pid)
{
	char stat[512];
	if (pid <= 0 || read_proc_file(pid, "stat", stat, sizeof(stat)) < 0)
		return false;
	const char *close_paren = strrchr(stat, ')');
	return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

bool cr_monitor_alive(const char *name, pid_t pid)
{
	char comm[64], want[16];
	if (!cr_pid_alive(pid) || read_proc_file(pid, "comm", comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	cr_monitor_comm(name, want, sizeof(want));
	return strcmp(comm, want) == 0;
}
