/* Whether a recorded process is still the one we started, and the lock a
 * partition's monitor holds for its whole life. */
#define LOG_PREFIX "liveness: "
#include "partition/liveness.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/paths.h"

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

static int monitor_lock_path(const char *name, char **ret_path, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = cr_path(&dir, err, CR_RUN_DIR);
	if (r < 0 || (r = cr_mkdir_p(dir, 0700, err)) < 0)
		return r;
	return cr_path_name(ret_path, CR_RUN_DIR, name, ".monitor", err);
}

int cr_monitor_lock_take(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = monitor_lock_path(name, &path, err);
	if (r < 0)
		return r;
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot open lock %s", path);
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 20) {
		if (errno != EWOULDBLOCK)
			return cr_error_errno(err, "cannot lock %s", path);
		if (waited >= timeout_ms)
			return cr_error_set(err, EBUSY, "a monitor of %s is still at work", name);
		poll(NULL, 0, 20);
	}
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

bool cr_monitor_lock_held(const char *name)
{
	cleanup_close int fd = -1;
	int r = cr_monitor_lock_take(name, 0, &fd, NULL);
	return r == -EBUSY;
}

bool cr_monitor_lock_is(const char *name, int fd)
{
	cleanup_free char *path = NULL;
	struct stat a, b;
	if (monitor_lock_path(name, &path, NULL) < 0 || fstat(fd, &a) < 0 || stat(path, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
