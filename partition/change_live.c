/* chwpar on a running partition: the hostname (in its UTS namespace and its
 * /etc/hostname) and the resource controls (its cgroups, and procVirtMem as
 * the RLIMIT_AS of every process in it) change while it runs. */
#define LOG_PREFIX "change: "
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "partition/change.h"
#include "partition/rootfs.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The init's UTS namespace, refused when it is ours (a stale pid must never
 * let chwpar rename the host). */
static int open_uts_ns(pid_t init, int *ret_fd, struct cr_error *err)
{
	char path[64];
	struct stat self, other;
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)init);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open the UTS namespace of the partition's init (pid %d)",
				      (int)init);
	if (stat("/proc/self/ns/uts", &self) < 0 || fstat(fd, &other) < 0)
		return cr_error_errno(err, "cannot compare UTS namespaces");
	if (self.st_ino == other.st_ino && self.st_dev == other.st_dev)
		return cr_error_set(err, ESRCH, "pid %d is not in a partition's UTS namespace", (int)init);
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

static int set_hostname_in(pid_t init, const char *hostname, struct cr_error *err)
{
	cleanup_close int ns = -1;
	int r = open_uts_ns(init, &ns, err);
	if (r < 0)
		return r;
	pid_t pid = fork();
	if (pid < 0)
		return cr_error_errno(err, "cannot fork to set the hostname");
	if (pid == 0) {
		if (setns(ns, CLONE_NEWUTS) < 0)
			_exit(200);
		_exit(sethostname(hostname, strlen(hostname)) < 0 ? (errno & 0x7f) : 0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cr_error_errno(err, "cannot wait for the hostname helper");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 200)
		return cr_error_set(err, EPERM, "cannot enter the UTS namespace of pid %d", (int)init);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
	return cr_error_set(err, code, "cannot set the hostname %s: %s", hostname, strerror(code));
}

static int live_hostname(const struct cr_wpar *w, const char *hostname, struct cr_error *err)
{
	int r = set_hostname_in(w->state.init_pid, hostname, err);
	if (r < 0)
		return r;
	if (w->config.type == CR_TYPE_SYSTEM)
		return cr_rootfs_write_hostname(w->config.directory, hostname, err);
	return 0;
}

/* procVirtMem is an rlimit: give it to every process the partition has now. */
static int set_address_limits(struct cr_cgroup *cg, int64_t bytes, struct cr_error *err)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = cr_cgroup_pids(cg, &pids, &n, err);
	if (r < 0)
		return r;
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	if (bytes > 0)
		rl.rlim_cur = rl.rlim_max = (rlim_t)bytes;
	for (size_t i = 0; i < n && r == 0; i++)
		if (prlimit(pids[i], RLIMIT_AS, &rl, NULL) < 0 && errno != ESRCH)
			r = cr_error_errno(err, "cannot set procVirtMem of pid %d", (int)pids[i]);
	free(pids);
	return r;
}

static int live_resources(const char *name, const struct cr_resources *old_res,
			  const struct cr_resources *res, struct cr_error *err)
{
	struct cr_cgroup *cg = NULL;
	int r = cr_cgroup_open(name, &cg, err);
	if (r < 0)
		return r;
	r = cr_cgroup_apply(cg, res, err);
	int64_t old_as = old_res->active ? old_res->proc_virt_mem : CR_UNSET;
	int64_t new_as = res->active ? res->proc_virt_mem : CR_UNSET;
	if (r == 0 && old_as != new_as)
		r = set_address_limits(cg, new_as, err);
	cr_cgroup_free(cg);
	return r;
}

int cr_change_live(const struct cr_wpar *w, const struct cr_wpar_config *cfg, unsigned mask,
		   struct cr_change_result *res, struct cr_error *err)
{
	const char *name = w->config.name;
	int r;
	if (mask & CR_CHANGE_HOSTNAME) {
		if ((r = live_hostname(w, cfg->hostname, err)) < 0)
			return cr_error_wrap(err, "changing the hostname of %s", name);
		res->hostname_live = true;
		cr_debug("%s: hostname is now %s", name, cfg->hostname);
	}
	if (mask & CR_CHANGE_RESOURCES) {
		if ((r = live_resources(name, &w->config.resources, &cfg->resources, err)) < 0) {
			cr_error_wrap(err, "changing the resource controls of %s", name);
			cr_change_live_undo(w, cfg, res);
			res->hostname_live = false;
			return r;
		}
		res->resources_live = true;
		cr_debug("%s: resource controls applied", name);
	}
	return 0;
}

void cr_change_live_undo(const struct cr_wpar *w, const struct cr_wpar_config *cfg,
			 const struct cr_change_result *res)
{
	if (res->resources_live)
		live_resources(w->config.name, &cfg->resources, &w->config.resources, NULL);
	if (res->hostname_live)
		live_hostname(w, w->config.hostname, NULL);
}
