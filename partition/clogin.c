#define LOG_PREFIX "clogin: "
#include "partition/clogin.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "partition/caps.h"
#include "partition/lifecycle.h"
#include "partition/liveness.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

static const char *const ns_order[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt", NULL};

static void __attribute__((noreturn)) die_child(const char *what)
{
	fprintf(stderr, "clogin: %s: %s\n", what, strerror(errno));
	_exit(126);
}

static void exec_session(const struct cr_clogin_request *req, const char *term)
{
	const char *user = req->user ? req->user : "root";
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "clogin: no user %s in partition %s\n", user, req->name);
		_exit(126);
	}
	if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		die_child("cannot become the user");
	if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
		die_child("cannot enter a directory");
	const char *shell = pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
	clearenv();
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	setenv("SHELL", shell, 1);
	setenv("PATH", pw->pw_uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
				       : "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("TERM", term ? term : "dumb", 1);
	setenv("container", "corral", 1);
	if (req->argv && req->argv[0]) {
		execvp(req->argv[0], req->argv);
		die_child(req->argv[0]);
	}
	const char *base = strrchr(shell, '/');
	char login_name[256];
	snprintf(login_name, sizeof(login_name), "-%s", base ? base + 1 : shell);
	execl(shell, login_name, (char *)NULL);
	die_child(shell);
}

struct session_setup {
	const struct cr_clogin_request *req;
	const struct cr_security *security; /* the partition's: filter and capabilities */
	int ns_fds[8];
	const char *slave; /* NULL: keep the caller's stdio */
	const char *term;
	int go_fd, pid_fd;
};

/* The first child: enter the partition, then fork the session so that it is
 * inside the pid namespace too; report its host pid and pass its status on. */
