/* The NFS module against a real server: the one NFS_TEST_ENV describes
 * (test_nfs_fuse.sh runs this so), or with NFS_TEST_START=1 one started here
 * by tests/integration/lib/nfs_server.sh:
 * probes (ok, unreachable, missing export, read-only, root squash), the FUSE
 * client driven from a shell and checked on the server's side, and a
 * partition's root part populated onto an export. Skips when not root or
 * when /dev/fuse, ganesha or rpcbind is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "partition/rootfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static struct {
	bool skip;
	bool started; /* we started the server and stop it */
	char statedir[64];
	char rootdir[64]; /* CORRAL_ROOT */
	char port_opts[128];
	char rw[512], ro[512], squash[512];
} srv;

static void read_env(const char *path)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	assert_non_null(f);
	char line[1024];
	int nfs_port = 0, mnt_port = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "NFS_PORT"))
			nfs_port = (int)strtol(v, NULL, 10);
		else if (!strcmp(line, "MNT_PORT"))
			mnt_port = (int)strtol(v, NULL, 10);
		else if (!strcmp(line, "NFS_EXPORT_RW"))
			snprintf(srv.rw, sizeof(srv.rw), "%s", v);
		else if (!strcmp(line, "NFS_EXPORT_RO"))
			snprintf(srv.ro, sizeof(srv.ro), "%s", v);
		else if (!strcmp(line, "NFS_EXPORT_SQUASH"))
			snprintf(srv.squash, sizeof(srv.squash), "%s", v);
	}
	assert_true(nfs_port > 0 && mnt_port > 0 && srv.rw[0]);
	snprintf(srv.port_opts, sizeof(srv.port_opts), "port=%d,mountport=%d", nfs_port, mnt_port);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_true(n > 0);
	int status = system(cmd);
	free(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int setup(void **state)
{
	(void)state;
	if (getuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		srv.skip = true;
		return 0;
	}
	snprintf(srv.rootdir, sizeof(srv.rootdir), "/tmp/corral-nfs-root.XXXXXX");
	assert_non_null(mkdtemp(srv.rootdir));
	setenv("CORRAL_ROOT", srv.rootdir, 1);
	setenv("CORRAL_NFS_CLIENT", "fuse", 1); /* the client this test is about */
	const char *env = getenv("NFS_TEST_ENV");
	if (env && *env) {
		read_env(env);
		return 0;
	}
	/* A server takes seconds to start and stop, more than a unit test's
	 * budget under ASan on a busy host: test_nfs_fuse.sh runs this test with
	 * its server; NFS_TEST_START=1 starts one here instead. */
	const char *start = getenv("NFS_TEST_START");
	if (!start || strcmp(start, "1") != 0) {
		fprintf(stderr, "skipped: run by integration/test_nfs_fuse.sh (or set NFS_TEST_START=1)\n");
		srv.skip = true;
		return 0;
	}
	const char *src = getenv("CORRAL_SOURCE_DIR");
	assert_non_null(src);
	snprintf(srv.statedir, sizeof(srv.statedir), "/tmp/corral-nfs-srv.XXXXXX");
	assert_non_null(mkdtemp(srv.statedir));
	int rc = run("bash %s/tests/integration/lib/nfs_server.sh start %s >/dev/null", src, srv.statedir);
	if (rc == 77) {
		srv.skip = true;
		return 0;
	}
	assert_int_equal(rc, 0);
	srv.started = true;
	char path[128];
	snprintf(path, sizeof(path), "%s/env", srv.statedir);
	read_env(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *src = getenv("CORRAL_SOURCE_DIR");
	if (srv.started)
		run("bash %s/tests/integration/lib/nfs_server.sh stop %s", src, srv.statedir);
	if (srv.statedir[0])
		cr_rm_rf(srv.statedir, NULL);
	if (srv.rootdir[0])
		cr_rm_rf(srv.rootdir, NULL);
	return 0;
}

#define NEED_SERVER()                                                                              \
	do {                                                                                       \
		if (srv.skip)                                                                      \
			skip();                                                                    \
	} while (0)

static struct cr_nfs_options opts(const char *extra)
{
	char text[256];
	snprintf(text, sizeof(text), "%s%s%s", srv.port_opts, extra ? "," : "", extra ? extra : "");
	struct cr_nfs_options o;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_nfs_options_parse(text, &o, &err), 0);
	o.timeout_s = 5;
	return o;
}

static void probe_ok(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_export_info info;
	struct cr_nfs_options o = opts(NULL);
	assert_int_equal(cr_nfs_probe_export("127.0.0.1", srv.rw, &o, &info, &err), 0);
	assert_true(info.writable);
	assert_false(info.root_squashed);
	assert_true(info.bytes_total > 0 && info.bytes_avail <= info.bytes_total);
	/* The probe file is gone again. */
	assert_int_equal(run("test -z \"$(ls -A %s | grep corral-probe)\"", srv.rw), 0);
	/* A read-only mount only asks for reachability and room. */
	o = opts("ro");
	assert_int_equal(cr_nfs_probe_export("127.0.0.1", srv.ro, &o, &info, &err), 0);
	assert_false(info.writable);
}

static void expect_probe_error(const char *exp, const char *extra, int code, const char *what)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_nfs_export_info info = {.bytes_total = 42};
	struct cr_nfs_options o;
	if (extra && !strcmp(extra, "wrong-port"))
		assert_int_equal(cr_nfs_options_parse("port=1,mountport=1,timeout=5", &o, &err), 0);
	else
		o = opts(extra);
	assert_int_equal(cr_nfs_probe_export("127.0.0.1", exp, &o, &info, &err), -code);
	char where[600];
	snprintf(where, sizeof(where), "127.0.0.1:%s: ", exp);
	assert_non_null(strstr(cr_error_msg(&err), where));
	assert_non_null(strstr(cr_error_msg(&err), what));
	assert_null(strchr(cr_error_msg(&err), '\n'));
	assert_int_equal(info.bytes_total, 42); /* untouched */
	cr_error_clear(&err);
}

