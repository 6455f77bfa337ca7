/* Dumping a process tree with libcriu, inside the timed worker. */
#define LOG_PREFIX "criu: "
#include <criu.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define DUMP_LOG "dump.log"

/* In the worker: what the network-unlock notification needs. */
static const struct cr_criu_dump_opts *hold_opts;
static int hold_done_fd = -1; /* read end; the worker holds the write end till it exits */

/* In the worker, post-copy: the configuration that makes swrk dump lazily
 * (libcriu has no setter for it), removed once the images are complete. */
static char *lazy_conf;

/* The images are complete: tell the caller (post-copy). */
static void images_ready(void)
{
	cr_criu_window_done(); /* what follows is the background push */
	if (!hold_opts || hold_opts->images_ready_fd <= 0)
		return;
	if (lazy_conf)
		(void)unlink(lazy_conf);
	ssize_t ignored = write(hold_opts->images_ready_fd, "i", 1);
	(void)ignored;
	close(hold_opts->images_ready_fd);
}

/* criu is about to lift its network lock: the caller's first. */
static int on_notify(char *action, criu_notify_arg_t na)
{
	(void)na;
	if (!strcmp(action, "post-dump")) {
		int r = hold_opts && hold_opts->hook ? hold_opts->hook(action, hold_opts->hook_arg) : 0;
		if (r == 0)
			images_ready();
		return r;
	}
	if (hold_opts && hold_opts->hook && !strcmp(action, "pre-dump"))
		return hold_opts->hook(action, hold_opts->hook_arg);
	if (strcmp(action, "network-unlock") != 0 || !hold_opts || hold_done_fd < 0)
		return 0;
	struct cr_error err = CR_ERROR_INIT;
	if (hold_opts->lock_network_until_thaw(hold_opts->pid, hold_opts->freeze_cgroup, hold_done_fd,
					       &err) < 0)
		cr_debug("the network of pid %d stays unlocked: %s", (int)hold_opts->pid,
			 cr_error_msg(&err));
	cr_error_clear(&err);
	close(hold_done_fd);
	hold_done_fd = -1;
	return 0;
}

/* With hold_network_lock: a pipe whose end tells the keeper criu is done,
 * and the notification that starts it. */
static int prepare_hold(criu_opts *c, const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	if (o->hook) {
		hold_opts = o;
		criu_local_set_notify_cb(c, on_notify);
	}
	if (!o->common.hold_network_lock || !o->freeze_cgroup ||
	    o->common.network_lock != CR_CRIU_NETLOCK_NFTABLES)
		return 0;
	if (!o->lock_network_until_thaw)
		return cr_error_set(err, EINVAL, "no network lock was given to hold");
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe");
	hold_opts = o;
	hold_done_fd = p[0];
	/* p[1] stays open in the worker alone, until it exits. */
	criu_local_set_notify_cb(c, on_notify);
	return 0;
}

/* Post-copy: swrk reads CRIU_CONFIG_FILE when it starts (libcriu 4.1 has no
 * lazy-pages setter, and RPC's own page-server options are ignored with lazy
 * pages); O->lazy_ps_fd is inherited by swrk under the same number. */
