/* Is lazy (post-copy) restore possible here? Proven, not guessed from a
 * feature flag: a test process (the init of its own pid namespace, so its
 * restored copy cannot collide with it) is dumped with `criu dump
 * --lazy-pages`, served by `criu lazy-pages --page-server` and restored with
 * `criu restore --lazy-pages`, all bounded by CR_LAZY_PROBE_MS. When it fails
 * the verdict says which precondition is missing and what to set: CRIU's lazy
 * dump grows a pipe to about 3.2 MiB (criu/page-pipe.c), which needs
 * fs.pipe-max-size that large or CAP_SYS_RESOURCE, and CRIU 4.1 ignores the
 * refusal and fails later (ENVIRONMENT.md, post-copy). */
#define LOG_PREFIX "check: "
#include "check/probes.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check/run_cmd.h"
#include "util/child_wait.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fdwait.h"
#include "util/fsutil.h"
#include "util/log.h"

#define CAP_SYS_RESOURCE_BIT 24
#define LOG_MAX (4 << 20)

long cr_lazy_pipe_bytes(void)
{
	/* PIPE_MAX_SIZE of criu/include/page-pipe.h: 8 pages of struct
	 * pipe_buffer (40 bytes on 64-bit kernels, 24 on 32-bit)... */
	long page = sysconf(_SC_PAGESIZE);
	long pages = 8 * page / (sizeof(void *) == 8 ? 40 : 24);
	/* ...which the kernel rounds up to a power of two of pages. */
	long rounded = 1;
	while (rounded < pages)
		rounded <<= 1;
	return rounded * page;
}

static long read_pipe_max_size(void)
{
	cleanup_free char *text = NULL;
	if (cr_read_file("/proc/sys/fs/pipe-max-size", 64, &text, NULL, NULL) < 0)
		return -1;
	char *end;
	long v = strtol(text, &end, 10);
	return end == text || v < 0 ? -1 : v;
}

static int read_cap_sys_resource(void)
{
	cleanup_free char *text = NULL;
	if (cr_read_file("/proc/self/status", 1 << 16, &text, NULL, NULL) < 0)
		return -1;
	const char *line = strstr(text, "\nCapEff:");
	unsigned long long caps;
	if (!line || sscanf(line + 8, "%llx", &caps) != 1)
		return -1;
	return (int)((caps >> CAP_SYS_RESOURCE_BIT) & 1);
}

/* Can a pipe here grow to what CRIU's lazy dump asks? (criu runs as this
 * process's child, with its limits and capabilities.) */
static bool pipe_grows(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	bool ok = fcntl(fds[0], F_SETPIPE_SZ, (int)cr_lazy_pipe_bytes()) >= 0;
	close(fds[0]);
	close(fds[1]);
	return ok;
}

int cr_lazy_verdict(struct cr_host_facts *f, const struct cr_lazy_evidence *e, struct cr_error *err)
{
	char pipe_note[256] = "";
	if (!e->pipe_grows)
		snprintf(pipe_note, sizeof(pipe_note),
			 "CRIU's lazy dump asks pipes of %ld bytes, fs.pipe-max-size is %ld and "
			 "CAP_SYS_RESOURCE is %s: run sysctl fs.pipe-max-size=%ld (or use a CRIU "
			 "that retries smaller pipes)",
			 cr_lazy_pipe_bytes(), e->pipe_max_size,
			 e->cap_sys_resource == 0 ? "not effective" : "unknown", cr_lazy_pipe_bytes());
	if (!e->uffd)
		return CR_PROBE_SET(f, CR_PROBE_LAZY_PAGES, CR_PROBE_MISSING,
				    "no userfaultfd (see the userfaultfd probe)");
	if (e->round_trip == 1)
		return CR_PROBE_SET(f, CR_PROBE_LAZY_PAGES, CR_PROBE_OK,
				    "a lazy dump, lazy-pages and restore round trip passed with criu %s%s",
				    e->criu ? e->criu : "", e->pipe_grows ? ""
				    : " (it copes with the small fs.pipe-max-size)");
	if (e->round_trip == 0)
		return CR_PROBE_SET(f, CR_PROBE_LAZY_PAGES, CR_PROBE_MISSING,
				    "a lazy dump, lazy-pages and restore round trip failed with criu "
				    "%s: %s%s%s",
				    e->criu ? e->criu : "", e->why ? e->why : "no error logged",
				    *pipe_note ? "; " : "", pipe_note);
	/* Not tried: no conclusion (an ordinary user's pipes say nothing of
	 * root's), but what is known is said. */
	return CR_PROBE_SET(f, CR_PROBE_LAZY_PAGES, CR_PROBE_SKIPPED, "not tried: %s%s%s",
			    e->why ? e->why : "no criu", *pipe_note ? "; for this user, " : "",
			    pipe_note);
}