static void probe_errors_name_the_cause(void **state)
{
	(void)state;
	NEED_SERVER();
	char missing[600];
	snprintf(missing, sizeof(missing), "%s-missing", srv.rw);
	expect_probe_error(srv.rw, "wrong-port", EHOSTUNREACH, "server unreachable: port 1: Connection refused");
	expect_probe_error(missing, NULL, ENOENT, "no such export");
	expect_probe_error(srv.ro, NULL, EACCES, "permission denied");
	expect_probe_error(srv.squash, NULL, EPERM, "root is squashed");
}

/* One line of /proc/mounts for MP, or "" */
static bool mounted(const char *mp, const char *type)
{
	return run("grep -q ' %s %s ' /proc/mounts", mp, type) == 0;
}

/* Mount the read-write export on a fresh directory (RET_MP, 64 bytes). */
static pid_t mount_rw(char *ret_mp)
{
	struct cr_error err = CR_ERROR_INIT;
	snprintf(ret_mp, 64, "/tmp/corral-nfs-mp.XXXXXX");
	assert_non_null(mkdtemp(ret_mp));
	struct cr_mount m = {.directory = "/data", .vfs = "nfs", .host = "127.0.0.1", .dev = srv.rw,
			     .mountopts = srv.port_opts};
	pid_t server = 0;
	assert_int_equal(cr_nfs_mount(&m, ret_mp, &server, &err), 0);
	assert_true(server > 0);
	assert_true(mounted(ret_mp, "fuse.nfs"));
	return server;
}

