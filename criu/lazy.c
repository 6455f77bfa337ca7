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
 * moves of a forking partition (scripts/criu-patches/0004 removes it).
 *
 * Prepared (before the source freezes, on the images directory the image
 * fills later: a CRIU with scripts/criu-patches/0008 reads the images only
 * when the restore connects), the guard makes the page socket itself and
 * offers the relay's end to whichever process serves the page transfer
 * (criu/lazy_claim.c): until then no task of the partition depends on it,
 * and its end (told, its parent gone, nobody claiming it in time) takes
 * only the daemon. */
#define LOG_PREFIX "criu: "
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

/* Close every descriptor above stderr but the N in KEEP. */
static void close_others(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end = NULL;
		long fd = strtol(e->d_name, &end, 10);
		bool kept = fd == dfd;
		for (size_t i = 0; i < n; i++)
			kept = kept || fd == keep[i];
		if (end != e->d_name && !*end && fd > 2 && !kept)
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

/* One guard: the daemon's end of the page socket, and when prepared the
 * offer of the other end (criu/lazy_claim.c). */
struct guard {
	const char *name, *images_dir;
	int ps_fd;      /* the daemon's end */
	int relay_fd;   /* prepared: the relay's end, until claimed */
	int offer_fd;   /* prepared: listening for the claim, until claimed */
	int verdict_fd; /* claimed: where the guard's verdict goes */
	int claim_ms;   /* prepared: how long it waits to be claimed */
};

static __attribute__((noreturn)) void guard_exit(struct guard *g, int code)
{
	if (g->offer_fd >= 0)
		cr_lazy_offer_withdraw(g->images_dir);
	cr_lazy_verdict_send(g->verdict_fd, code);
	_exit(code);
}

static void exec_daemon(const struct guard *g, const struct cr_criu_service *svc)
{
	char fd_text[16];
	snprintf(fd_text, sizeof(fd_text), "%d", g->ps_fd);
	int null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
	}
	int flags = fcntl(g->ps_fd, F_GETFD);
	if (flags >= 0)
		fcntl(g->ps_fd, F_SETFD, flags & ~FD_CLOEXEC);
	cr_criu_service_setenv(svc);
	unsetenv("CRIU_CONFIG_FILE");
	execl(svc->binary, "criu", "lazy-pages", "--page-server", "--ps-socket", fd_text, "-D", g->images_dir, "-W",
	      g->images_dir, "-o", LAZY_LOG, "-v4", "--no-default-config", (char *)NULL);
	_exit(127);
}

/* Prepared and not claimed yet: a claim waiting on the offer is taken
 * (waiting at most GUARD_POLL_MS); 1 when it was. */
static int take_claim(struct guard *g)
{
	int conn = cr_lazy_offer_take(g->offer_fd, g->relay_fd, GUARD_POLL_MS);
	if (conn < 0)
		return 0;
	close(g->relay_fd);
	close(g->offer_fd);
	cr_lazy_offer_withdraw(g->images_dir);
	g->relay_fd = g->offer_fd = -1;
	g->verdict_fd = conn;
	prctl(PR_SET_PDEATHSIG, 0); /* the daemon is the claimer's now */
	return 1;
}

static __attribute__((noreturn)) void guard_main(struct guard *g, const struct cr_criu_service *svc)
{
	pid_t parent = getppid();
	int keep[] = {g->ps_fd, g->relay_fd, g->offer_fd};
	close_others(keep, 3); /* no connection of the caller may outlive it */
	setsid(); /* outlives a corrald killed with its process group */
	signal(SIGTERM, on_term);
	signal(SIGCHLD, SIG_DFL);
	if (g->offer_fd >= 0) { /* unclaimed, it ends with the process that prepared it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			guard_told = 1;
	}
	pid_t daemon = fork();
	if (daemon < 0)
		guard_exit(g, 2);
	if (daemon == 0)
		exec_daemon(g, svc);
	close(g->ps_fd);
	int pidfd = (int)syscall(SYS_pidfd_open, daemon, 0);
	struct uffds u = {.n = 0};
	int status = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (pidfd >= 0)
			collect(pidfd, daemon, &u);
		pid_t w = waitpid(daemon, &status, WNOHANG);
		if (w == daemon)
			break;
		bool unclaimed = g->offer_fd >= 0 && u.n == 0;
		if (unclaimed && !guard_told) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > g->claim_ms)
				guard_told = 1;
		}
		if (guard_told) {
			if (!unclaimed)
				kill_partition(g->name); /* first: the daemon's end must find no task */
			kill(daemon, SIGKILL);
			while (waitpid(daemon, NULL, 0) < 0 && errno == EINTR)
				;
			if (!unclaimed)
				keep_log(g->name, g->images_dir);
			guard_exit(g, 1);
		}
		if (g->offer_fd < 0 || !take_claim(g))
			nap_ms(GUARD_POLL_MS);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !guard_told)
		guard_exit(g, 0); /* every page arrived: the copies may go */
	if (g->offer_fd < 0 || u.n > 0) {
		kill_partition(g->name);
		keep_log(g->name, g->images_dir);
	}
	guard_exit(g, 1);
}

