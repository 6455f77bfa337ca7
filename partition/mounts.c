#define LOG_PREFIX "mounts: "
#include "partition/mounts.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/log.h"

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
		    const char *data, struct cr_error *err)
{
	if (mount(src, dst, type, flags, data) < 0)
		return cr_error_errno(err, "cannot mount %s on %s", src ? src : (type ? type : "(remount)"), dst);
	return 0;
}

static int under(char **ret, const char *root, const char *dir, struct cr_error *err)
{
	if (asprintf(ret, "%s%s", root, strcmp(dir, "/") ? dir : "") < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int bind_readonly(const char *src, const char *dst, struct cr_error *err)
{
	int r = do_mount(src, dst, NULL, MS_BIND | MS_REC, NULL, err);
	if (r < 0)
		return r;
	return do_mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL, err);
}

static bool has_option(const char *opts, const char *want)
{
	if (!opts)
		return false;
	size_t n = strlen(want);
	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int cr_mounts_check_supported(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct cr_mount *m = &cfg->mounts[i];
		struct cr_nfs_options opts;
		if (cr_nfs_is_nfs(m) && cr_nfs_stanza_options(m, m->directory, &opts, err) < 0)
			return cr_error_wrap(err, "mount %s", m->directory);
	}
	return 0;
}

static int mount_stanza(const char *root, const struct cr_mount *m, struct cr_error *err)
{
	cleanup_free char *dst = NULL;
	const char *vfs = m->vfs ? m->vfs : "directory";
	int r = under(&dst, root, m->directory, err);
	if (r < 0)
		return r;
	if (!strcmp(vfs, "directory") || !strcmp(m->directory, "/"))
		return 0; /* a private directory of the base directory: nothing to mount */
	if (cr_nfs_is_nfs(m))
		return 0; /* mounted on the host by startwpar (cr_nfs_mount_all), inherited here */
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return cr_error_errno(err, "cannot create mount point %s", dst);
	if (!strcmp(vfs, "tmpfs"))
		return do_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, m->mountopts, err);
	if (!strcmp(vfs, "bind") || !strcmp(vfs, "namefs")) {
		if (has_option(m->mountopts, "ro"))
			return bind_readonly(m->dev, dst, err);
		return do_mount(m->dev, dst, NULL, MS_BIND | MS_REC, NULL, err);
	}
	return cr_error_set(err, EOPNOTSUPP, "mount %s: vfs %s is not supported", m->directory, vfs);
}

struct device_node {
	const char *name;
	unsigned major, minor;
};

static const struct device_node devices[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
	{"urandom", 1, 9}, {"tty", 5, 0}, {NULL, 0, 0},
};

/* An empty directory in a system partition's /dev that masks directories
 * of /proc and /sys (read-only binds of it): on the file system CRIU
 * archives anyway, where an empty tmpfs of their own would cost one more tar
 * and gzip each way in a move's pause (15-35 ms at load 8-13). */
#define MASK_DIR "/dev/.corral-masked"

