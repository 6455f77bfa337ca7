#define LOG_PREFIX "spawn: "
#include "partition/spawn.h"
#include "partition/spawn_gate.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "partition/caps.h"
#include "partition/mounts.h"
#include "net/link.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Bound on the init's set-up (mounts, links) before it execs or says why not. */
#define SPAWN_REPORT_MS 30000

/* FD moved above the standard descriptors: a caller that runs with one of
 * them closed gets it back from open(), and dup2 onto itself would leave it
 * close-on-exec (and our cleanup would close it). */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > STDERR_FILENO)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	int saved = errno;
	close(fd);
	errno = saved;
	return moved;
}

/* stdin from /dev/null (read only when OUTPUT takes the rest); stdout and
 * stderr to OUTPUT, else to /dev/null as well. */
static int child_stdio(const char *output, struct cr_error *err)
{
	cleanup_close int null_fd = above_stdio(open("/dev/null", (output ? O_RDONLY : O_RDWR) | O_CLOEXEC));
	if (null_fd < 0)
		return cr_error_errno(err, "cannot open /dev/null inside the partition");
	cleanup_close int out_fd = -1;
	if (output && (out_fd = above_stdio(open(output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600))) < 0)
		return cr_error_errno(err, "cannot open the job's output %s", output);
	int out = output ? out_fd : null_fd;
	for (int i = 0; i < 3; i++) {
		if (dup2(i == STDIN_FILENO ? null_fd : out, i) >= 0)
			continue;
		if (output)
			return cr_error_errno(err, "cannot give the job its output %s", output);
		return cr_error_errno(err, "cannot redirect descriptor %d", i);
	}
	return 0;
}

int cr_spawn_child_finish(const struct cr_wpar_config *cfg, bool keep_stdio, const char *output,
			  struct cr_error *err)
{
	int r = keep_stdio ? 0 : child_stdio(output, err);
	if (r < 0)
		return r;
	if (cfg->resources.proc_virt_mem > 0) {
		struct rlimit rl = {(rlim_t)cfg->resources.proc_virt_mem, (rlim_t)cfg->resources.proc_virt_mem};
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			return cr_error_errno(err, "cannot set procVirtMem");
	}
	return cr_caps_confine(&cfg->security, err);
}

static void __attribute__((noreturn)) child_main(const struct cr_spawn_request *req, struct cr_spawn_gate *gate)
{
	struct cr_error err = CR_ERROR_INIT;
	const struct cr_wpar_config *cfg = req->config;
	int err_fd = cr_spawn_gate_child(gate);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWCGROUP) < 0) {
		cr_error_errno(&err, "cannot enter a new cgroup namespace");
		cr_spawn_gate_fail(err_fd, &err);
	}
	if (!req->keep_stdio && setsid() < 0) {
		cr_error_errno(&err, "cannot start a session");
		cr_spawn_gate_fail(err_fd, &err);
	}
	const char *host = cfg->hostname ? cfg->hostname : cfg->name;
	if (sethostname(host, strlen(host)) < 0) {
		cr_error_errno(&err, "cannot set the hostname %s", host);
		cr_spawn_gate_fail(err_fd, &err);
	}
	int r = cfg->type == CR_TYPE_SYSTEM ? cr_mounts_setup_system(cfg, &err)
					    : cr_mounts_setup_application(&err);
	if (r < 0)
		cr_spawn_gate_fail(err_fd, &err);
	if (req->new_network && cr_net_loopback_up(&err) < 0)
		cr_spawn_gate_fail(err_fd, &err);
	/* Networking (net/net.h): addresses and routes on the links the parent
	 * put into our namespace (cr_net_attach), loopback already up. */
	if (req->new_network && cr_net_configure_inside(cfg, &err) < 0)
		cr_spawn_gate_fail(err_fd, &err);
	if (cr_spawn_child_finish(cfg, req->keep_stdio, NULL, &err) < 0)
		cr_spawn_gate_fail(err_fd, &err);
	(void)prctl(PR_SET_PDEATHSIG, 0);
	char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "container=corral", "TERM=linux", "LANG=C.UTF-8", NULL,
	};
	execve(req->argv[0], req->argv, envp);
	cr_error_errno(&err, "cannot run the partition init %s", req->argv[0]);
	cr_spawn_gate_fail(err_fd, &err);
}

int cr_spawn_init(const struct cr_spawn_request *req, pid_t *ret_pid, struct cr_error *err)
{
	struct cr_spawn_gate gate;
	int r = cr_spawn_gate_open(&gate, err);
	if (r < 0)
		return r;
	unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	if (req->new_network)
		flags |= CLONE_NEWNET;
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		r = cr_error_errno(err, "cannot create the partition's namespaces");
		cr_spawn_gate_close(&gate);
		return r;
	}
	if (pid == 0)
		child_main(req, &gate);
	if (req->cgroup)
		r = cr_cgroup_attach(req->cgroup, pid, err);
	/* Networking (net/net.h): the partition's links, made on the host and
	 * moved into the child's namespace before it runs anything. */
	if (r == 0 && req->new_network)
		r = cr_net_attach(req->config, pid, err);
	char what[CR_NAME_MAX + 32];
	snprintf(what, sizeof(what), "the init of %s", req->config->name);
	r = cr_spawn_gate_release(&gate, pid, r, SPAWN_REPORT_MS, what, err);
	if (r < 0) {
		if (req->new_network) /* host ends go at once, not when the namespace is reaped */
			(void)cr_net_detach(req->config, NULL);
		return r;
	}
	cr_debug("init of %s is pid %d", req->config->name, (int)pid);
	*ret_pid = pid;
	return 0;
}