static int prepare_lazy(criu_opts *c, const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	hold_opts = o;
	criu_local_set_notify_cb(c, on_notify);
	int flags = fcntl(o->lazy_ps_fd, F_GETFD);
	if (flags < 0 || fcntl(o->lazy_ps_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot pass the page socket to criu");
	char text[64];
	int len = snprintf(text, sizeof(text), "lazy-pages\nps-socket %d\n", o->lazy_ps_fd);
	if (asprintf(&lazy_conf, "%s/corral-lazy-dump.conf", o->common.images_dir) < 0) {
		lazy_conf = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	int r = cr_write_file_atomic(lazy_conf, text, (size_t)len, 0600, err);
	if (r < 0)
		return r;
	setenv("CRIU_CONFIG_FILE", lazy_conf, 1);
	return 0;
}

static int dump_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			  struct cr_error *err)
{
	const struct cr_criu_dump_opts *o = job->arg;
	criu_opts *c = NULL;
	int r = cr_criu_session_open(&o->common, svc, job->default_log, &c, err);
	if (r < 0)
		return r;
	criu_local_set_pid(c, o->pid);
	criu_local_set_leave_running(c, o->leave_running);

	if (o->lazy_ps_fd > 0 && (r = prepare_lazy(c, o, err)) < 0) {
		criu_local_free_opts(c);
		return r;
	}
	if ((o->leave_running || o->hook) && (r = prepare_hold(c, o, err)) < 0) {
		criu_local_free_opts(c);
		return r;
	}
	if (o->freeze_cgroup && !o->criu_seizes && criu_local_set_freeze_cgroup(c, o->freeze_cgroup) < 0) {
		criu_local_free_opts(c);
		return cr_error_set(err, ENOMEM, "cannot set criu freeze cgroup %s",
				    o->freeze_cgroup);
	}
	uint8_t late = 0;
	if ((r = cr_criu_swrk_ahead(c, &o->common, svc, job->what, &late, err)) < 0) {
		criu_local_free_opts(c);
		return r;
	}
	r = criu_local_dump(c);
	cr_criu_swrk_reap();
	criu_local_free_opts(c);
	if (r < 0)
		return cr_criu_call_error(r, job->what, err);
	return 0;
}

/* A dump killed at its deadline leaves its network lock: remove it, and say
 * so in ERR (which keeps its timeout code). */
static void note_unlock(const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	cleanup_free char *log_path = NULL;
	struct cr_error uerr = CR_ERROR_INIT;
	int u = cr_criu_log_path(&o->common, DUMP_LOG, &log_path, &uerr);
	if (u == 0)
		u = cr_criu_nft_unlock(o->pid, log_path, &uerr);
	if (u < 0)
		cr_error_set(err, err->code, "%s; %s", cr_error_msg(err), cr_error_msg(&uerr));
	else if (u > 0)
		cr_error_set(err, err->code, "%s; criu's network lock was removed",
			     cr_error_msg(err));
	cr_error_clear(&uerr);
}

static int dump_job(const struct cr_criu_dump_opts *o, struct cr_criu_job *job, char **ret_what,
		    struct cr_error *err)
{
	if (o->pid <= 0)
		return cr_error_set(err, EINVAL, "criu dump: no pid given");
	if (asprintf(ret_what, "criu dump of pid %d", (int)o->pid) < 0) {
		*ret_what = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	*job = (struct cr_criu_job){
		.what = *ret_what,
		.common = &o->common,
		.default_log = DUMP_LOG,
		.default_timeout_ms = CR_CRIU_DUMP_TIMEOUT_MS,
		.fn = dump_in_worker,
		.arg = o,
	};
	return 0;
}

int cr_criu_dump(const struct cr_criu_dump_opts *o, struct cr_error *err)
{
	cleanup_free char *what = NULL;
	struct cr_criu_job job;
	int r = dump_job(o, &job, &what, err);
	if (r < 0)
		return r;
	int ignored = 0;
	r = cr_criu_run_job(&job, &ignored, err);
	if (r == -ETIMEDOUT && o->common.network_lock == CR_CRIU_NETLOCK_NFTABLES)
		note_unlock(o, err);
	return r;
}

int cr_criu_dump_ahead(const struct cr_criu_dump_opts *o, int bound_ms, struct cr_criu_ahead **ret,
		       struct cr_error *err)
{
	cleanup_free char *what = NULL;
	struct cr_criu_job job;
	int r = dump_job(o, &job, &what, err);
	return r < 0 ? r : cr_criu_ahead_new(&job, o, bound_ms, ret, err);
}

int cr_criu_dump_go(struct cr_criu_ahead *a, struct cr_error *err)
{
	const struct cr_criu_dump_opts *o = a->opts;
	int ignored = 0;
	int r = cr_criu_ahead_finish(a, 0, &ignored, err);
	if (r == -ETIMEDOUT && o->common.network_lock == CR_CRIU_NETLOCK_NFTABLES)
		note_unlock(o, err);
	cr_criu_ahead_free(a);
	return r;
}
