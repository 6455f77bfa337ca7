/* libcriu session setup shared by dump and restore (runs in the worker). */
#include <criu.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "criu/criu_internal.h"

/* Open DIR for criu: swrk reads it as /proc/<worker>/fd/N, so close-on-exec
 * is fine. The descriptor lives until the worker exits. */
static int open_dir(const char *dir, const char *what, struct cr_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open criu %s %s", what, dir);
	return fd;
}

static int set_lists(criu_opts *o, const struct cr_criu_common *c, struct cr_error *err)
{
	for (size_t i = 0; i < c->n_ext_mounts; i++)
		if (criu_local_add_ext_mount(o, c->ext_mounts[i].key, c->ext_mounts[i].value) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu external mount %s",
					    c->ext_mounts[i].key);
	for (size_t i = 0; i < c->n_externals; i++)
		if (criu_local_add_external(o, c->externals[i]) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu external %s",
					    c->externals[i]);
	for (size_t i = 0; i < c->n_skip_mounts; i++)
		if (criu_local_add_skip_mnt(o, c->skip_mounts[i]) < 0)
			return cr_error_set(err, ENOMEM, "cannot add criu skipped mount %s",
					    c->skip_mounts[i]);
	return 0;
}

int cr_criu_session_dirs(struct criu_opts *o, const struct cr_criu_common *c, struct cr_error *err)
{
	int fd = open_dir(c->images_dir, "images directory", err);
	if (fd < 0)
		return fd;
	criu_local_set_images_dir_fd(o, fd);
	if (c->work_dir) {
		fd = open_dir(c->work_dir, "work directory", err);
		if (fd < 0)
			return fd;
		criu_local_set_work_dir_fd(o, fd);
	}
	return 0;
}

static int set_common(criu_opts *o, const struct cr_criu_common *c, const char *log_name,
		      struct cr_error *err)
{
	int unused = 0;
	/* A worker started ahead opens them after its go (cr_criu_swrk_ahead):
	 * an arrival's images directory is made when its image comes. */
	int r = cr_criu_worker_go_fd(&unused) < 0 ? cr_criu_session_dirs(o, c, err) : 0;
	if (r < 0)
		return r;
	if (criu_local_set_log_file(o, log_name) < 0)
		return cr_error_set(err, ENOMEM, "cannot set criu log file %s", log_name);
	int level = c->log_level > 0 ? c->log_level : CR_CRIU_LOG_LEVEL_DEFAULT;
	if (c->network_lock == CR_CRIU_NETLOCK_NFTABLES && level < 3)
		level = 3; /* the run id, which names the lock, is logged at 3 */
	criu_local_set_log_level(o, level);
	if (c->root && criu_local_set_root(o, c->root) < 0)
		return cr_error_set(err, ENOMEM, "cannot set criu root %s", c->root);
	criu_local_set_tcp_established(o, c->tcp_established);
	criu_local_set_shell_job(o, c->shell_job);
	criu_local_set_file_locks(o, c->file_locks);
	criu_local_set_ext_unix_sk(o, c->ext_unix_sk);
	criu_local_set_link_remap(o, c->link_remap);
	if (c->ghost_limit)
		criu_local_set_ghost_limit(o, c->ghost_limit);
	if (c->ext_mount_map_auto) {
		criu_local_set_auto_ext_mnt(o, true);
		criu_local_set_ext_sharing(o, true);
		criu_local_set_ext_masters(o, true);
	}
	if (c->stream) {
#ifdef CORRAL_HAVE_CRIU_STREAM
		criu_local_set_stream(o, true);
#else
		return cr_error_set(err, EOPNOTSUPP, "this libcriu cannot ask criu to stream its images");
#endif
	}
	if (c->tmpfs_plain_tar) {
#ifdef CORRAL_HAVE_CRIU_TMPFS_TAR
		criu_local_set_tmpfs_plain_tar(o, true);
#else
		return cr_error_set(err, EOPNOTSUPP, "this libcriu cannot ask criu for a plain tmpfs tar");
#endif
	}
	if (c->empty_netns)
		criu_local_set_empty_ns(o, CLONE_NEWNET);
	if (c->manage_cgroups_ignore)
		criu_local_set_manage_cgroups_mode(o, CRIU_CG_MODE_IGNORE);
	static const enum criu_network_lock_method locks[] = {
		[CR_CRIU_NETLOCK_IPTABLES] = CRIU_NETWORK_LOCK_IPTABLES,
		[CR_CRIU_NETLOCK_NFTABLES] = CRIU_NETWORK_LOCK_NFTABLES,
		[CR_CRIU_NETLOCK_SKIP] = CRIU_NETWORK_LOCK_SKIP,
	};
	if (c->network_lock != CR_CRIU_NETLOCK_DEFAULT) {
		if ((unsigned)c->network_lock >= sizeof(locks) / sizeof(locks[0]))
			return cr_error_set(err, EINVAL, "unknown criu network lock method %d",
					    (int)c->network_lock);
		if (criu_local_set_network_lock(o, locks[c->network_lock]) < 0)
			return cr_error_set(err, EINVAL, "cannot set criu network lock method");
	}
	/* criu's own seize/freeze timeout, in seconds: well inside ours, so
	 * criu gives up (and thaws the tasks) before we kill it. */
	int secs = c->timeout_ms > 0 ? c->timeout_ms / 2000 : 10;
	criu_local_set_timeout(o, (unsigned)(secs < 1 ? 1 : secs > 10 ? 10 : secs));
	return set_lists(o, c, err);
}

int cr_criu_session_open(const struct cr_criu_common *c, const struct cr_criu_service *svc,
			 const char *default_log, struct criu_opts **ret_opts, struct cr_error *err)
{
	criu_opts *o = NULL;
	if (criu_local_init_opts(&o) < 0)
		return cr_error_set(err, ENOMEM, "cannot initialise libcriu options");
	if (svc->binary && criu_local_set_service_binary(o, svc->binary) < 0) {
		criu_local_free_opts(o);
		return cr_error_set(err, ENOMEM, "cannot set criu binary %s", svc->binary);
	}
	if (c) {
		int r = set_common(o, c, c->log_file ? c->log_file : default_log, err);
		if (r < 0) {
			criu_local_free_opts(o);
			return r;
		}
	}
	*ret_opts = o;
	return 0;
}

int cr_criu_call_error(int r, const char *what, struct cr_error *err)
{
	int saved = errno;
	switch (r) {
	case -EBADE:
		return cr_error_set(err, saved > 0 ? saved : EIO, "%s failed%s%s", what,
				    saved > 0 ? ": " : "", saved > 0 ? strerror(saved) : "");
	case -ECONNREFUSED:
		return cr_error_set(err, ECONNREFUSED, "%s: cannot start criu swrk", what);
	case -ECOMM:
		return cr_error_set(err, ECOMM, "%s: lost the connection to criu swrk", what);
	case -EINVAL:
		return cr_error_set(err, EINVAL, "%s: criu does not support this request", what);
	case -EBADMSG:
		return cr_error_set(err, EBADMSG, "%s: unexpected answer from criu", what);
	default:
		return cr_error_set(err, r < 0 ? -r : EIO, "%s failed (libcriu %d)", what, r);
	}
}
