/* Restore a partition's tree with CRIU inside its cgroup. */
#define LOG_PREFIX "restore: "
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/host_facts.h"
#include "ckpt/partition_criu.h"
#include "ckpt/timerfd_rearm.h"
#include "criu/criu.h"
#include "net/net.h"
#include "net/net_ckpt.h"
#include "restore/restore.h"
#include "stream/streamer_proto.h"
#include "util/log.h"

#define RESTORE_LOG "restore.log"
/* A relocation prepared ahead goes on within this (its source dumps meanwhile). */
#define GO_WAIT_MS (10 * 60 * 1000)
#define AHEAD_MARGIN_MS 10000 /* a worker started ahead outlives the go's wait by this, at most */
#define AHEAD_READY_MS 2000   /* criu swrk's start: 10-35 ms here */

struct restore_result {
	int code;
	pid_t pid;
	char msg[1024];
};

/* CRIU made the root's namespaces, the network one empty and locked: the
 * partition's network in it, from its configuration. */
static int setup_network(pid_t root, void *arg, struct cr_error *err)
{
	return cr_net_restore_inside(arg, root, err);
}

/* One byte from GO_FD within MS: 1 with *RET_C, 0 on its end, -ETIMEDOUT. */
static int recv_byte(int go_fd, int ms, char *ret_c)
{
	struct pollfd pfd = {.fd = go_fd, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ETIMEDOUT;
	return n > 0 && read(go_fd, ret_c, 1) == 1 ? 1 : 0;
}

/* A relocation prepared ahead: say it is ready (a byte on GO_FD, a socket),
 * then wait (bounded) for the byte that says its images are there; the end of GO_FD (the relocation went no further) or
 * the bound fails the restore. *RET_CHECKED: the byte says the images are
 * checked while CRIU restores (restart_checked); GO_FD is then left open. */
static int wait_go(int go_fd, bool *ret_checked, struct cr_error *err)
{
	*ret_checked = false;
	if (send(go_fd, "r", 1, MSG_NOSIGNAL) != 1) { /* ready: all but CRIU's restore is made */
		close(go_fd);
		return cr_error_errno(err, "the relocation went no further: nothing is restored");
	}
	char c = 0;
	int r = recv_byte(go_fd, GO_WAIT_MS, &c);
	if (r == 1 && c == 'G') {
		*ret_checked = true;
		return 0;
	}
	close(go_fd);
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "the relocation did not go ahead within %d s", GO_WAIT_MS / 1000);
	if (r != 1)
		return cr_error_set(err, ECANCELED, "the relocation went no further: nothing is restored");
	return 0;
}

/* In CRIU's worker, every task restored and none running: ask whether the
 * images CRIU did not read are sound (a byte on the go socket) and wait for
 * the answer (bounded); anything but yes has CRIU kill the tree. */
static int images_checked(void *arg, struct cr_error *err)
{
	int go_fd = *(int *)arg;
	char c = 0;
	if (send(go_fd, "p", 1, MSG_NOSIGNAL) != 1)
		return cr_error_errno(err, "restartwpar is gone: the restored tree does not run");
	int r = recv_byte(go_fd, GO_WAIT_MS, &c);
	if (r == 1 && c == 'v')
		return 0;
	if (r == -ETIMEDOUT)
		return cr_error_set(err, ETIMEDOUT, "the image was not checked within %d s", GO_WAIT_MS / 1000);
	return cr_error_set(err, EBADMSG, "the image is damaged: the restored tree does not run");
}

/* A restore held for its go: CRIU's worker and swrk started now, so that
 * their exec and start are not in the window (best effort). Not waited
 * for: they start while the caller goes on (the images arrive, are
 * extracted); ahead_ready waits for the rest after the go. */
static struct cr_criu_ahead *start_ahead(const struct cr_criu_restore_opts *o)
{
	struct cr_criu_ahead *a = NULL;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_criu_ahead_wanted() && cr_criu_restore_ahead(o, GO_WAIT_MS + AHEAD_MARGIN_MS, &a, &e) < 0)
		cr_debug("criu starts with the restore: %s", cr_error_msg(&e));
	cr_error_clear(&e);
	return a;
}

/* After the go: swrk waits for its request (bounded: one that starts late
 * still takes it; a worker that ended is replaced by the restore's own). */
static void ahead_ready(struct cr_criu_ahead **ap)
{
	pid_t swrk = 0;
	struct cr_error e = CR_ERROR_INIT;
	if (*ap && cr_criu_ahead_ready(ap, AHEAD_READY_MS, &swrk, &e) < 0)
		cr_debug("%s", cr_error_msg(&e));
	cr_error_clear(&e);
}

