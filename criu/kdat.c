/* CRIU's kernel-probe cache where /run is not a tmpfs.
 *
 * Every criu run probes the kernel first (kerndat: about 0.1 s here, most of
 * it a veth pair made in a scratch network namespace to test link nsids), and
 * a relocation runs three of them inside its frozen window (dump, lazy-pages,
 * restore). CRIU keeps the answers in /run/criu.kdat and loads them from any
 * file system, but it writes the file only when /run is a tmpfs, so that it
 * is gone after a reboot (a new kernel). On a host whose /run is on disk, as
 * this project's VMs, it never caches. Here Corral makes the file CRIU would
 * make: `criu check` in a private mount namespace with a tmpfs on /run, and
 * the file it wrote there copied to the real /run. A copy older than this
 * boot is removed first, so the reboot rule holds. Best effort: any failure
 * only leaves criu probing as before. */
#define LOG_PREFIX "criu: "
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define RUN_DIR "/run"
#define KDAT_NAME "criu.kdat"
#define KDAT_TMP_NAME ".criu.kdat.corral"
#define KDAT_MAX 65536
#define MAKE_TIMEOUT_MS 10000
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static bool on_tmpfs(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) == 0 && s.f_type == TMPFS_MAGIC;
}

/* This boot's start on the wall clock, in seconds. */
static int64_t boot_time(void)
{
	struct timespec real, boot;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (int64_t)real.tv_sec - (int64_t)boot.tv_sec;
}

/* 1 when the cache file is there and from this boot, 0 when not (a copy
 * from an earlier boot is removed). */
static int kdat_current(void)
{
	struct stat st;
	if (stat(RUN_DIR "/" KDAT_NAME, &st) < 0)
		return 0;
	/* A minute of slack: the two clocks are read apart, and NTP moves one. */
	if ((int64_t)st.st_mtime >= boot_time() - 60)
		return 1;
	(void)unlink(RUN_DIR "/" KDAT_NAME);
	return 0;
}

/* In the child, a process group of its own; only system calls from here
 * (the caller may have threads). */
static __attribute__((noreturn)) void make_in_child(const char *binary, char *const envp[], int run_fd)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("corral-kdat", RUN_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0755") < 0)
		_exit(1);
	pid_t pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execle(binary, "criu", "check", (char *)NULL, envp);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* criu check may fail a check of its own: the probes are saved before. */
	static char buf[KDAT_MAX];
	int in = open(RUN_DIR "/" KDAT_NAME, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		_exit(1);
	ssize_t n = read(in, buf, sizeof(buf));
	if (n <= 0 || n == (ssize_t)sizeof(buf))
		_exit(1);
	(void)unlinkat(run_fd, KDAT_TMP_NAME, 0);
	int out = openat(run_fd, KDAT_TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		_exit(1);
	if (write(out, buf, (size_t)n) != n || fsync(out) < 0 || renameat(run_fd, KDAT_TMP_NAME, run_fd, KDAT_NAME) < 0) {
		(void)unlinkat(run_fd, KDAT_TMP_NAME, 0);
		_exit(1);
	}
	_exit(0);
}

/* Run the child to its end, killing its group after MAKE_TIMEOUT_MS. */
static int make_kdat(const char *binary, const struct cr_criu_service *svc)
{
	char fault[32];
	snprintf(fault, sizeof(fault), "CRIU_FAULT=%d", svc->fault);
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			svc->fault > 0 ? fault : NULL, NULL};
	cleanup_close int run_fd = open(RUN_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (run_fd < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		make_in_child(binary, envp, run_fd);
	}
	(void)setpgid(pid, pid);
	int status = 0;
	for (int waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (waited >= MAKE_TIMEOUT_MS) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

void cr_criu_kdat_ensure(const struct cr_criu_service *svc)
{
	static bool tried; /* one try per process: a criu that will not cache costs one run */
	if (!svc->binary || on_tmpfs(RUN_DIR) || kdat_current() || __atomic_exchange_n(&tried, true, __ATOMIC_ACQ_REL))
		return;
	int64_t t = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	int r = make_kdat(svc->binary, svc);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	cr_debug("kernel-probe cache %s for %s in %.0f ms (%d)", r == 0 ? "made" : "not made", svc->binary,
		 ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec - (double)t) / 1e6, r);
}