static int make_dev(const char *root, struct cr_error *err)
{
	cleanup_free char *dev = NULL;
	int r = under(&dev, root, "/dev", err);
	if (r < 0 || (r = do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=256k", err)) < 0)
		return r;
	for (const struct device_node *d = devices; d->name; d++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dev, d->name);
		if (mknod(p, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 || chmod(p, 0666) < 0)
			return cr_error_errno(err, "cannot create device %s", p);
	}
	static const char *const dirs[] = {"pts", "shm", "mqueue", NULL};
	for (const char *const *d = dirs; *d; d++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dev, *d);
		if (mkdir(p, 0755) < 0)
			return cr_error_errno(err, "cannot create %s", p);
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s%s", root, MASK_DIR);
	if (mkdir(p, 0555) < 0 || chmod(p, 0555) < 0)
		return cr_error_errno(err, "cannot create %s", p);
	snprintf(p, sizeof(p), "%s/pts", dev);
	if ((r = do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s/shm", dev);
	if ((r = do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k", err)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s/mqueue", dev);
	if ((r = do_mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0)
		return r;
	static const char *const links[][2] = {
		{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {NULL, NULL},
	};
	for (size_t i = 0; links[i][0]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			return cr_error_errno(err, "cannot create %s", p);
	}
	return 0;
}

/* What the most trusted runtimes hide from a container's /proc and /sys
 * (runc and crun maskedPaths and readonlyPaths, LXC proc:mixed): kernel
 * memory, the host's keys, timers and scheduler internals, firmware tables
 * are masked (a file: /dev/null on top; a directory: an empty read-only
 * tmpfs), and the host-wide knobs are read-only. The partition's own network
 * namespace keeps /proc/sys/net writable. */
static const char *const masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/key-users",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/proc/kmsg", "/proc/kallsyms", "/proc/interrupts",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};
static const char *const writable_again[] = {"/proc/sys/net", NULL};

/* A masked directory: a read-only bind of the empty directory *EMPTY; when
 * there is none (an application partition, on the host's /dev), the first
 * gets an empty read-only tmpfs (*EMPTY names it then) and every other one a
 * read-only bind of it. One file system for all of them: CRIU archives
 * every tmpfs it dumps with tar and gzip, and unarchives it on restore,
 * about 20 ms each way inside a move's pause. */
static int mask_path(const char *path, const char *dev_null, const char **empty, struct cr_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot look at %s", path);
	if (!S_ISDIR(st.st_mode))
		return do_mount(dev_null, path, NULL, MS_BIND, NULL, err);
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (!*empty) {
		int r = do_mount("tmpfs", path, "tmpfs", ro, "mode=555", err);
		if (r == 0)
			*empty = path;
		return r;
	}
	int r = do_mount(*empty, path, NULL, MS_BIND, NULL, err);
	return r < 0 ? r : do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | ro, NULL, err);
}

/* PATH bound onto itself, then remounted with FLAGS (read-only or not):
 * a bind of part of a read-only mount starts read-only, so /proc/sys/net
 * needs the remount without MS_RDONLY to be writable again. */
static int rebind(const char *path, unsigned long flags, struct cr_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot look at %s", path);
	int r = do_mount(path, path, NULL, MS_BIND | MS_REC, NULL, err);
	if (r < 0)
		return r;
	return do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | flags,
			NULL, err);
}

/* Mask and protect /proc (freshly mounted) and /sys; DEV_NULL is the null
 * device the masked files become, EMPTY_DIR (or NULL) the empty directory
 * the masked directories become. */
static int confine_proc(const char *dev_null, const char *empty_dir, struct cr_error *err)
{
	int r = 0;
	for (const char *const *p = readonly; *p && r >= 0; p++)
		r = rebind(*p, MS_RDONLY, err);
	for (const char *const *p = writable_again; *p && r >= 0; p++)
		r = rebind(*p, 0, err);
	const char *empty = empty_dir;
	for (const char *const *p = masked; *p && r >= 0; p++)
		r = mask_path(*p, dev_null, &empty, err);
	return r;
}

static int setup_proc(const char *empty_dir, struct cr_error *err)
{
	int r = do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	if (r < 0)
		return r;
	return confine_proc("/dev/null", empty_dir, err);
}

int cr_mounts_setup_proc(struct cr_error *err)
{
	return setup_proc(NULL, err);
}

static int enter_root(const char *root, struct cr_error *err)
{
	if (chdir(root) < 0)
		return cr_error_errno(err, "cannot enter %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cr_error_errno(err, "cannot pivot_root into %s", root);
	if (umount2(".", MNT_DETACH) < 0)
		return cr_error_errno(err, "cannot detach the global root");
	if (chdir("/") < 0)
		return cr_error_errno(err, "cannot enter the partition's /");
	return setup_proc(MASK_DIR, err); /* its own /dev (make_dev) */
}

int cr_mounts_setup_system(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const char *root = cfg->directory;
	int r;
	if ((r = do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, err)) < 0 ||
	    (r = do_mount(root, root, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
		return r;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if ((r = mount_stanza(root, &cfg->mounts[i], err)) < 0)
			return r;
	if (!cfg->private_usr) {
		static const char *const shared[] = {"/usr", "/opt", NULL};
		for (const char *const *s = shared; *s; s++) {
			cleanup_free char *dst = NULL;
			if ((r = under(&dst, root, *s, err)) < 0 || (r = bind_readonly(*s, dst, err)) < 0)
				return r;
		}
	}
	cleanup_free char *run = NULL;
	cleanup_free char *sys = NULL;
	if ((r = make_dev(root, err)) < 0 || (r = under(&run, root, "/run", err)) < 0 ||
	    (r = do_mount("tmpfs", run, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=65536k", err)) < 0 ||
	    (r = under(&sys, root, "/sys", err)) < 0 ||
	    (r = do_mount("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0)
		return r;
	char lock[4096];
	snprintf(lock, sizeof(lock), "%s/lock", run);
	if (mkdir(lock, 01777) < 0)
		return cr_error_errno(err, "cannot create %s", lock);
	return enter_root(root, err);
}

int cr_mounts_setup_application(struct cr_error *err)
{
	int r = do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, err);
	if (r < 0)
		return r;
	return cr_mounts_setup_proc(err);
}