/* The intermediate process: it joins the partition's cgroup, so that CRIU and
 * every task it restores are born there, then (once GO_FD says so, when it
 * is not -1) restores and reports. */
static void __attribute__((noreturn)) restore_in_cgroup(const struct cr_wpar_config *cfg, struct cr_cgroup *cg,
							const char *images_dir, int go_fd, bool lazy, int report_fd)
{
	struct restore_result res = {0};
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_restore_opts o = {0};
	cleanup_criu_service struct cr_criu_service svc = {NULL, -1};
	int r = cr_cgroup_attach(cg, getpid(), &err);
	if (r == 0)
		r = cr_host_criu_service(&svc, &err);
	cr_partition_criu_common(cfg, images_dir, RESTORE_LOG, &o.common);
	o.common.service = &svc;
	o.lazy_pages = lazy || cr_restore_is_lazy(images_dir); /* a guess until the go */
	o.lock_network = cr_net_lock;
	o.setup_network = setup_network;
	o.setup_network_arg = (void *)cfg;
	o.post_restore = images_checked; /* when the go says the images are checked */
	o.post_restore_arg = &go_fd;
	struct cr_criu_ahead *ahead = r == 0 && go_fd >= 0 ? start_ahead(&o) : NULL;
	bool checked = false;
	if (r == 0 && go_fd >= 0)
		r = wait_go(go_fd, &checked, &err);
	if (r == 0)
		ahead_ready(&ahead);
	struct cr_criu_restore_late late = {.lazy_pages = cr_restore_is_lazy(images_dir),
					    .stream = cr_restore_is_streamed(images_dir),
					    .post_restore = checked};
	if (r == 0 && ahead) {
		r = cr_criu_restore_go(ahead, &late, &res.pid, &err);
	} else {
		cr_criu_ahead_cancel(ahead);
		o.lazy_pages = late.lazy_pages;
		o.common.stream = late.stream;
		if (!checked)
			o.post_restore = NULL;
		if (r == 0)
			r = cr_criu_restore(&o, &res.pid, &err);
	}
	res.code = r;
	if (r < 0)
		snprintf(res.msg, sizeof(res.msg), "%s", cr_error_msg(&err));
	ssize_t ignored = write(report_fd, &res, sizeof(res));
	(void)ignored;
	_exit(r < 0 ? 1 : 0);
}

/* Fork the restorer and hear its verdict. */
static int run_restorer(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, const char *images_dir, int go_fd,
			bool lazy, pid_t *ret_init, struct cr_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe");
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return cr_error_errno(err, "cannot fork the restorer");
	}
	if (child == 0) {
		close(p[0]);
		restore_in_cgroup(cfg, cg, images_dir, go_fd, lazy, p[1]);
	}
	close(p[1]);
	if (go_fd >= 0) /* the restorer's now */
		close(go_fd);
	struct restore_result res = {.code = -EIO};
	ssize_t n = read(p[0], &res, sizeof(res));
	close(p[0]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return cr_error_set(err, EIO, "the restorer of %s ended without a word", cfg->name);
	if (res.code < 0)
		return cr_error_set(err, -res.code, "%s", res.msg);
	*ret_init = res.pid;
	return 0;
}

int cr_restore_tree(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, const char *images_dir, int go_fd,
		    bool lazy, pid_t *ret_init, struct cr_error *err)
{
	/* The partition's links are made again on this host while CRIU
	 * restores (setup_network); ends of an earlier run go first. */
	(void)cr_net_detach(cfg, NULL);
	pid_t init = 0;
	int r = run_restorer(cfg, cg, images_dir, go_fd, lazy, &init, err);
	if (r < 0) {
		(void)cr_net_detach(cfg, NULL);
		return r;
	}
	cr_debug("%s restored: init pid %d", cfg->name, (int)init);
	*ret_init = init;
	return 0;
}

static bool has(const char *images_dir, const char *name)
{
	char path[4096];
	struct stat st;
	return snprintf(path, sizeof(path), "%s/%s", images_dir, name) < (int)sizeof(path) && stat(path, &st) == 0;
}

bool cr_restore_is_lazy(const char *images_dir)
{
	return has(images_dir, CR_RESTORE_LAZY_MARK);
}

bool cr_restore_is_streamed(const char *images_dir)
{
	return has(images_dir, CR_STREAMER_SERVE_SOCK);
}

int cr_restore_fixups(struct cr_cgroup *cg, struct cr_error *err)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = cr_cgroup_pids(cg, &pids, &n, err);
	if (r < 0)
		return r;
	r = cr_timerfd_rearm(pids, n, err);
	free(pids);
	if (r > 0)
		cr_debug("re-armed %d timers", r);
	return r < 0 ? r : 0;
}
