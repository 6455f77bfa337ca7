/* Starting the init of a checkpointable job (wparexec -c).
 *
 * Unlike partition/spawn.c it leaves the job in the host's mount namespace:
 * an application partition shares the global file systems, and a private
 * copy of the host's mount tree cannot be restored by CRIU once any of its
 * mounts has gone (tried: a FUSE mount that ended between the checkpoint and
 * the restart made the restore fail). With no mount namespace of its own the
 * job holds nothing mount-related in its image; it sees the host's /proc. */
#define LOG_PREFIX "app_job: "
#include "partition/app_job.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "partition/mounts.h"
#include "partition/spawn.h"
#include "partition/spawn_gate.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/mountinfo.h"


#define SPAWN_REPORT_MS 30000

/* Whether CRIU brings the mount of TYPE on device DEV back as it was: a bind
 * of the root file system (DEV is ROOT_DEV), the one devtmpfs, sysfs. */
static bool restorable(const char *dev, const char *root_dev, const char *type)
{
	return strcmp(dev, root_dev) == 0 || strcmp(type, "devtmpfs") == 0 || strcmp(type, "sysfs") == 0;
}

/* Detach, last first, every mount that CRIU could not bring back as it
 * was: namespace files and FUSE mounts come and go, a tmpfs would come
 * back as a private copy. Then the job's own /proc. */
static int setup_mounts(struct cr_error *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cr_error_errno(err, "cannot make the job's mounts private");
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return cr_error_errno(err, "cannot read /proc/self/mountinfo");
	char **points = NULL;
	size_t n = 0;
	cleanup_free char *line = NULL;
	cleanup_free char *root_dev = NULL;
	size_t cap = 0;
	int r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char dev[64], point[4096], type[256];
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %63s %*s %4095s", dev, point) != 2 || sscanf(dash + 3, "%255s", type) != 1)
			continue;
		cr_mountinfo_unescape(point);
		if (strcmp(point, "/") == 0) {
			free(root_dev);
			root_dev = strdup(dev);
			continue;
		}
		if (root_dev && restorable(dev, root_dev, type))
			continue;
		char **grown = realloc(points, (n + 1) * sizeof(*points));
		if (!grown || !(grown[n] = strdup(point)))
			r = cr_error_set(err, ENOMEM, "out of memory");
		if (grown) {
			points = grown;
			n += r == 0;
		}
	}
	/* Children were listed after their parents; a detached parent takes its children along. */
	for (size_t i = n; i-- > 0;) {
		(void)umount2(points[i], MNT_DETACH);
		free(points[i]);
	}
	free(points);
	if (r < 0)
		return r;
	return cr_mounts_setup_proc(err); /* confined: partition/mounts.h */
}

static int child_setup(const struct cr_wpar_config *cfg, const char *output, struct cr_error *err)
{
	/* Attached to its cgroup by now: that is the root of what it sees. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return cr_error_errno(err, "cannot enter a new cgroup namespace");
	int r = setup_mounts(err);
	if (r < 0)
		return r;
	if (setsid() < 0)
		return cr_error_errno(err, "cannot start a session");
	const char *host = cfg->hostname ? cfg->hostname : cfg->name;
	if (sethostname(host, strlen(host)) < 0)
		return cr_error_errno(err, "cannot set the hostname %s", host);
	/* stdin from /dev/null; stdout and stderr, the init's own words included, to
	 * OUTPUT; then procVirtMem and the capabilities. */
	return cr_spawn_child_finish(cfg, false, output, err);
}

static void __attribute__((noreturn)) child_main(const struct cr_wpar_config *cfg, const char *output,
						 char *const *argv, struct cr_spawn_gate *gate)
{
	struct cr_error err = CR_ERROR_INIT;
	/* Nothing of the caller's may go into the image (cr_spawn_gate_child). */
	int report_fd = cr_spawn_gate_child(gate);
	if (child_setup(cfg, output, &err) == 0) {
		char *const envp[] = {
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=/root", "container=corral", "LANG=C.UTF-8", NULL,
		};
		execve(argv[0], argv, envp);
		cr_error_errno(&err, "cannot run %s", argv[0]);
	}
	cr_spawn_gate_fail(report_fd, &err);
}

int cr_app_job_spawn(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, const char *output, char *const *argv,
		     pid_t *ret_pid, struct cr_error *err)
{
	struct cr_spawn_gate gate;
	int r = cr_spawn_gate_open(&gate, err);
	if (r < 0)
		return r;
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL, NULL,
				   NULL, NULL);
	if (pid < 0) {
		r = cr_error_errno(err, "cannot create the namespaces of job %s", cfg->name);
		cr_spawn_gate_close(&gate);
		return r;
	}
	if (pid == 0)
		child_main(cfg, output, argv, &gate);
	/* It joins the cgroup before it runs anything, then execs or says why not. */
	r = cr_cgroup_attach(cg, pid, err);
	char what[CR_NAME_MAX + 32];
	snprintf(what, sizeof(what), "the init of job %s", cfg->name);
	if ((r = cr_spawn_gate_release(&gate, pid, r, SPAWN_REPORT_MS, what, err)) < 0)
		return r;
	cr_debug("init of job %s is pid %d", cfg->name, (int)pid);
	*ret_pid = pid;
	return 0;
}