/* One round trip's processes and files. */
struct lazy_run {
	char *dir; /* heap: $TMPDIR (or /tmp)/corral-lazy-probe-XXXXXX */
	pid_t holder, victim, dump, pages, restore, restored;
	int64_t deadline;
	struct cr_host_facts *f;
	char *why; /* heap: what failed */
};

static int left_ms(const struct lazy_run *run)
{
	int64_t left = run->deadline - cr_now_ms();
	return left > 0 ? (int)left : 0;
}

static void nap(void)
{
	struct timespec t = {0, 20 * 1000000};
	nanosleep(&t, NULL);
}

/* A process that sleeps as the init of its own pid namespace, a session
 * leader there, with /dev/null for its standard descriptors: the holder
 * (our child) unshares and forks it, and reports its pid. */
static int start_victim(struct lazy_run *run, struct cr_error *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot make a pipe");
	pid_t holder = fork();
	if (holder < 0) {
		close(fds[0]);
		close(fds[1]);
		return cr_error_errno(err, "cannot fork");
	}
	if (holder == 0) {
		setpgid(0, 0);
		if (unshare(CLONE_NEWPID) < 0)
			_exit(126);
		pid_t v = fork();
		if (v == 0) {
			int null = open("/dev/null", O_RDWR);
			setsid();
			/* Its own directory: CRIU's parasite makes proc.crtools in
			 * the victim's working directory, and two probes at once
			 * (a and b of a test, concurrent checks) in one directory
			 * failed there with EEXIST. */
			if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
			    chdir(run->dir) < 0)
				_exit(127);
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
			execl("/bin/sleep", "sleep", "600", (char *)NULL);
			execl("/usr/bin/sleep", "sleep", "600", (char *)NULL);
			_exit(127);
		}
		if (v < 0 || write(fds[1], &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(125);
		while (waitpid(v, NULL, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[1]);
	run->holder = holder;
	ssize_t n = -1;
	struct stat st;
	char proc[64];
	if (cr_fd_wait_readable(fds[0], left_ms(run)) > 0)
		n = read(fds[0], &run->victim, sizeof(run->victim));
	close(fds[0]);
	if (n != (ssize_t)sizeof(run->victim))
		return cr_error_set(err, ECHILD, "the test process did not start (no pid namespace?)");
	/* Wait until it runs sleep: CRIU must not catch it between fork and exec. */
	snprintf(proc, sizeof(proc), "/proc/%d/exe", (int)run->victim);
	while (left_ms(run) > 0) {
		char target[PATH_MAX];
		ssize_t len = readlink(proc, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			if (strstr(target, "sleep") && stat(proc, &st) == 0)
				return 0;
		}
		nap();
	}
	return cr_error_set(err, ETIMEDOUT, "the test process did not start sleeping");
}

/* A free TCP port on the loopback for the dump's page server. */
static int free_port(struct cr_error *err)
{
	cleanup_close int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		return cr_error_errno(err, "cannot find a free loopback port");
	return ntohs(a.sin_port);
}

static int start_criu(struct lazy_run *run, char **args, pid_t *ret_pid, struct cr_error *err)
{
	char *argv[16] = {run->f->criu_path};
	size_t n = 1;
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	char *fault[] = {CR_CRIU_FAULT_VAR "=" CR_CRIU_FAULT_NO_BREAKPOINTS, NULL};
	return cr_run_start(argv, run->f->criu_needs_fault ? fault : NULL, ret_pid, err);
}

/* The log LOG (in the images directory) holds NEEDLE. */
static bool log_has(const struct lazy_run *run, const char *log, const char *needle)
{
	cleanup_free char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/%s", run->dir, log) < 0) {
		path = NULL;
		return false;
	}
	return cr_read_file(path, LOG_MAX, &text, NULL, NULL) == 0 && strstr(text, needle);
}

/* CRIU's first telling error in LOG (its harmless RLIMIT_NOFILE warning
 * skipped), or NULL. Heap. */
static char *first_error(const struct lazy_run *run, const char *log)
{
	cleanup_free char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/%s", run->dir, log) < 0) {
		path = NULL;
		return NULL;
	}
	if (cr_read_file(path, LOG_MAX, &text, NULL, NULL) < 0)
		return NULL;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *e = strstr(line, "Error (");
		if (e && !strstr(line, "RLIMIT_NOFILE")) {
			char *msg = NULL;
			return asprintf(&msg, "%s: %s", log, e) < 0 ? NULL : msg;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* RUN->why: CRIU's first telling error in the logs, else FALLBACK. */
static void set_why(struct lazy_run *run, const char *fallback)
{
	if (run->why)
		return;
	char *why = first_error(run, "dump.log");
	if (!why)
		why = first_error(run, "lazy.log");
	if (!why)
		why = first_error(run, "restore.log");
	if (!why)
		why = strdup(fallback);
	run->why = why;
}

/* Wait for *PID (a criu) to end within the run's deadline; true when it
 * exited 0. TIMEOUT and FAILED say what happened otherwise. */
static bool criu_ends(struct lazy_run *run, pid_t *pid, const char *what, const char *timeout,
		      const char *failed)
{
	struct cr_error werr = CR_ERROR_INIT;
	int status = 0;
	int r = cr_child_wait(*pid, 0, left_ms(run), what, &status, &werr);
	cr_error_clear(&werr);
	if (r < 0) {
		set_why(run, timeout);
		return false;
	}
	*pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	set_why(run, failed);
	return false;
}

/* Wait until LOG holds NEEDLE, or *PID ends (then reaped: *PID = 0), or the
 * deadline passes; true when it holds it. */
static bool appears(struct lazy_run *run, const char *log, const char *needle, pid_t *pid)
{
	while (left_ms(run) > 0) {
		if (log_has(run, log, needle))
			return true;
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return false;
		}
		nap();
	}
	return false;
}

static pid_t read_pidfile(const struct lazy_run *run)
{
	cleanup_free char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/restored.pid", run->dir) < 0) {
		path = NULL;
		return 0;
	}
	if (cr_read_file(path, 64, &text, NULL, NULL) < 0)
		return 0;
	long v = strtol(text, NULL, 10);
	return v > 1 && v < INT_MAX ? (pid_t)v : 0;
}

/* 1 when the round trip worked, 0 when it failed (RUN->why says why). */
static int round_trip(struct lazy_run *run, struct cr_error *err)
{
	int r = start_victim(run, err);
	if (r < 0)
		return r;
	int port = free_port(err);
	if (port < 0)
		return port;
	char pid[16], port_s[16];
	snprintf(pid, sizeof(pid), "%d", (int)run->victim);
	snprintf(port_s, sizeof(port_s), "%d", port);
	char *dump[] = {"dump", "-t", pid, "-D", run->dir, "-o", "dump.log", "-v4", "--lazy-pages",
			"--address", "127.0.0.1", "--port", port_s, NULL};
	char *pages[] = {"lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", port_s,
			 "-D", run->dir, "-o", "lazy.log", "-v4", NULL};
	char *restore[] = {"restore", "-D", run->dir, "--lazy-pages", "-o", "restore.log", "-v4",
			   "--pidfile", "restored.pid", NULL};
	if ((r = start_criu(run, dump, &run->dump, err)) < 0)
		return r;
	if (!appears(run, "dump.log", "Starting lazy pages server", &run->dump)) {
		set_why(run, "criu dump --lazy-pages did not start its page server");
		return 0;
	}
	if ((r = start_criu(run, pages, &run->pages, err)) < 0)
		return r;
	if (!appears(run, "lazy.log", "Waiting for incoming connections", &run->pages)) {
		set_why(run, "criu lazy-pages did not start");
		return 0;
	}
	if ((r = start_criu(run, restore, &run->restore, err)) < 0)
		return r;
	/* The dump ends when every page went to the restored copy. */
	bool ok = criu_ends(run, &run->dump, "criu dump", "criu dump --lazy-pages did not finish in time",
			    "criu dump --lazy-pages failed without an error in its log");
	ok = criu_ends(run, &run->pages, "criu lazy-pages", "criu lazy-pages did not finish in time",
		       "criu lazy-pages failed without an error in its log") && ok;
	if (!ok)
		return 0;
	while (!(run->restored = read_pidfile(run)) && left_ms(run) > 0 &&
	       waitpid(run->restore, NULL, WNOHANG) == 0)
		nap();
	if (!run->restored || kill(run->restored, 0) < 0 ||
	    !log_has(run, "restore.log", "Restore finished successfully")) {
		set_why(run, "criu restore --lazy-pages did not leave a running copy");
		return 0;
	}
	return 1;
}

static void end_run(struct lazy_run *run)
{
	if (run->restored > 0)
		kill(run->restored, SIGKILL); /* criu restore, its parent, reaps it */
	cr_child_kill(run->restore, 1);
	cr_child_kill(run->pages, 1);
	cr_child_kill(run->dump, 1);
	if (run->victim > 0)
		kill(run->victim, SIGKILL); /* the holder reaps it */
	cr_child_kill(run->holder, 1);
	if (run->dir && run->dir[0])
		(void)cr_rm_rf(run->dir, NULL);
	free(run->dir);
	free(run->why);
}

int cr_probe_lazy(struct cr_host_facts *f, struct cr_error *err)
{
	char criu[PATH_MAX + 32] = "";
	struct cr_lazy_evidence e = {
		.uffd = f->probes[CR_PROBE_USERFAULTFD].status == CR_PROBE_OK,
		.pipe_max_size = read_pipe_max_size(),
		.cap_sys_resource = read_cap_sys_resource(),
		.pipe_grows = pipe_grows(),
		.round_trip = -1,
		.criu = criu,
	};
	if (f->criu_path)
		snprintf(criu, sizeof(criu), "%s at %s", f->criu_version ? f->criu_version : "?",
			 f->criu_path);
	if (!e.uffd)
		return cr_lazy_verdict(f, &e, err);
	if (geteuid() != 0) {
		e.why = "a CRIU dump needs root: run corral check as root";
		return cr_lazy_verdict(f, &e, err);
	}
	if (!f->criu_path || f->probes[CR_PROBE_CRIU_CHECK].status != CR_PROBE_OK) {
		e.why = "no working criu (see criu and criu-check)";
		return cr_lazy_verdict(f, &e, err);
	}
	struct lazy_run run = {.f = f};
	const char *tmp = getenv("TMPDIR");
	run.deadline = cr_now_ms() + CR_LAZY_PROBE_MS;
	if (asprintf(&run.dir, "%s/corral-lazy-probe-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp") < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!mkdtemp(run.dir)) {
		int r = cr_error_errno(err, "cannot make a directory for the lazy-pages probe in %s",
				       tmp && *tmp == '/' ? tmp : "/tmp");
		free(run.dir);
		return r;
	}
	struct cr_error rerr = CR_ERROR_INIT;
	int r = round_trip(&run, &rerr);
	cr_debug("lazy round trip: %d (%s)", r, run.why ? run.why : cr_error_msg(&rerr));
	e.round_trip = r > 0 ? 1 : 0;
	e.why = r < 0 ? cr_error_msg(&rerr) : run.why;
	r = cr_lazy_verdict(f, &e, err);
	end_run(&run);
	cr_error_clear(&rerr);
	return r;
}
