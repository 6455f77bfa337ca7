/* Post-copy on the destination: `criu lazy-pages` serving a lazily restored
 * tree, watched by a guard. When the daemon ends, the kernel resolves later
 * faults on the ranges it served as fresh zero pages: a silently corrupted
 * partition. The guard takes a duplicate of every userfaultfd the daemon
 * receives (pidfd_getfd), so the ranges stay registered whatever becomes of
 * the daemon: a task touching a missing page then waits instead of reading
 * zeros, and the guard, seeing the daemon end before every page arrived (or
 * told so by SIGTERM), kills every task of the partition's cgroup before it
 * lets the descriptors go. Its copies outlive the daemon's own descriptor of
 * a finished task's userfaultfd: CRIU 4.1.1 counted on close() taking that
 * out of its epoll set, and spun on the freed task's events once every few
 * moves of a forking partition (scripts/criu-patches/0004 removes it). */
#define LOG_PREFIX "criu: "
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define LAZY_LOG "lazy-pages.log"
#define LAZY_SOCKET "lazy-pages.socket"
#define GUARD_POLL_MS 5
#define MAX_UFFDS 4096
#define LISTEN_TIMEOUT_MS 10000

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static volatile sig_atomic_t guard_told;

static void on_term(int sig)
{
	(void)sig;
	guard_told = 1;
}

static void nap_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

/* The guard's copies of the daemon's userfaultfds, by the daemon's fd number. */
struct uffds {
	int theirs[MAX_UFFDS];
	int ours[MAX_UFFDS];
	size_t n;
};

static bool have(const struct uffds *u, int fd)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->theirs[i] == fd)
			return true;
	return false;
}

/* Take a copy of every userfaultfd DAEMON holds that we do not have yet. */
static void collect(int pidfd, pid_t daemon, struct uffds *u)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)daemon);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && u->n < MAX_UFFDS) {
		char *end = NULL;
		long fd = strtol(e->d_name, &end, 10);
		if (end == e->d_name || *end || have(u, (int)fd))
			continue;
		char link[PATH_MAX], target[64];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:[userfaultfd]") != 0)
			continue;
		int ours = (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
		if (ours < 0)
			continue;
		u->theirs[u->n] = (int)fd;
		u->ours[u->n++] = ours;
	}
	closedir(d);
}

/* Every task of partition NAME, killed (bounded): none may read a zero page. */
static void kill_partition(const char *name)
{
	struct cr_cgroup *cg = NULL;
	if (cr_cgroup_open(name, &cg, NULL) < 0)
		return;
	for (int i = 0; i < 200; i++) {
		pid_t *pids = NULL;
		size_t n = 0;
		if (cr_cgroup_pids(cg, &pids, &n, NULL) < 0 || n == 0) {
			free(pids);
			break;
		}
		free(pids);
		(void)cr_cgroup_kill_all(cg, SIGKILL, NULL);
		nap_ms(10);
	}
	cr_cgroup_free(cg);
}

/* Close every descriptor above stderr but KEEP. */
static void close_others(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end = NULL;
		long fd = strtol(e->d_name, &end, 10);
		if (end != e->d_name && !*end && fd > 2 && fd != keep && fd != dfd)
			close((int)fd);
	}
	closedir(d);
}

/* The daemon's log, kept as /var/log/corral/NAME.lazy-pages.log: the
 * images go with the failed relocation. */
static void keep_log(const char *name, const char *images_dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", images_dir, LAZY_LOG) < (int)sizeof(path))
		free(cr_criu_log_keep(path, name));
}