static void fuse_mount_from_a_shell(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	char mp[64];
	pid_t server = mount_rw(mp);
	assert_int_equal(run("test \"$(cat /proc/%d/comm)\" = cor_nfs", (int)server), 0);

	/* Everything through the mount, from a shell. */
	assert_int_equal(run("set -e; cd %s; mkdir ops; cd ops; printf 'hello nfs\\n' > f; test \"$(cat f)\" = 'hello nfs';"
			     "mv f g; echo more >> g; chmod 0640 g; chown 65534:65534 g; ln -s g lnk;"
			     "test \"$(readlink lnk)\" = g; test \"$(cat lnk)\" = \"$(printf 'hello nfs\\nmore')\";"
			     "mkdir -p d/e; chmod 0750 d; mkdir gone; rmdir gone; echo x > del; rm del;"
			     "head -c 100000 /dev/urandom > big; cp big big2; cmp big big2; truncate -s 3 big2;"
			     "touch -d @1000000000 g; mkdir pub; chmod 1777 pub; sync",
			     mp), 0);
	/* Another user's requests carry its uid: the server checks and owns. */
	assert_int_not_equal(run("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x > %s/ops/denied' 2>/dev/null", mp), 0);
	assert_int_equal(run("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo y > %s/ops/pub/mine'", mp), 0);
	/* Supplementary groups travel too: only group 4242 may write in grp. */
	assert_int_equal(run("mkdir %s/ops/grp && chown 0:4242 %s/ops/grp && chmod 0770 %s/ops/grp", mp, mp, mp), 0);
	assert_int_equal(run("setpriv --reuid=65534 --regid=65534 --groups=4242 sh -c 'echo z > %s/ops/grp/ours'", mp), 0);
	assert_int_not_equal(run("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo z > %s/ops/grp/not' 2>/dev/null", mp), 0);

	/* The server's side: content, names, modes, owners, times. */
	char p[700];
	snprintf(p, sizeof(p), "%s/ops", srv.rw);
	assert_int_equal(run("test \"$(cat %s/g)\" = \"$(printf 'hello nfs\\nmore')\"", p), 0);
	assert_int_equal(run("test ! -e %s/f && test ! -e %s/del && test ! -e %s/gone && test ! -e %s/denied", p, p, p, p), 0);
	assert_int_equal(run("test \"$(stat -c '%%a %%u %%g %%Y' %s/g)\" = '640 65534 65534 1000000000'", p), 0);
	assert_int_equal(run("test \"$(readlink %s/lnk)\" = g && test -L %s/lnk", p, p), 0);
	assert_int_equal(run("test -d %s/d/e && test \"$(stat -c %%a %s/d)\" = 750", p, p), 0);
	assert_int_equal(run("cmp -s %s/big %s/big2; test \"$(stat -c %%s %s/big2)\" = 3 && test \"$(stat -c %%s %s/big)\" = 100000", p, p, p, p), 0);
	assert_int_equal(run("test \"$(stat -c '%%u %%g' %s/pub/mine)\" = '65534 65534'", p), 0);
	assert_int_equal(run("test \"$(stat -c '%%u %%g' %s/grp/ours)\" = '65534 65534' && test ! -e %s/grp/not", p, p), 0);
	/* And what the server changes shows through the mount. */
	assert_int_equal(run("echo fromserver > %s/srv; sleep 1.2; test \"$(cat %s/ops/srv)\" = fromserver", p, mp), 0);

	assert_int_equal(cr_nfs_fuse_unmount(mp, server, 10000, &err), 0);
	assert_false(mounted(mp, "fuse.nfs"));
	assert_int_equal(kill(server, 0), -1); /* reaped: no server left */
	assert_int_equal(errno, ESRCH);
	assert_int_equal(rmdir(mp), 0);
	run("rm -rf %s", p);
}

static void unmount_of_a_busy_mount_is_refused(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	char mp[64];
	pid_t server = mount_rw(mp);
	int fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cr_nfs_unmount(mp, server, 10000, &err), -EBUSY);
	assert_non_null(strstr(cr_error_msg(&err), mp));
	cr_error_clear(&err);
	assert_true(mounted(mp, "fuse.nfs"));
	close(fd);
	assert_int_equal(cr_nfs_unmount(mp, server, 10000, &err), 0);
	assert_int_equal(kill(server, 0), -1);
	assert_int_equal(rmdir(mp), 0);
}