/* Fork the guard of G (its daemon started from there). */
static int guard_fork(struct guard *g, const struct cr_criu_service *given, pid_t *ret_guard, struct cr_error *err)
{
	struct cr_criu_service svc = {NULL, -1};
	int r = cr_criu_service_get(given, &svc, err);
	if (r < 0)
		return cr_error_wrap(err, "starting criu lazy-pages for %s", g->name);
	cleanup_free char *sock = NULL;
	if (asprintf(&sock, "%s/%s", g->images_dir, LAZY_SOCKET) < 0) {
		sock = NULL;
		cr_criu_service_free(&svc);
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	(void)unlink(sock);
	fflush(NULL);
	pid_t guard = fork();
	if (guard < 0) {
		cr_criu_service_free(&svc);
		return cr_error_errno(err, "cannot fork the lazy-pages guard of %s", g->name);
	}
	if (guard == 0)
		guard_main(g, &svc);
	cr_criu_service_free(&svc);
	*ret_guard = guard;
	return 0;
}

int cr_criu_lazy_daemon_listening(const char *name, const char *images_dir, pid_t guard, int timeout_ms,
				  struct cr_error *err)
{
	cleanup_free char *sock = NULL;
	if (asprintf(&sock, "%s/%s", images_dir, LAZY_SOCKET) < 0) {
		sock = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	/* The restore connects to the daemon's socket: wait until it listens. */
	struct stat st;
	for (int waited = 0; waited < timeout_ms; waited += 2) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (waitpid(guard, NULL, WNOHANG) == guard)
			return cr_error_set(err, EIO, "criu lazy-pages for %s ended at once (see %s/%s)", name,
					    images_dir, LAZY_LOG);
		nap_ms(2);
	}
	kill(guard, SIGTERM);
	(void)cr_criu_lazy_guard_wait(guard, 5000, NULL);
	return cr_error_set(err, ETIMEDOUT, "criu lazy-pages for %s did not listen within %d ms", name, timeout_ms);
}

int cr_criu_lazy_daemon_start(const struct cr_criu_service *given, const char *name, const char *images_dir,
			      int ps_fd, int other_fd, pid_t *ret_guard, struct cr_error *err)
{
	(void)other_fd; /* closed in the guard: the daemon must see its end when the relay ends */
	struct guard g = {.name = name, .images_dir = images_dir, .ps_fd = ps_fd, .relay_fd = -1, .offer_fd = -1,
			  .verdict_fd = -1};
	pid_t guard = 0;
	int r = guard_fork(&g, given, &guard, err);
	if (r == 0 && (r = cr_criu_lazy_daemon_listening(name, images_dir, guard, LISTEN_TIMEOUT_MS, err)) == 0)
		*ret_guard = guard;
	return r;
}

int cr_criu_lazy_daemon_prepare(const struct cr_criu_service *given, const char *name, const char *images_dir,
				int claim_ms, pid_t *ret_guard, struct cr_error *err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return cr_error_errno(err, "cannot make the page socket of %s", name);
	struct guard g = {.name = name, .images_dir = images_dir, .ps_fd = sp[1], .relay_fd = sp[0], .offer_fd = -1,
			  .verdict_fd = -1, .claim_ms = claim_ms};
	/* Offered before the daemon starts: listening means claimable. */
	int r = cr_lazy_offer_open(images_dir, &g.offer_fd, err);
	if (r == 0)
		r = guard_fork(&g, given, ret_guard, err);
	if (g.offer_fd >= 0 && r < 0)
		cr_lazy_offer_withdraw(images_dir);
	if (g.offer_fd >= 0)
		close(g.offer_fd);
	close(sp[0]);
	close(sp[1]);
	return r;
}

/* Wait for GUARD, our child: its exit code in *RET_CODE; -ETIMEDOUT after
 * TIMEOUT_MS (it was then told to end, and waited for). */
static int child_wait(pid_t guard, int timeout_ms, int *ret_code)
{
	int status = 0;
	for (int waited = 0;; waited += 10) {
		pid_t w = waitpid(guard, &status, WNOHANG);
		if (w == guard)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (waited >= timeout_ms) {
			kill(guard, SIGTERM);
			while (waitpid(guard, &status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		nap_ms(10);
	}
	*ret_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	return 0;
}

void cr_criu_lazy_guard_stop(pid_t guard, int timeout_ms)
{
	if (guard <= 0)
		return;
	int code = 1;
	if (cr_lazy_claimed(guard)) {
		(void)cr_lazy_claimed_wait(0, &code); /* signals it only while it lives */
		return;
	}
	kill(guard, SIGTERM); /* a child not reaped yet: the pid is still its own */
	(void)child_wait(guard, timeout_ms, &code);
}

int cr_criu_lazy_guard_wait(pid_t guard, int timeout_ms, struct cr_error *err)
{
	int code = 1;
	/* A guard claimed from the process that prepared it is not ours: it
	 * sends its verdict. */
	int r = cr_lazy_claimed(guard) ? cr_lazy_claimed_wait(timeout_ms, &code) : child_wait(guard, timeout_ms, &code);
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "criu lazy-pages did not finish within %d ms: the copy here was ended",
				    timeout_ms);
	if (r < 0)
		return cr_error_set(err, -r, "waiting for the lazy-pages guard %d: %s", (int)guard, strerror(-r));
	if (code == 0)
		return 0;
	return cr_error_set(err, EIO, "criu lazy-pages ended before every page arrived: the copy here was ended "
			    "before it could read a missing page");
}
