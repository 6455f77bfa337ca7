/* The CRIU engine against the real criu (root only): zdtm-style programs in
 * new pid+mount+uts+ipc namespaces are dumped with cr_criu_dump, restored with
 * cr_criu_restore and must then find their state intact. Also: the network
 * namespace left to the caller (empty_netns, setup_network); a dump that
 * times out leaves no worker or criu behind and the task running, and a
 * failed restore explains itself with CRIU's log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check/host_facts.h"
#include "criu/criu.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define WAIT_MS 20000

/* What a failed test leaves: the directory of the program it started. */
static char *live_dir;

/* How criu runs on this host (the host facts), for every call. */
static struct cr_criu_service host = {NULL, -1};

struct zdtm {
	char *dir;    /* the program's DIR: ready, result, img/ */
	char *img;    /* DIR/img */
	pid_t outer;  /* the unshare process, our child */
	pid_t pid;    /* the program: pid 1 of its namespace, as we see it */
};

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Wait until DIR/NAME exists; then its contents (heap). */
static char *wait_file(const char *dir, const char *name)
{
	cleanup_free char *p = path_in(dir, name);
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		char *data = NULL;
		size_t len = 0;
		if (cr_read_file(p, 4096, &data, &len, NULL) == 0)
			return data;
		nap_ms(10);
	}
	fail_msg("%s did not appear within %d ms", p, WAIT_MS);
	return NULL;
}

/* The only child of PID, from /proc (the program unshare started). */
static pid_t only_child(pid_t pid)
{
	cleanup_free char *p = NULL;
	assert_true(asprintf(&p, "/proc/%d/task/%d/children", (int)pid, (int)pid) > 0);
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		char *data = NULL;
		size_t len = 0;
		if (cr_read_file(p, 4096, &data, &len, NULL) == 0 && len > 0) {
			long child = strtol(data, NULL, 10);
			free(data);
			if (child > 0)
				return (pid_t)child;
		}
		free(data);
		nap_ms(10);
	}
	fail_msg("unshare %d started no program", (int)pid);
	return -1;
}

/* Reap PID within WAIT_MS; returns its wait status. */
static int reap(pid_t pid)
{
	for (int waited = 0; waited < WAIT_MS; waited += 5) {
		int status = 0;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		assert_int_not_equal(r, -1);
		nap_ms(5);
	}
	fail_msg("pid %d did not exit", (int)pid);
	return -1;
}

/* Start PROGRAM as pid 1 of new pid, mount, uts and ipc namespaces (and a
 * network namespace with NET), in its own session, with no descriptor from
 * outside; wait until it is ready. */
static struct zdtm start_zdtm_ns(const char *program, bool net)
{
	struct zdtm z = {0};
	char tmpl[] = "/tmp/corral-criu-test-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	z.dir = strdup(tmpl);
	free(live_dir);
	live_dir = strdup(tmpl);
	z.img = path_in(z.dir, "img");
	assert_int_equal(mkdir(z.img, 0700), 0);
	const char *build = getenv("CORRAL_BUILD_DIR");
	assert_non_null(build);
	cleanup_free char *helper = NULL;
	assert_true(asprintf(&helper, "%s/tests/helpers/%s", build, program) > 0);
	assert_int_equal(access(helper, X_OK), 0);

	z.outer = fork();
	assert_true(z.outer >= 0);
	if (z.outer == 0) {
		setsid();
		int null_fd = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3; fd++)
			dup2(null_fd, fd);
		execlp("unshare", "unshare", "--fork", "--pid", "--mount-proc", "--uts", "--ipc",
		       net ? "--net" : "--ipc", helper, z.dir, "--private-mounts", (char *)NULL);
		_exit(127);
	}
	free(wait_file(z.dir, "ready"));
	z.pid = only_child(z.outer);
	return z;
}

static struct zdtm start_zdtm(const char *program)
{
	return start_zdtm_ns(program, false);
}

/* After each test: kill whatever it left (every process it started is our
 * descendant, and as a subreaper we are the parent of the orphans). */