/* Where the kernel has no NFS client (this test's usual host), the kernel
 * path still reaches the export first, then mount(2) answers ENODEV and
 * cr_nfs_mount falls back to FUSE. */
static void kernel_client_falls_back_to_fuse(void **state)
{
	(void)state;
	NEED_SERVER();
	if (run("grep -qw nfs /proc/filesystems") == 0)
		skip(); /* a real kernel client: not what this test is about */
	struct cr_error err = CR_ERROR_INIT;
	char mp[64];
	snprintf(mp, sizeof(mp), "/tmp/corral-nfs-mp.XXXXXX");
	assert_non_null(mkdtemp(mp));
	char missing[600];
	snprintf(missing, sizeof(missing), "%s-missing", srv.rw);
	struct cr_mount m = {.directory = "/data", .vfs = "nfs", .host = "127.0.0.1", .dev = missing,
			     .mountopts = srv.port_opts};
	assert_int_equal(cr_nfs_kernel_mount(&m, mp, &err), -ENOENT); /* probed before mount(2) */
	cr_error_clear(&err);
	m.dev = srv.rw;
	assert_int_equal(cr_nfs_kernel_mount(&m, mp, &err), -ENODEV);
	assert_non_null(strstr(cr_error_msg(&err), "kernel NFSv3"));
	assert_non_null(strstr(cr_error_msg(&err), "127.0.0.1:"));
	cr_error_clear(&err);
	setenv("CORRAL_NFS_CLIENT", "kernel", 1);
	pid_t server = 0;
	int r = cr_nfs_mount(&m, mp, &server, &err);
	setenv("CORRAL_NFS_CLIENT", "fuse", 1);
	assert_int_equal(r, 0);
	assert_true(server > 0);
	assert_true(mounted(mp, "fuse.nfs"));
	assert_int_equal(cr_nfs_unmount(mp, server, 10000, &err), 0);
	assert_int_equal(rmdir(mp), 0);
}

static void mount_failures_leave_nothing(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	char mp[64] = "/tmp/corral-nfs-mp.XXXXXX";
	assert_non_null(mkdtemp(mp));
	char missing[600];
	snprintf(missing, sizeof(missing), "%s-missing", srv.rw);
	struct cr_mount m = {.directory = "/data", .vfs = "nfs", .host = "127.0.0.1", .dev = missing,
			     .mountopts = srv.port_opts};
	pid_t server = 0;
	assert_int_equal(cr_nfs_fuse_mount(&m, mp, &server, &err), -EIO);
	assert_non_null(strstr(cr_error_msg(&err), "no such export"));
	cr_error_clear(&err);
	assert_int_equal(server, 0);
	assert_false(mounted(mp, "fuse.nfs"));
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* the server process was reaped */
	assert_int_equal(rmdir(mp), 0);
}

static int write_marker(const char *mountpoint, void *data, struct cr_error *err)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", mountpoint, (const char *)data) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	int r = cr_write_file_atomic(p, "x\n", 2, 0600, err);
	free(p);
	return r < 0 ? r : cr_error_set(err, EALREADY, "fn failed on purpose in %s", mountpoint);
}

