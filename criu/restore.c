/* Restoring a process tree with libcriu, inside the timed worker. */
#define LOG_PREFIX "criu: "
#include <criu.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "criu/criu_internal.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

/* swrk inherits the descriptors it is to hand over, so they must survive
 * its exec; only the worker's copies change. */
static int add_inherit_fds(criu_opts *c, const struct cr_criu_restore_opts *o,
			   struct cr_error *err)
{
	for (size_t i = 0; i < o->n_inherit_fds; i++) {
		const struct cr_criu_inherit_fd *f = &o->inherit_fds[i];
		int flags = fcntl(f->fd, F_GETFD);
		if (flags < 0 || fcntl(f->fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
			return cr_error_errno(err, "cannot pass descriptor %d (%s) to criu", f->fd,
					      f->key);
		if (criu_local_add_inherit_fd(c, f->fd, f->key) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu inherited fd %s", f->key);
	}
	return 0;
}

static int add_restore_lists(criu_opts *c, const struct cr_criu_restore_opts *o,
			     struct cr_error *err)
{
	int r = add_inherit_fds(c, o, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->n_veth_pairs; i++)
		if (criu_local_add_veth_pair(c, o->veth_pairs[i].key, o->veth_pairs[i].value) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu veth pair %s",
					    o->veth_pairs[i].key);
	for (size_t i = 0; i < o->n_cg_roots; i++)
		if (criu_local_add_cg_root(c, o->cg_roots[i].key, o->cg_roots[i].value) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu cgroup root %s",
					    o->cg_roots[i].value);
	return 0;
}

/* In the worker: how to hold the network (hold_network_lock), and the
 * restored root once criu names it. */
static int (*hold_lock)(pid_t pid, struct cr_error *err);
static pid_t restored_root;
/* With empty_netns: what fills the root's network namespace, and why it
 * could not (criu only hears that the notification failed). */
static const struct cr_criu_restore_opts *setup_opts;
static struct cr_error hook_err = CR_ERROR_INIT;
/* With post_restore: the caller's last word before the tree runs. */
static const struct cr_criu_restore_opts *post_opts;

/* criu names the restored root in its "setup-namespaces" notification,
 * before any task runs restored code; at "post-setup-namespaces" the root's
 * namespaces are made (with empty_netns, its network namespace is empty
 * and under criu's network lock) and no socket is restored yet: the
 * caller's setup_network fills it. When criu lifts its network lock, ours
 * takes over (the caller's lock_network); the caller lifts it once the tree
 * runs. */
static int on_notify(char *action, criu_notify_arg_t na)
{
	if (strcmp(action, "setup-namespaces") == 0 || strcmp(action, "post-restore") == 0) {
		restored_root = (pid_t)criu_notify_pid(na);
		cr_criu_worker_report_root(restored_root);
		if (strcmp(action, "post-restore") == 0 && post_opts &&
		    post_opts->post_restore(post_opts->post_restore_arg, &hook_err) < 0)
			return -1;
	} else if (strcmp(action, "post-setup-namespaces") == 0 && setup_opts && restored_root > 0) {
		if (setup_opts->setup_network(restored_root, setup_opts->setup_network_arg, &hook_err) < 0)
			return -1;
	} else if (strcmp(action, "network-unlock") == 0 && hold_lock && restored_root > 0) {
		struct cr_error err = CR_ERROR_INIT;
		if (hold_lock(restored_root, &err) < 0)
			cr_debug("the restored network stays unlocked: %s", cr_error_msg(&err));
		cr_error_clear(&err);
	}
	return 0;
}

/* Post-copy: swrk reads CRIU_CONFIG_FILE when it starts (libcriu 4.1 has no
 * lazy-pages setter); it then hands the memory to the `criu lazy-pages` that
 * listens in the work directory. The file is the same for every restore and
 * lives in $ROOT/run/corral: a worker started ahead starts swrk before the
 * images directory exists. */
static int set_lazy(struct cr_error *err)
{
	static const char text[] = "lazy-pages\n";
	cleanup_free char *dir = NULL, *conf = NULL;
	int r = cr_path(&dir, err, "/run/corral");
	if (r == 0)
		r = cr_mkdir_p(dir, 0755, err);
	if (r == 0)
		r = cr_path(&conf, err, "/run/corral/criu-lazy-restore.conf");
	if (r < 0)
		return r;
	r = cr_write_file_atomic(conf, text, sizeof(text) - 1, 0600, err);
	if (r == 0)
		setenv("CRIU_CONFIG_FILE", conf, 1);
	return r;
}

/* A worker started ahead: what its go says the images need (swrk has
 * started; its configuration, lazy pages, was the caller's guess). */
static int apply_late(criu_opts *c, const struct cr_criu_restore_opts *o, uint8_t late, struct cr_error *err)
{
	if (late & CR_CRIU_LATE_STREAM) {
#ifdef CORRAL_HAVE_CRIU_STREAM
		criu_local_set_stream(c, true);
#else
		return cr_error_set(err, EOPNOTSUPP, "this libcriu cannot ask criu to stream its images");
#endif
	}
	post_opts = (late & CR_CRIU_LATE_POST_RESTORE) && o->post_restore ? o : NULL;
	(void)err;
	return 0;
}

static int restore_in_worker(const struct cr_criu_job *job, const struct cr_criu_service *svc,
			     struct cr_error *err)
{
	const struct cr_criu_restore_opts *o = job->arg;
	criu_opts *c = NULL;
	int r = cr_criu_session_open(&o->common, svc, job->default_log, &c, err);
	if (r < 0)
		return r;
	r = add_restore_lists(c, o, err);
	if (r < 0) {
		criu_local_free_opts(c);
		return r;
	}
	if (o->lazy_pages && (r = set_lazy(err)) < 0) {
		criu_local_free_opts(c);
		return r;
	}
	if (o->common.hold_network_lock && o->common.network_lock == CR_CRIU_NETLOCK_NFTABLES) {
		if (!o->lock_network) {
			criu_local_free_opts(c);
			return cr_error_set(err, EINVAL, "%s: no network lock was given to hold", job->what);
		}
		hold_lock = o->lock_network;
	}
	if (o->common.empty_netns && o->setup_network)
		setup_opts = o;
	if (o->post_restore)
		post_opts = o;
	criu_local_set_notify_cb(c, on_notify);
	uint8_t late = 0;
	if ((r = cr_criu_swrk_ahead(c, &o->common, svc, job->what, &late, err)) < 0) {
		criu_local_free_opts(c);
		return r;
	}
	if (r > 0 && (r = apply_late(c, o, late, err)) < 0) {
		cr_criu_swrk_reap();
		criu_local_free_opts(c);
		return r;
	}
	r = o->restore_sibling ? criu_local_restore_child(c) : criu_local_restore(c);
	cr_criu_swrk_reap();
	criu_local_free_opts(c);
	if (r < 0 && hook_err.code != 0) {
		int e = cr_error_set(err, hook_err.code, "%s: %s", job->what, cr_error_msg(&hook_err));
		cr_error_clear(&hook_err);
		return e;
	}
	if (r < 0)
		return cr_criu_call_error(r, job->what, err);
	if (r == 0)
		return cr_error_set(err, EIO, "%s: criu reported no restored pid", job->what);
	return r;
}

static int restore_job(const struct cr_criu_restore_opts *o, struct cr_criu_job *job, char **ret_what,
		       struct cr_error *err)
{
	if (!o->common.images_dir)
		return cr_error_set(err, EINVAL, "criu restore: no images directory given");
	if (asprintf(ret_what, "criu restore from %s", o->common.images_dir) < 0) {
		*ret_what = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	*job = (struct cr_criu_job){
		.what = *ret_what,
		.common = &o->common,
		.default_log = "restore.log",
		.default_timeout_ms = CR_CRIU_RESTORE_TIMEOUT_MS,
		.fn = restore_in_worker,
		.arg = o,
	};
	return 0;
}

int cr_criu_restore(const struct cr_criu_restore_opts *o, pid_t *ret_pid, struct cr_error *err)
{
	cleanup_free char *what = NULL;
	struct cr_criu_job job;
	int r = restore_job(o, &job, &what, err);
	int pid = 0;
	if (r == 0)
		r = cr_criu_run_job(&job, &pid, err);
	if (r < 0)
		return r;
	*ret_pid = (pid_t)pid;
	return 0;
}

int cr_criu_restore_ahead(const struct cr_criu_restore_opts *o, int bound_ms, struct cr_criu_ahead **ret,
			  struct cr_error *err)
{
	if (o->restore_sibling) /* libcriu starts its own swrk for that */
		return cr_error_set(err, EINVAL, "criu restore: a restored sibling cannot be started ahead");
	if (o->common.stream)
		return cr_error_set(err, EINVAL, "criu restore: streaming is asked for at the go");
	cleanup_free char *what = NULL;
	struct cr_criu_job job;
	int r = restore_job(o, &job, &what, err);
	return r < 0 ? r : cr_criu_ahead_new(&job, o, bound_ms, ret, err);
}

int cr_criu_restore_go(struct cr_criu_ahead *a, const struct cr_criu_restore_late *late, pid_t *ret_pid,
		       struct cr_error *err)
{
	const struct cr_criu_restore_opts *o = a->opts;
	if (late->lazy_pages != o->lazy_pages) {
		/* swrk read the other configuration at its start: one of its own */
		cr_debug("%s: lazy pages %s after all: criu starts now", a->what, late->lazy_pages ? "on" : "off");
		cr_criu_ahead_cancel(a);
		struct cr_criu_restore_opts now = *o;
		now.lazy_pages = late->lazy_pages;
		now.common.stream = late->stream;
		if (!late->post_restore)
			now.post_restore = NULL;
		return cr_criu_restore(&now, ret_pid, err);
	}
	uint8_t bits = (late->stream ? CR_CRIU_LATE_STREAM : 0) | (late->post_restore ? CR_CRIU_LATE_POST_RESTORE : 0);
	int pid = 0;
	int r = cr_criu_ahead_finish(a, bits, &pid, err);
	cr_criu_ahead_free(a);
	if (r < 0)
		return r;
	*ret_pid = (pid_t)pid;
	return 0;
}
