#define LOG_PREFIX "timerfd: "
#include "ckpt/timerfd_rearm.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A timerfd that needs help: no next expiry, yet periodic. Its interval goes
 * to RET_INTERVAL. */
static bool needs_rearm(int proc_fd, const char *fd_name, struct timespec *ret_interval)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "fdinfo/%s", fd_name);
	cleanup_close int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *iv = strstr(buf, "it_interval: (");
	long long sec, nsec;
	if (!strstr(buf, "clockid:") || !strstr(buf, "it_value: (0, 0)") || !iv ||
	    sscanf(iv, "it_interval: (%lld, %lld)", &sec, &nsec) != 2 || (sec == 0 && nsec == 0) ||
	    sec < 0 || nsec < 0 || nsec >= 1000000000)
		return false;
	ret_interval->tv_sec = (time_t)sec;
	ret_interval->tv_nsec = (long)nsec;
	return true;
}

static int rearm_one(int pidfd, int target_fd, pid_t pid, const struct timespec *interval,
		     struct cr_error *err)
{
	cleanup_close int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot reach timerfd %d of pid %d", target_fd, (int)pid);
	uint64_t ticks = 0;
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 0) == 1 && read(fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
		return cr_error_errno(err, "cannot read timerfd %d of pid %d", target_fd, (int)pid);
	struct itimerspec its = {*interval, *interval};
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		return cr_error_errno(err, "cannot re-arm timerfd %d of pid %d", target_fd, (int)pid);
	if (ticks && ioctl(fd, TFD_IOC_SET_TICKS, &ticks) < 0)
		return cr_error_errno(err, "cannot give %llu ticks back to timerfd %d of pid %d",
				      (unsigned long long)ticks, target_fd, (int)pid);
	cr_debug("re-armed timerfd %d of pid %d (%llu ticks kept)", target_fd, (int)pid,
		 (unsigned long long)ticks);
	return 1;
}

int cr_timerfd_rearm(const pid_t *pids, size_t n, struct cr_error *err)
{
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d", (int)pids[i]);
		cleanup_close int proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (proc_fd < 0)
			continue; /* gone */
		int fd_dir = openat(proc_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd_dir < 0)
			continue;
		cleanup_dir DIR *d = fdopendir(fd_dir);
		if (!d) {
			close(fd_dir);
			continue;
		}
		cleanup_close int pidfd = -1;
		struct dirent *de;
		while ((de = readdir(d))) {
			struct timespec interval;
			if (de->d_name[0] == '.' || !needs_rearm(proc_fd, de->d_name, &interval))
				continue;
			if (pidfd < 0 && (pidfd = (int)syscall(SYS_pidfd_open, pids[i], 0)) < 0)
				return cr_error_errno(err, "cannot open pid %d", (int)pids[i]);
			char *end;
			long target = strtol(de->d_name, &end, 10);
			if (*end || target < 0 || target > 1 << 30)
				continue;
			int r = rearm_one(pidfd, (int)target, pids[i], &interval, err);
			if (r < 0)
				return r;
			count += r;
		}
	}
	return count;
}