static void __attribute__((noreturn)) session_leader(struct session_setup *s)
{
	char go;
	if (read(s->go_fd, &go, 1) != 1)
		_exit(126);
	if (s->slave) {
		if (setsid() < 0)
			die_child("setsid");
		int fd = open(s->slave, O_RDWR);
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
			die_child("cannot take the terminal");
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	for (size_t i = 0; ns_order[i]; i++)
		if (setns(s->ns_fds[i], 0) < 0)
			die_child(ns_order[i]);
	if (chdir("/") < 0)
		die_child("chdir /");
	struct cr_error err = CR_ERROR_INIT;
	if (cr_caps_confine(s->security, &err) < 0) {
		fprintf(stderr, "clogin: %s\n", cr_error_msg(&err));
		_exit(126);
	}
	pid_t pid = fork();
	if (pid < 0)
		die_child("fork");
	if (pid == 0) {
		close(s->pid_fd);
		exec_session(s->req, s->term);
	}
	ssize_t ignored = write(s->pid_fd, &pid, sizeof(pid));
	(void)ignored;
	close(s->pid_fd);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static volatile sig_atomic_t winch;
static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

/* Copy between the user's terminal and the global pty until the session ends. */
static void relay(int master)
{
	char buf[4096];
	bool stdin_open = true;
	for (;;) {
		if (winch) {
			struct winsize ws;
			winch = 0;
			if (ioctl(0, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
		struct pollfd p[2] = {{master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				return; /* EIO: the session closed its terminal */
			if (write(1, buf, (size_t)n) < 0)
				return;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				stdin_open = false;
			else if (write(master, buf, (size_t)n) < 0)
				return;
		}
	}
}

static int record_session(const char *name, pid_t pid, const char *tty, const char *user,
			  char **ret_path, struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_free char *sdir = NULL;
	cleanup_free char *text = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(&sdir, "%s/clogin", dir) < 0 ||
	    asprintf(&text, "pid=%d\nuser=%s\ntty=%s\nstarted=%lld\n", (int)pid, user ? user : "root",
		     tty ? tty : "none", (long long)time(NULL)) < 0 ||
	    asprintf(ret_path, "%s/%d", sdir ? sdir : "", (int)pid) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if ((r = cr_mkdir_p(sdir, 0700, err)) < 0)
		return r;
	return cr_write_file_atomic(*ret_path, text, strlen(text), 0600, err);
}

static int open_namespaces(pid_t init, int fds[], struct cr_error *err)
{
	for (size_t i = 0; ns_order[i]; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, ns_order[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int r = cr_error_errno(err, "cannot open %s", path);
			while (i-- > 0)
				close(fds[i]);
			return r;
		}
	}
	return 0;
}

static void close_namespaces(int fds[])
{
	for (size_t i = 0; ns_order[i]; i++)
		close(fds[i]);
}

static int open_pty(int *ret_master, char **ret_slave, struct cr_error *err)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
		int r = cr_error_errno(err, "cannot allocate a pseudo-terminal");
		if (m >= 0)
			close(m);
		return r;
	}
	char *name = ptsname(m);
	*ret_slave = name ? strdup(name) : NULL;
	if (!*ret_slave) {
		close(m);
		return cr_error_set(err, ENOMEM, "cannot name the pseudo-terminal");
	}
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(m, TIOCSWINSZ, &ws);
	*ret_master = m;
	return 0;
}

int cr_clogin(const struct cr_clogin_request *req, int *ret_status, struct cr_error *err)
{
	struct cr_wpar w;
	int r = cr_registry_load(req->name, &w, err);
	if (r < 0)
		return r;
	struct session_setup s = {.req = req, .security = &w.config.security, .term = getenv("TERM")};
	cleanup_close int master = -1;
	cleanup_free char *slave = NULL;
	cleanup_free char *record = NULL;
	struct cr_cgroup *cg = NULL;
	int go[2] = {-1, -1}, pidp[2] = {-1, -1};
	bool ns_open = false;
	if (w.config.type != CR_TYPE_SYSTEM) {
		r = cr_error_set(err, EINVAL, "%s is an application partition: clogin needs a system partition", req->name);
		goto out;
	}
	if (w.state.state != CR_STATE_ACTIVE) {
		r = cr_error_set(err, EINVAL, "%s is not active (state %s)", req->name, cr_state_name(w.state.state));
		goto out;
	}
	if ((r = open_namespaces(w.state.init_pid, s.ns_fds, err)) < 0)
		goto out;
	ns_open = true;
	if ((r = cr_cgroup_open(req->name, &cg, err)) < 0)
		goto out;
	if (isatty(0) && (r = open_pty(&master, &slave, err)) < 0)
		goto out;
	s.slave = slave;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(pidp, O_CLOEXEC) < 0) {
		r = cr_error_errno(err, "cannot create a pipe");
		goto out;
	}
	s.go_fd = go[0];
	s.pid_fd = pidp[1];
	fflush(NULL);
	pid_t leader = fork();
	if (leader < 0) {
		r = cr_error_errno(err, "cannot fork");
		goto out;
	}
	if (leader == 0) {
		/* Only the caller writes "go": should it die first, the read
		 * ends (EOF) instead of waiting for good inside the cgroup. */
		close(go[1]);
		session_leader(&s);
	}
	close(pidp[1]);
	pidp[1] = -1;
	if ((r = cr_cgroup_attach(cg, leader, err)) < 0 || write(go[1], "g", 1) != 1) {
		kill(leader, SIGKILL);
		waitpid(leader, NULL, 0);
		r = r < 0 ? r : cr_error_errno(err, "cannot release the session");
		goto out;
	}
	pid_t session = 0;
	if (read(pidp[0], &session, sizeof(session)) == sizeof(session))
		record_session(req->name, session, slave, req->user, &record, NULL);
	cr_partition_log(req->name, "clogin session %d for %s", (int)session, req->user ? req->user : "root");
	if (master >= 0) {
		struct termios saved, raw;
		bool restore = tcgetattr(0, &saved) == 0;
		if (restore) {
			raw = saved;
			cfmakeraw(&raw);
			tcsetattr(0, TCSANOW, &raw);
		}
		struct sigaction sa = {.sa_handler = on_winch}, old;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, &old);
		relay(master);
		sigaction(SIGWINCH, &old, NULL);
		if (restore)
			tcsetattr(0, TCSANOW, &saved);
	}
	int status;
	while (waitpid(leader, &status, 0) < 0 && errno == EINTR)
		;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r = 0;
out:
	if (record)
		unlink(record);
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (pidp[i] >= 0)
			close(pidp[i]);
	}
	if (ns_open)
		close_namespaces(s.ns_fds);
	cr_cgroup_free(cg);
	cr_wpar_free(&w);
	return r;
}
