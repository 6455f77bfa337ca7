/* The FUSE client: a forked server process (cor_nfs) mounts the export on
 * the mount point and serves it until the mount goes away. */
#define LOG_PREFIX "nfs-fuse: "
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfs/client.h"
#include "nfs/fuse_ops.h"
#include "nfs/nfs.h"
#include "nfs/wait.h"
#include "util/fdwait.h"
#include "util/cleanup.h"
#include "util/log.h"

#define FUSE_MAGIC 0x65735546
#define REPORT_FD 3

static void report(const char *status, const char *msg)
{
	dprintf(REPORT_FD, "%s%s%s\n", status, msg ? ": " : "", msg ? msg : "");
}

static int mount_args(struct fuse_args *args, const struct cr_mount *m, const struct cr_nfs_options *o)
{
	cleanup_free char *opts = NULL;
	if (asprintf(&opts, "allow_other,fsname=%s:%s,subtype=nfs,%s,%s%s%s", m->host, m->dev,
		     o->nosuid ? "nosuid" : "suid", o->nodev ? "nodev" : "dev", o->noexec ? ",noexec" : "",
		     o->read_only ? ",ro" : "") < 0)
		return -ENOMEM;
	if (fuse_opt_add_arg(args, "cor_nfs") < 0 || fuse_opt_add_arg(args, "-o") < 0 ||
	    fuse_opt_add_arg(args, opts) < 0)
		return -ENOMEM;
	return 0;
}

/* The server's body, in the child: never returns. */
static void serve(const struct cr_mount *m, const struct cr_nfs_options *o, const char *mountpoint)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_fs fs = {.uid = 0, .gid = 0};
	if (cr_nfs_connect(m->host, m->dev, o, -1, &fs.nfs, &err) < 0) {
		report("error", cr_error_msg(&err));
		_exit(1);
	}
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	if (mount_args(&args, m, o) < 0) {
		report("error", "out of memory");
		_exit(1);
	}
	const struct fuse_operations *ops = cr_nfs_fuse_operations();
	struct fuse *f = fuse_new(&args, ops, sizeof(*ops), &fs);
	fuse_opt_free_args(&args);
	if (!f) {
		report("error", "cannot start the FUSE file system (fuse_new)");
		_exit(1);
	}
	if (fuse_mount(f, mountpoint) < 0) {
		dprintf(REPORT_FD, "error: cannot mount FUSE on %s (is /dev/fuse there?)\n", mountpoint);
		_exit(1);
	}
	struct fuse_session *se = fuse_get_session(f);
	fuse_set_signal_handlers(se);
	report("ok", NULL);
	close(REPORT_FD);
	int r = fuse_loop(f);
	fuse_remove_signal_handlers(se);
	fuse_unmount(f);
	fuse_destroy(f);
	cr_nfs_disconnect(fs.nfs);
	_exit(r == 0 ? 0 : 1);
}

/* In the child: a process of its own named cor_nfs, stdio on /dev/null
 * (or stderr kept when debugging), only the report pipe open besides. */
static void become_server(int report_fd)
{
	setsid();
	prctl(PR_SET_NAME, "cor_nfs");
	prctl(PR_SET_PDEATHSIG, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    (!cr_log_debug_enabled() && dup2(null, 2) < 0) || dup2(report_fd, REPORT_FD) < 0)
		_exit(127);
	(void)syscall(SYS_close_range, REPORT_FD + 1, ~0U, 0);
	/* Nothing of the caller's signal set-up (a monitor forwards SIGTERM). */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	static const int reset[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int cr_nfs_fuse_mount(const struct cr_mount *m, const char *mountpoint, pid_t *ret_server_pid,
		      struct cr_error *err)
{
	struct cr_nfs_options o;
	int r = cr_nfs_stanza_options(m, mountpoint, &o, err);
	if (r < 0)
		return r;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot create a pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		r = cr_error_errno(err, "cannot fork the NFS server for %s", mountpoint);
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipefd[0]);
		become_server(pipefd[1]);
		serve(m, &o, mountpoint);
	}
	close(pipefd[1]);
	char verdict[1024];
	/* Connecting may take a few calls' timeouts; mounting is quick after. */
	r = cr_fd_read_line(pipefd[0], (o.timeout_s * 3 + 10) * 1000, verdict, sizeof(verdict));
	close(pipefd[0]);
	if (r < 0) {
		kill_and_reap(pid);
		umount2(mountpoint, MNT_DETACH);
		return cr_error_set(err, -r, "%s:%s: the NFS server process did not mount %s in time", m->host,
				    m->dev, mountpoint);
	}
	if (strcmp(verdict, "ok") != 0) {
		kill_and_reap(pid);
		const char *msg = !strncmp(verdict, "error: ", 7) ? verdict + 7 : verdict;
		return cr_error_set(err, EIO, "%s", *msg ? msg : "the NFS server process ended without a word");
	}
	struct statfs sf;
	if (statfs(mountpoint, &sf) < 0 || sf.f_type != FUSE_MAGIC) {
		r = cr_error_set(err, EIO, "%s:%s: %s does not show the FUSE mount", m->host, m->dev, mountpoint);
		kill_and_reap(pid);
		umount2(mountpoint, MNT_DETACH);
		return r;
	}
	cr_debug("%s:%s mounted on %s, server pid %d", m->host, m->dev, mountpoint, (int)pid);
	*ret_server_pid = pid;
	return 0;
}

int cr_nfs_fuse_unmount(const char *mountpoint, pid_t server_pid, int timeout_ms, struct cr_error *err)
{
	if (umount2(mountpoint, 0) < 0) {
		if (errno == EBUSY)
			return cr_error_errno(err, "cannot unmount %s", mountpoint);
		if (errno != EINVAL && errno != ENOENT)
			return cr_error_errno(err, "cannot unmount %s", mountpoint);
		/* Not mounted any more: still make sure the server ends. */
	}
	if (server_pid <= 0)
		return 0;
	return cr_nfs_wait_server(server_pid, timeout_ms, err);
}