static int teardown(void **state)
{
	(void)state;
	cleanup_free char *p = NULL;
	if (asprintf(&p, "/proc/self/task/%d/children", (int)getpid()) < 0)
		return -1;
	char *data = NULL;
	size_t len = 0;
	if (cr_read_file(p, 65536, &data, &len, NULL) == 0) {
		char *save = NULL;
		for (char *t = strtok_r(data, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
			pid_t child = (pid_t)strtol(t, NULL, 10);
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
		}
		free(data);
	}
	if (live_dir) {
		cr_rm_rf(live_dir, NULL);
		free(live_dir);
		live_dir = NULL;
	}
	return 0;
}

static void stop_zdtm(struct zdtm *z)
{
	if (z->outer > 0) {
		kill(z->outer, SIGKILL);
		waitpid(z->outer, NULL, 0);
	}
	if (z->pid > 0)
		kill(z->pid, SIGKILL);
	cr_rm_rf(z->dir, NULL);
	free(z->dir);
	free(z->img);
	free(live_dir);
	live_dir = NULL;
}

/* Tell the program to verify its state; assert it says PASS. */
static void expect_pass(struct zdtm *z, pid_t pid)
{
	assert_int_equal(kill(pid, SIGUSR1), 0);
	cleanup_free char *result = wait_file(z->dir, "result");
	if (strcmp(result, "PASS\n") != 0)
		fail_msg("%s", result);
	cleanup_free char *p = path_in(z->dir, "result");
	assert_int_equal(unlink(p), 0);
}

/* Dump Z with options D (images dir and pid filled in here). Without
 * leave_running the program is gone afterwards and unshare reports it. */
static void dump_zdtm(struct zdtm *z, struct cr_criu_dump_opts d)
{
	struct cr_error err = CR_ERROR_INIT;
	d.common.service = &host;
	d.common.images_dir = z->img;
	d.common.timeout_ms = 60000;
	d.pid = z->pid;
	if (cr_criu_dump(&d, &err) < 0)
		fail_msg("%s", err.msg);
	if (d.leave_running)
		return;
	int status = reap(z->outer);
	z->outer = -1;
	assert_true(WIFSIGNALED(status) || WIFEXITED(status));
	assert_int_equal(kill(z->pid, 0), -1);
	z->pid = -1;
}

/* Restore Z's images with options R; returns the restored root. A mount
 * namespace is only restored with --root: here the host's /, of which the
 * program's namespace is a copy. */
static pid_t restore_zdtm(struct zdtm *z, struct cr_criu_restore_opts r)
{
	struct cr_error err = CR_ERROR_INIT;
	r.common.service = &host;
	r.common.images_dir = z->img;
	r.common.root = "/";
	if (!r.common.timeout_ms)
		r.common.timeout_ms = 60000;
	pid_t pid = -1;
	if (cr_criu_restore(&r, &pid, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(pid > 0);
	/* The restored root leads its own session and group again, not the worker's. */
	assert_int_equal(getsid(pid), pid);
	assert_int_equal(getpgid(pid), pid);
	return pid;
}

/* PID verifies its state and exits; we are a subreaper, so it is our child. */
static void pass_and_reap(struct zdtm *z, pid_t pid)
{
	expect_pass(z, pid);
	int status = reap(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Dump the zdtm program named by *STATE, restore it, and expect PASS. */
static void dump_restore(void **state)
{
	struct zdtm z = start_zdtm(*state);
	dump_zdtm(&z, (struct cr_criu_dump_opts){0});
	pid_t pid = restore_zdtm(&z, (struct cr_criu_restore_opts){0});
	pass_and_reap(&z, pid);
	stop_zdtm(&z);
}

/* From /proc/PID/stat: the state letter and the parent. */
static void read_stat(pid_t pid, char *ret_state, pid_t *ret_ppid)
{
	cleanup_free char *p = NULL;
	assert_true(asprintf(&p, "/proc/%d/stat", (int)pid) > 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(p, 4096, &data, &len, NULL), 0);
	char *close_paren = strrchr(data, ')');
	assert_non_null(close_paren);
	*ret_state = close_paren[2];
	*ret_ppid = (pid_t)strtol(close_paren + 4, NULL, 10);
	free(data);
}

static pid_t parent_of(pid_t pid)
{
	char state;
	pid_t ppid;
	read_stat(pid, &state, &ppid);
	return ppid;
}

/* "T" (stopped) or "t" (traced) means CRIU left it frozen. */
static char task_state(pid_t pid)
{
	char state;
	pid_t ppid;
	read_stat(pid, &state, &ppid);
	return state;
}

/* leave_running: the original keeps going and the copy restores beside it
 * (its own pid namespace); both find their state intact. */
static void leave_running_keeps_the_original(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm("zdtm_socketpair");
	dump_zdtm(&z, (struct cr_criu_dump_opts){.leave_running = true});
	assert_int_equal(kill(z.pid, 0), 0);
	pid_t copy = restore_zdtm(&z, (struct cr_criu_restore_opts){0});
	assert_int_not_equal(copy, z.pid);
	pass_and_reap(&z, copy);
	expect_pass(&z, z.pid);
	assert_true(WIFEXITED(reap(z.outer)));
	z.outer = z.pid = -1;
	stop_zdtm(&z);
}

/* restore_sibling: the root is made the worker's child, then ours when the
 * worker exits (we are a subreaper). */
static void restore_sibling_becomes_our_child(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm("zdtm_pipe");
	dump_zdtm(&z, (struct cr_criu_dump_opts){0});
	pid_t pid = restore_zdtm(&z, (struct cr_criu_restore_opts){.restore_sibling = true});
	assert_int_equal(parent_of(pid), getpid());
	pass_and_reap(&z, pid);
	stop_zdtm(&z);
}

/* The options a partition uses: its own network namespace locked with
 * nftables, external mounts resolved automatically, cgroups left alone. */
static void partition_options_round_trip(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm_ns("zdtm_counter", true);
	struct cr_criu_common c = {
		.tcp_established = true,
		.file_locks = true,
		.ext_mount_map_auto = true,
		.manage_cgroups_ignore = true,
		.network_lock = CR_CRIU_NETLOCK_NFTABLES,
	};
	dump_zdtm(&z, (struct cr_criu_dump_opts){.common = c});
	pid_t pid = restore_zdtm(&z, (struct cr_criu_restore_opts){.common = c});
	pass_and_reap(&z, pid);
	stop_zdtm(&z);
}

/* Our children, from /proc/self/task/<tid>/children. */
static int count_children(void)
{
	cleanup_free char *p = NULL;
	assert_true(asprintf(&p, "/proc/self/task/%d/children", (int)getpid()) > 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(cr_read_file(p, 65536, &data, &len, NULL), 0);
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(data, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		n++;
	free(data);
	return n;
}

static void dump_timeout_leaves_task_running(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm("zdtm_counter");
	int before = count_children();
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_dump_opts d = {.common = {.service = &host, .images_dir = z.img, .timeout_ms = 1},
				      .pid = z.pid};
	assert_int_equal(cr_criu_dump(&d, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_non_null(strstr(err.msg, "criu dump of pid"));
	cr_error_clear(&err);
	/* No worker and no criu: every orphan of the worker would be ours. */
	assert_int_equal(count_children(), before);
	assert_int_equal(kill(z.pid, 0), 0);
	char s = task_state(z.pid);
	assert_true(s != 'T' && s != 't' && s != 'Z');
	expect_pass(&z, z.pid);
	stop_zdtm(&z);
}

/* How many live processes have DIR as an argument (the program under test,
 * restored or not: zombies have no command line). */
static int count_running(const char *dir)
{
	cleanup_dir DIR *d = opendir("/proc");
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		cleanup_free char *p = NULL;
		assert_true(asprintf(&p, "/proc/%s/cmdline", e->d_name) > 0);
		char *args = NULL;
		size_t len = 0;
		if (cr_read_file(p, 65536, &args, &len, NULL) < 0)
			continue;
		for (size_t off = 0; off < len; off += strlen(args + off) + 1)
			if (strcmp(args + off, dir) == 0) {
				n++;
				break;
			}
		free(args);
	}
	return n;
}

/* Restores cut short at growing deadlines leave no restored task, worker or
 * criu behind, and the images still restore afterwards. */
static void restore_cut_short_leaves_nothing(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm("zdtm_counter");
	dump_zdtm(&z, (struct cr_criu_dump_opts){0});
	int before = count_children();
	static const int deadlines[] = {1, 50, 100, 150, 200, 250, 300, 400, 500, 700, 1000};
	int cut = 0;
	for (size_t i = 0; i < sizeof(deadlines) / sizeof(deadlines[0]); i++) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_criu_restore_opts r = {
			.common = {.service = &host, .images_dir = z.img, .root = "/", .timeout_ms = deadlines[i]}};
		pid_t pid = -1;
		int ret = cr_criu_restore(&r, &pid, &err);
		if (ret == 0) {
			pass_and_reap(&z, pid);
			break;
		}
		if (ret != -ETIMEDOUT)
			fail_msg("restore with %d ms: %s", deadlines[i], err.msg);
		cr_error_clear(&err);
		cut++;
		assert_int_equal(count_running(z.dir), 0);
		assert_int_equal(count_children(), before);
	}
	assert_true(cut > 0);
	pid_t pid = restore_zdtm(&z, (struct cr_criu_restore_opts){0});
	pass_and_reap(&z, pid);
	stop_zdtm(&z);
}

/* On a host whose hardware breakpoints never fire, a dump without
 * CRIU_FAULT hangs in parasite injection: the deadline kills criu and the
 * task, detached by the kernel, runs on with its state intact. */
static void hung_dump_is_cut_and_the_task_runs_on(void **state)
{
	(void)state;
	struct cr_criu_env env = {NULL, false};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_host_criu_env(&env, &err), 0);
	bool needs_fault = env.needs_fault;
	cr_criu_env_free(&env);
	if (!needs_fault)
		skip(); /* breakpoints work here: the dump would not hang */
	struct zdtm z = start_zdtm("zdtm_counter");
	setenv("CORRAL_CRIU_FAULT", "0", 1);
	struct cr_criu_dump_opts d = {.common = {.images_dir = z.img, .timeout_ms = 3000},
				      .pid = z.pid};
	int r = cr_criu_dump(&d, &err);
	unsetenv("CORRAL_CRIU_FAULT");
	assert_int_equal(r, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "timed out after 3000 ms"));
	cr_error_clear(&err);
	char s = task_state(z.pid);
	assert_true(s != 'T' && s != 't' && s != 'Z');
	expect_pass(&z, z.pid);
	stop_zdtm(&z);
}

/* The nftables tables in PID's network namespace, as `nft list tables` says. */
static char *tables_of(pid_t pid)
{
	cleanup_free char *cmd = NULL;
	assert_true(asprintf(&cmd, "nsenter --net=/proc/%d/ns/net nft list tables 2>&1",
			     (int)pid) > 0);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char *text = calloc(1, 4096);
	assert_non_null(text);
	size_t n = fread(text, 1, 4095, f);
	text[n] = '\0';
	pclose(f);
	return text;
}

/* A dump of a tree with its own network namespace, cut while criu holds the
 * nftables network lock, must not leave the tree without network. */
static void cut_dump_releases_the_network_lock(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm_ns("zdtm_counter", true);
	bool removed = false, done = false;
	/* Fine steps: on a quiet host the lock is held for well under 100 ms. */
	for (int deadline = 50; deadline <= 3000 && !removed && !done; deadline += 10) {
		struct cr_error err = CR_ERROR_INIT;
		struct cr_criu_dump_opts d = {
			.common = {.service = &host, .images_dir = z.img,
				   .timeout_ms = deadline,
				   .network_lock = CR_CRIU_NETLOCK_NFTABLES},
			.pid = z.pid,
			.leave_running = true,
		};
		int r = cr_criu_dump(&d, &err);
		if (r == 0) {
			done = true;
			continue;
		}
		if (r != -ETIMEDOUT)
			fail_msg("dump with %d ms: %s", deadline, err.msg);
		removed = strstr(err.msg, "network lock was removed") != NULL;
		cr_error_clear(&err);
		/* CRIU killed while its parasite runs in the task can take the
		 * task with it (guardian.c lets a CRIU finish for that reason):
		 * not this test's subject. Its namespace went with it; the
		 * next deadline gets a fresh tree. */
		if (kill(z.pid, 0) < 0 && errno == ESRCH) {
			stop_zdtm(&z);
			z = start_zdtm_ns("zdtm_counter", true);
			continue;
		}
		cleanup_free char *tables = tables_of(z.pid);
		if (strstr(tables, "CRIU-"))
			fail_msg("after a dump cut at %d ms: %s", deadline, tables);
		char s = task_state(z.pid);
		assert_true(s != 'T' && s != 't' && s != 'Z');
	}
	if (!removed)
		fail_msg("no dump was cut while criu held the network lock");
	expect_pass(&z, z.pid);
	stop_zdtm(&z);
}

/* setup_network hooks: one writes what PID's network namespace holds to
 * ARG/netns (its links, the loopback, the nftables tables), one refuses. */
static int note_network(pid_t pid, void *arg, struct cr_error *err)
{
	cleanup_free char *cmd = NULL;
	if (asprintf(&cmd,
		     "nsenter --net=/proc/%d/ns/net sh -c 'ip -o link | wc -l; ip -o link show lo; "
		     "nft list tables' >%s/netns.tmp 2>&1 && mv %s/netns.tmp %s/netns",
		     (int)pid, (const char *)arg, (const char *)arg, (const char *)arg) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return system(cmd) == 0 ? 0 : cr_error_set(err, EIO, "cannot look at the network of pid %d", (int)pid);
}

static int refuse_network(pid_t pid, void *arg, struct cr_error *err)
{
	(void)arg;
	return cr_error_set(err, ENODEV, "no network for pid %d here", (int)pid);
}

/* empty_netns: the dump leaves the namespace's links out, the restore gives
 * the root an empty namespace (a loopback, down) under criu's nftables lock
 * and calls setup_network there before the tree runs; an error of the hook
 * fails the restore with its own message and leaves no tree. */
static void empty_netns_is_the_callers_to_fill(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm_ns("zdtm_counter", true);
	const struct cr_criu_common c = {.empty_netns = true, .network_lock = CR_CRIU_NETLOCK_NFTABLES};
	/* Its loopback up: a namespace CRIU restored would have it up again. */
	cleanup_free char *up = NULL;
	assert_true(asprintf(&up, "nsenter --net=/proc/%d/ns/net ip link set lo up", (int)z.pid) > 0);
	assert_int_equal(system(up), 0);
	dump_zdtm(&z, (struct cr_criu_dump_opts){.common = c, .leave_running = true});

	struct cr_criu_restore_opts r = {.common = c, .setup_network = refuse_network};
	r.common.service = &host;
	r.common.images_dir = z.img;
	r.common.root = "/";
	r.common.timeout_ms = 60000;
	struct cr_error err = CR_ERROR_INIT;
	pid_t pid = -1;
	assert_true(cr_criu_restore(&r, &pid, &err) < 0);
	assert_int_equal(err.code, ENODEV);
	if (!strstr(err.msg, "no network for pid"))
		fail_msg("%s", err.msg);
	cr_error_clear(&err);

	pid = restore_zdtm(&z, (struct cr_criu_restore_opts){.common = c, .setup_network = note_network,
							     .setup_network_arg = z.dir});
	cleanup_free char *seen = wait_file(z.dir, "netns");
	if (strncmp(seen, "1\n", 2) != 0 || !strstr(seen, "lo:") || !strstr(seen, "state DOWN") ||
	    !strstr(seen, "CRIU-"))
		fail_msg("the restored root's namespace at setup_network: %s", seen);
	pass_and_reap(&z, pid);
	expect_pass(&z, z.pid);
	stop_zdtm(&z);
}

/* Mount a ramfs (which CRIU cannot dump) on DIR/mnt inside PID's mount
 * namespace. */
static void mount_ramfs_in(pid_t pid, const char *dir)
{
	cleanup_free char *mnt = path_in(dir, "mnt");
	assert_int_equal(mkdir(mnt, 0700), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char ns[64];
		snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)pid);
		int fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNS) < 0 || mount("ramfs", mnt, "ramfs", 0, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	int status = reap(child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* When CRIU itself fails after seizing the tree, it lets the tasks go: they
 * run on with their state, and the error quotes CRIU's reason. */
static void failed_dump_lets_the_task_run_on(void **state)
{
	(void)state;
	struct zdtm z = start_zdtm("zdtm_counter");
	mount_ramfs_in(z.pid, z.dir);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_dump_opts d = {.common = {.service = &host, .images_dir = z.img, .timeout_ms = 60000},
				      .pid = z.pid};
	assert_true(cr_criu_dump(&d, &err) < 0);
	assert_non_null(strstr(err.msg, "criu dump of pid"));
	assert_non_null(strstr(err.msg, "dump.log: "));
	if (!strstr(err.msg, "unsupported") || !strstr(err.msg, "Dumping FAILED"))
		fail_msg("%s", err.msg);
	cr_error_clear(&err);
	char s = task_state(z.pid);
	assert_true(s != 'T' && s != 't' && s != 'Z');
	expect_pass(&z, z.pid);
	stop_zdtm(&z);
}

static void failed_restore_quotes_criu_log(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/corral-criu-empty-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	struct cr_error err = CR_ERROR_INIT;
	struct cr_criu_restore_opts r = {.common = {.service = &host, .images_dir = tmpl, .timeout_ms = 60000}};
	pid_t pid = -1;
	assert_true(cr_criu_restore(&r, &pid, &err) < 0);
	assert_int_equal(pid, -1);
	assert_non_null(strstr(err.msg, "criu restore from"));
	assert_non_null(strstr(err.msg, "restore.log: "));
	assert_non_null(strstr(err.msg, "Error ("));
	assert_null(strstr(err.msg, "RLIMIT_NOFILE"));
	cr_error_clear(&err);
	cr_rm_rf(tmpl, NULL);
}

static void version_is_at_least_4_1(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int v = 0;
	assert_int_equal(cr_criu_get_version(&host, &v, &err), 0);
	assert_true(v >= 40100);
	assert_int_equal(cr_criu_check(&host, &err), 0);
	struct cr_criu_features f;
	assert_int_equal(cr_criu_get_features(&host, &f, &err), 0);
}

/* One dump_restore test per zdtm program. */
#define ZDTM(name, program) {#name, dump_restore, NULL, teardown, (void *)(program)}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: the CRIU tests need root\n");
		return 77;
	}
	struct cr_error err = CR_ERROR_INIT;
	int version = 0;
	if (cr_host_criu_service(&host, &err) < 0 || cr_criu_get_version(&host, &version, &err) < 0) {
		fprintf(stderr, "skipped: no usable criu: %s\n", cr_error_msg(&err));
		cr_error_clear(&err);
		return 77;
	}
	/* Restored roots and the worker's orphans become our children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(version_is_at_least_4_1, teardown),
		ZDTM(counter_survives, "zdtm_counter"),
		ZDTM(file_offset_survives, "zdtm_file_offset"),
		ZDTM(pipe_data_survives, "zdtm_pipe"),
		ZDTM(socketpair_data_survives, "zdtm_socketpair"),
		ZDTM(timerfd_survives, "zdtm_timerfd"),
		cmocka_unit_test_teardown(leave_running_keeps_the_original, teardown),
		cmocka_unit_test_teardown(restore_sibling_becomes_our_child, teardown),
		cmocka_unit_test_teardown(partition_options_round_trip, teardown),
		cmocka_unit_test_teardown(dump_timeout_leaves_task_running, teardown),
		cmocka_unit_test_teardown(restore_cut_short_leaves_nothing, teardown),
		cmocka_unit_test_teardown(hung_dump_is_cut_and_the_task_runs_on, teardown),
		cmocka_unit_test_teardown(cut_dump_releases_the_network_lock, teardown),
		cmocka_unit_test_teardown(empty_netns_is_the_callers_to_fill, teardown),
		cmocka_unit_test_teardown(failed_dump_lets_the_task_run_on, teardown),
		cmocka_unit_test_teardown(failed_restore_quotes_criu_log, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
