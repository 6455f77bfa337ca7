/* The partition's own network lock (net_ckpt.h): an nftables table in its
 * network namespace, made and removed by the nft program, and the keeper
 * that lifts it when the partition thaws after a dump. */
#define LOG_PREFIX "net: "
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net_ckpt.h"
#include "net/nl_internal.h"
#include "util/child_wait.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define NFT_TIMEOUT_MS 10000
#define WATCH_STEP_MS 5 /* how soon after a thaw the partition talks again */
#define WATCH_FAST_STEPS 4000 /* 20 s; then a Paused partition is watched slowly */
#define WATCH_SLOW_MS 100
#define LOCK_TABLE "inet corral-lock"

/* Replace any table of ours by a fresh one, so the rules are never doubled. */
static const char lock_cmd[] =
	"add table " LOCK_TABLE "; delete table " LOCK_TABLE "; add table " LOCK_TABLE "; "
	"add chain " LOCK_TABLE " input { type filter hook input priority -200; policy drop; }; "
	"add chain " LOCK_TABLE " output { type filter hook output priority -200; policy drop; }; "
	"add rule " LOCK_TABLE " input iif lo accept; "
	"add rule " LOCK_TABLE " output oif lo accept";
static const char unlock_cmd[] = "add table " LOCK_TABLE "; delete table " LOCK_TABLE;
/* The seal: a table of its own, which no keeper lifts; it goes with the
 * namespace when the partition's last process does. */
#define SEAL_TABLE "inet corral-seal"
static const char seal_cmd[] =
	"add table " SEAL_TABLE "; delete table " SEAL_TABLE "; add table " SEAL_TABLE "; "
	"add chain " SEAL_TABLE " input { type filter hook input priority -201; policy drop; }; "
	"add chain " SEAL_TABLE " output { type filter hook output priority -201; policy drop; }; "
	"add rule " SEAL_TABLE " input iif lo accept; "
	"add rule " SEAL_TABLE " output oif lo accept";

struct nft_run {
	const char *cmd;
	const char *what;
	pid_t pid;
};

/* In the partition's network namespace already (cr_net_in_netns): a child
 * inherits it and runs nft. */
static int run_nft(void *data, struct cr_error *err)
{
	const struct nft_run *run = data;
	pid_t child = fork();
	if (child < 0)
		return cr_error_errno(err, "cannot fork to %s of pid %d", run->what, (int)run->pid);
	if (child == 0) {
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; null_fd >= 0 && i < 3; i++)
			dup2(null_fd, i);
		execlp("nft", "nft", run->cmd, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	int r = cr_child_wait(child, 0, NFT_TIMEOUT_MS, "nft", &status, err);
	if (r < 0) {
		cr_child_kill(child, 0);
		return cr_error_wrap(err, "cannot %s of pid %d", run->what, (int)run->pid);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cr_error_set(err, ENOEXEC, "cannot %s of pid %d: no nft program", run->what,
				    (int)run->pid);
	return cr_error_set(err, EIO, "cannot %s of pid %d: nft failed (status %d)", run->what,
			    (int)run->pid, status);
}

/* Run nft CMD in PID's network namespace: 0, 1 when the namespace is gone,
 * or an error naming WHAT. */
static int nft_in(pid_t pid, const char *cmd, const char *what, struct cr_error *err)
{
	struct nft_run run = {cmd, what, pid};
	struct cr_error ns_err = CR_ERROR_INIT;
	int r = cr_net_in_netns(pid, run_nft, &run, &ns_err);
	if (r == -ENOENT || r == -ESRCH) {
		cr_error_clear(&ns_err);
		return 1;
	}
	if (r < 0)
		cr_error_set(err, ns_err.code, "%s", cr_error_msg(&ns_err));
	cr_error_clear(&ns_err);
	return r;
}

int cr_net_lock(pid_t pid, struct cr_error *err)
{
	int r = nft_in(pid, lock_cmd, "lock the network", err);
	if (r == 1)
		return cr_error_set(err, ESRCH, "cannot lock the network of pid %d: it is gone",
				    (int)pid);
	if (r == 0)
		cr_debug("network of pid %d locked", (int)pid);
	return r;
}

int cr_net_seal(pid_t pid, struct cr_error *err)
{
	int r = nft_in(pid, seal_cmd, "seal the network", err);
	return r < 0 ? r : 0; /* a namespace already gone is sealed enough */
}

int cr_net_unlock(pid_t pid, struct cr_error *err)
{
	int r = nft_in(pid, unlock_cmd, "unlock the network", err);
	if (r == 0)
		cr_debug("network of pid %d unlocked", (int)pid);
	return r < 0 ? r : 0;
}

/* 1 thawed, 0 frozen (or freezing), -1 unreadable (the cgroup is gone). */
static int cgroup_thawed(const char *dir)
{
	char path[4096], buf[32] = "";
	bool v1 = true;
	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		v1 = false;
		snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0; /* nothing to go by yet: keep watching */
	return v1 ? strncmp(buf, "THAWED", 6) == 0 : buf[0] == '0';
}

/* Close every descriptor from 3 up but A and B. */
static void close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo > 3)
		syscall(SYS_close_range, 3U, (unsigned)lo - 1, 0U);
	if (hi > lo + 1)
		syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0U);
	syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0U);
}

/* The keeper: wait for the dumper to finish, then for the thaw (lift the
 * lock) or the partition's end (nothing to do). */
static __attribute__((noreturn)) void keeper(pid_t pid, int pidfd, int done_fd,
					     const char *freezer_dir)
{
	struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = done_fd, .events = POLLIN}};
	for (;;) {
		int n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents)
			_exit(0);
		char buf[64];
		if (p[1].revents && read(done_fd, buf, sizeof(buf)) <= 0)
			break;
	}
	close(done_fd);
	for (unsigned step = 0;; step++) {
		struct pollfd pp = {.fd = pidfd, .events = POLLIN};
		if (poll(&pp, 1, step < WATCH_FAST_STEPS ? WATCH_STEP_MS : WATCH_SLOW_MS) > 0)
			_exit(0);
		int t = cgroup_thawed(freezer_dir);
		if (t < 0)
			_exit(0);
		if (t > 0)
			_exit(cr_net_unlock(pid, NULL) < 0 ? 1 : 0);
	}
}

int cr_net_lock_until_thaw(pid_t pid, const char *freezer_dir, int done_fd,
			   struct cr_error *err)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return cr_error_errno(err, "cannot watch pid %d", (int)pid);
	int r = cr_net_lock(pid, err);
	if (r < 0)
		return r;
	pid_t child = fork();
	if (child < 0) {
		r = cr_error_errno(err, "cannot start the keeper of the network lock of pid %d",
				   (int)pid);
		(void)cr_net_unlock(pid, NULL);
		return r;
	}
	if (child == 0) {
		/* Detached from the dumper's process group and descriptors, so
		 * that neither a timeout's kill nor a wait for EOF reaches it. */
		setsid();
		signal(SIGPIPE, SIG_IGN);
		if (fork() != 0)
			_exit(0);
		int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null_fd >= 0)
			for (int i = 0; i < 3; i++)
				dup2(null_fd, i);
		close_all_but(pidfd, done_fd);
		keeper(pid, pidfd, done_fd, freezer_dir);
	}
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}