static __attribute__((noreturn)) void guard_main(const char *name, const char *images_dir, int ps_fd,
						 int other_fd, const struct cr_criu_service *svc)
{
	(void)other_fd; /* the daemon must see its end when the relay ends */
	close_others(ps_fd); /* nor may a connection of the caller's outlive it */
	setsid(); /* outlives a corrald killed with its process group */
	signal(SIGTERM, on_term);
	signal(SIGCHLD, SIG_DFL);
	char fd_text[16];
	snprintf(fd_text, sizeof(fd_text), "%d", ps_fd);
	pid_t daemon = fork();
	if (daemon < 0)
		_exit(2);
	if (daemon == 0) {
		int null_fd = open("/dev/null", O_RDWR);
		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		int flags = fcntl(ps_fd, F_GETFD);
		if (flags >= 0)
			fcntl(ps_fd, F_SETFD, flags & ~FD_CLOEXEC);
		cr_criu_service_setenv(svc);
		unsetenv("CRIU_CONFIG_FILE");
		execl(svc->binary, "criu", "lazy-pages", "--page-server", "--ps-socket", fd_text, "-D", images_dir,
		      "-W", images_dir, "-o", LAZY_LOG, "-v4", "--no-default-config", (char *)NULL);
		_exit(127);
	}
	close(ps_fd);
	int pidfd = (int)syscall(SYS_pidfd_open, daemon, 0);
	struct uffds u = {.n = 0};
	int status = 0;
	for (;;) {
		if (pidfd >= 0)
			collect(pidfd, daemon, &u);
		pid_t w = waitpid(daemon, &status, WNOHANG);
		if (w == daemon)
			break;
		if (guard_told) {
			kill_partition(name); /* first: the daemon's end must find no task */
			kill(daemon, SIGKILL);
			while (waitpid(daemon, NULL, 0) < 0 && errno == EINTR)
				;
			keep_log(name, images_dir);
			_exit(1);
		}
		nap_ms(GUARD_POLL_MS);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !guard_told)
		_exit(0); /* every page arrived: the copies may go */
	kill_partition(name);
	keep_log(name, images_dir);
	_exit(1);
}

int cr_criu_lazy_daemon_start(const struct cr_criu_service *given, const char *name, const char *images_dir,
			      int ps_fd, int other_fd, pid_t *ret_guard, struct cr_error *err)
{
	struct cr_criu_service svc = {NULL, -1};
	int r = cr_criu_service_get(given, &svc, err);
	if (r < 0)
		return cr_error_wrap(err, "starting criu lazy-pages for %s", name);
	cleanup_free char *sock = NULL;
	if (asprintf(&sock, "%s/%s", images_dir, LAZY_SOCKET) < 0) {
		sock = NULL;
		cr_criu_service_free(&svc);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	(void)unlink(sock);
	fflush(NULL);
	pid_t guard = fork();
	if (guard < 0) {
		cr_criu_service_free(&svc);
		return cr_error_errno(err, "cannot fork the lazy-pages guard of %s", name);
	}
	if (guard == 0)
		guard_main(name, images_dir, ps_fd, other_fd, &svc);
	cr_criu_service_free(&svc);
	/* The restore connects to the daemon's socket: wait until it listens. */
	struct stat st;
	for (int waited = 0; waited < LISTEN_TIMEOUT_MS; waited += 10) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			*ret_guard = guard;
			return 0;
		}
		if (waitpid(guard, NULL, WNOHANG) == guard)
			return cr_error_set(err, EIO, "criu lazy-pages for %s ended at once (see %s/%s)", name,
					    images_dir, LAZY_LOG);
		nap_ms(10);
	}
	kill(guard, SIGTERM);
	(void)cr_criu_lazy_guard_wait(guard, 5000, NULL);
	return cr_error_set(err, ETIMEDOUT, "criu lazy-pages for %s did not listen within %d ms", name,
			    LISTEN_TIMEOUT_MS);
}

int cr_criu_lazy_guard_wait(pid_t guard, int timeout_ms, struct cr_error *err)
{
	int status = 0;
	for (int waited = 0;; waited += 10) {
		pid_t w = waitpid(guard, &status, WNOHANG);
		if (w == guard)
			break;
		if (w < 0 && errno != EINTR)
			return cr_error_errno(err, "waiting for the lazy-pages guard %d", (int)guard);
		if (waited >= timeout_ms) {
			kill(guard, SIGTERM);
			while (waitpid(guard, &status, 0) < 0 && errno == EINTR)
				;
			return cr_error_set(err, ETIMEDOUT, "criu lazy-pages did not finish within %d ms: the copy "
					    "here was ended", timeout_ms);
		}
		nap_ms(10);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return cr_error_set(err, EIO, "criu lazy-pages ended before every page arrived: the copy here was ended "
			    "before it could read a missing page");
}