static void with_mounted_returns_fn_result_and_unmounts(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	struct cr_mount m = {.directory = "/", .vfs = "nfs", .host = "127.0.0.1", .dev = srv.rw,
			     .mountopts = srv.port_opts};
	assert_int_equal(cr_nfs_with_mounted(&m, write_marker, "marker", &err), -EALREADY);
	assert_non_null(strstr(cr_error_msg(&err), "on purpose"));
	cr_error_clear(&err);
	assert_int_equal(run("test -f %s/marker && rm %s/marker", srv.rw, srv.rw), 0);
	/* The temporary mount point is unmounted and removed. */
	assert_int_equal(run("test -z \"$(ls -A %s/run/corral)\" && ! grep -q fuse.nfs /proc/mounts", srv.rootdir), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void populate_root_part_onto_export(void **state)
{
	(void)state;
	NEED_SERVER();
	struct cr_error err = CR_ERROR_INIT;
	run("rm -rf %s/* %s/.[!.]*", srv.rw, srv.rw);
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	cfg.name = "nfsroot";
	cfg.hostname = "nfshost";
	cfg.type = CR_TYPE_SYSTEM;
	struct cr_mount root = {.directory = "/", .vfs = "nfs", .host = "127.0.0.1", .dev = srv.rw,
				.mountopts = srv.port_opts};
	assert_int_equal(cr_rootfs_populate_nfs(&cfg, &root, &err), 0);
	const char *e = srv.rw;
	assert_int_equal(run("test \"$(cat %s/etc/hostname)\" = nfshost && test -d %s/etc/corral", e, e), 0);
	assert_int_equal(run("test \"$(stat -c %%a %s/tmp)\" = 1777 && test \"$(stat -c %%a %s/root)\" = 700", e, e), 0);
	assert_int_equal(run("test \"$(stat -c '%%a %%u %%g' %s/etc/shadow)\" = \"$(stat -c '%%a %%u %%g' /etc/shadow)\"", e), 0);
	assert_int_equal(run("test \"$(readlink %s/var/run)\" = /run && cmp -s /etc/passwd %s/etc/passwd", e, e), 0);
	assert_int_equal(run("test ! -e %s/.corral-populate && test \"$(stat -c %%a %s)\" = 755", e, e), 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);

	/* A second mkwpar onto the same export must not overwrite it... */
	assert_int_equal(cr_rootfs_populate_nfs(&cfg, &root, &err), -EEXIST);
	assert_non_null(strstr(cr_error_msg(&err), "not empty"));
	cr_error_clear(&err);
	/* ...unless it preserves it (mkwpar -p): only the hostname changes. */
	cfg.preserve = true;
	cfg.hostname = "renamed";
	assert_int_equal(cr_rootfs_populate_nfs(&cfg, &root, &err), 0);
	assert_int_equal(run("test \"$(cat %s/etc/hostname)\" = renamed", e), 0);
	/* An export that squashes root cannot hold a partition's root. */
	cfg.preserve = false;
	root.dev = srv.squash;
	assert_int_equal(cr_rootfs_populate_nfs(&cfg, &root, &err), -EPERM);
	assert_non_null(strstr(cr_error_msg(&err), "nfsroot"));
	assert_non_null(strstr(cr_error_msg(&err), "root is squashed"));
	cr_error_clear(&err);
	run("rm -rf %s/* %s/.[!.]*", srv.rw, srv.rw);
}

/* The whole design end to end: a root part populated onto the export, the
 * partition's NFS stanzas mounted under its base directory (a read-only one
 * below the NFS "/"), and a system partition runs inside with / on the
 * export; afterwards everything is unmounted and rmwpar's removal empties the
 * export (needs the CLI: run from test_nfs_fuse.sh). */
static void partition_runs_on_the_export(void **state)
{
	(void)state;
	NEED_SERVER();
	const char *bin = getenv("CORRAL_BUILD_DIR");
	if (!bin)
		skip();
	struct cr_error err = CR_ERROR_INIT;
	run("rm -rf %s/* %s/.[!.]*; echo shared > %s/shared.txt", srv.rw, srv.rw, srv.ro);
	char base[128], ro_opts[160];
	snprintf(base, sizeof(base), "%s/base", srv.rootdir);
	snprintf(ro_opts, sizeof(ro_opts), "%s,ro", srv.port_opts);
	struct cr_mount mounts[] = {
		{.directory = "/srv/data", .vfs = "nfs", .host = "127.0.0.1", .dev = srv.ro, .mountopts = ro_opts},
		{.directory = "/", .vfs = "nfs", .host = "127.0.0.1", .dev = srv.rw, .mountopts = srv.port_opts},
	};
	struct cr_wpar_config cfg;
	cr_config_init(&cfg);
	cfg.name = "nfsrun";
	cfg.hostname = "nfsrun";
	cfg.type = CR_TYPE_SYSTEM;
	cfg.directory = base;
	cfg.mounts = mounts;
	cfg.n_mounts = 2;
	assert_int_equal(cr_rootfs_populate_nfs(&cfg, &mounts[1], &err), 0);
	assert_int_equal(cr_nfs_mount_all(&cfg, &err), 0);
	assert_int_equal(cr_nfs_mount_all(&cfg, &err), 0); /* mounted already: kept */
	assert_int_equal(run("test $(grep -c ' %s[/ ].*fuse.nfs' /proc/mounts) = 2", base), 0);
	char parent[64];
	snprintf(parent, sizeof(parent), "corral-nfs-live-%d", (int)getpid());
	setenv("CORRAL_CGROUP_PARENT", parent, 1);
	/* Step by step, so a failure names its step; the cleanup runs anyway. */
	static const char *const steps[] = {
		"$B/mkwpar -n nfsrun -p -d $BASE >/dev/null",
		"$B/startwpar nfsrun >/dev/null",
		"test \"$($B/clogin nfsrun hostname)\" = nfsrun",
		"$B/clogin nfsrun sh -c 'grep -q \" / fuse.nfs \" /proc/mounts && echo inside > /root/made-inside'",
		"test \"$($B/clogin nfsrun cat /srv/data/shared.txt)\" = shared",
		"! $B/clogin nfsrun sh -c 'echo x > /srv/data/no' 2>/dev/null",
		"test \"$(cat $EXPORT/root/made-inside)\" = inside",
		NULL,
	};
	const char *failed = NULL;
	for (const char *const *step = steps; *step && !failed; step++)
		if (run("B=%s/cli BASE=%s EXPORT=%s; %s", bin, base, srv.rw, *step) != 0)
			failed = *step;
	if (failed)
		fprintf(stderr, "partition_runs_on_the_export: failed: %s\n", failed);
	run("B=%s/cli; $B/stopwpar -F nfsrun >/dev/null 2>&1; $B/rmwpar -F -p nfsrun >/dev/null 2>&1;"
	    "rmdir /sys/fs/cgroup/*/%s /sys/fs/cgroup/%s 2>/dev/null", bin, parent, parent);
	assert_null(failed);
	assert_int_equal(cr_nfs_unmount_all(&cfg, 10000, &err), 0);
	assert_int_not_equal(run("grep -q fuse.nfs /proc/mounts"), 0);
	/* The servers end by themselves once unmounted; reap them. */
	for (int i = 0; i < 50 && waitpid(-1, NULL, WNOHANG) != -1; i++)
		usleep(100000);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);

	assert_int_equal(cr_nfs_remove_root_part(&mounts[1], &err), 0);
	assert_int_equal(run("test -z \"$(ls -A %s)\"", srv.rw), 0);
	/* An export that holds no partition root is not emptied. */
	run("echo keep > %s/precious", srv.rw);
	assert_int_equal(cr_nfs_remove_root_part(&mounts[1], &err), -EPERM);
	assert_non_null(strstr(cr_error_msg(&err), "does not look like a partition's root"));
	cr_error_clear(&err);
	assert_int_equal(run("test -f %s/precious", srv.rw), 0);
	run("rm -rf %s/* %s/shared.txt", srv.rw, srv.ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_ok),
		cmocka_unit_test(probe_errors_name_the_cause),
		cmocka_unit_test(fuse_mount_from_a_shell),
		cmocka_unit_test(unmount_of_a_busy_mount_is_refused),
		cmocka_unit_test(kernel_client_falls_back_to_fuse),
		cmocka_unit_test(mount_failures_leave_nothing),
		cmocka_unit_test(with_mounted_returns_fn_result_and_unmounts),
		cmocka_unit_test(populate_root_part_onto_export),
		cmocka_unit_test(partition_runs_on_the_export),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
