#define LOG_PREFIX "rootfs: "
#include "partition/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/copytree.h"
#include "util/fsutil.h"
#include "util/log.h"

const char *const cr_rootfs_etc_files[] = {
	"passwd", "group", "shadow", "gshadow", "nsswitch.conf", "profile", "bash.bashrc",
	"shells", "login.defs", "environment", "inputrc", "debian_version", "issue",
	"issue.net", "ld.so.conf", "ld.so.cache", "localtime", "timezone", "os-release",
	"adduser.conf", "deluser.conf", "protocols", "services", "rpc",
	"networks", "ethertypes", "securetty", "subuid", "subgid", "gai.conf", "host.conf",
	"alternatives", "pam.d", "pam.conf", "security", "skel", "profile.d", "ld.so.conf.d",
	"terminfo", "default", "bash_completion.d", NULL,
};

/* -r: the global name resolution files. */
static const char *const resolution_files[] = {"resolv.conf", "hosts", "nsswitch.conf", NULL};

struct dir_spec {
	const char *path;
	mode_t mode;
};

static const struct dir_spec root_dirs[] = {
	{"etc", 0755}, {"etc/corral", 0755}, {"home", 0755}, {"tmp", 01777}, {"var", 0755},
	{"var/log", 0755}, {"var/tmp", 01777}, {"var/lib", 0755}, {"var/cache", 0755},
	{"var/spool", 0755}, {"var/mail", 02775}, {"var/opt", 0755}, {"var/local", 0755},
	{"var/backups", 0755}, {"usr", 0755}, {"opt", 0755}, {"proc", 0555}, {"sys", 0555},
	{"dev", 0755}, {"run", 0755}, {"root", 0700}, {"mnt", 0755}, {"media", 0755},
	{"srv", 0755}, {NULL, 0},
};

static int join(char **ret, struct cr_error *err, const char *a, const char *b)
{
	if (asprintf(ret, "%s/%s", a, b) < 0)
		return cr_error_set(err, ENOMEM, "out of memory building %s/%s", a, b);
	return 0;
}

static int make_dirs(const char *dir, struct cr_error *err)
{
	for (const struct dir_spec *d = root_dirs; d->path; d++) {
		cleanup_free char *p = NULL;
		int r = join(&p, err, dir, d->path);
		if (r < 0)
			return r;
		if (mkdir(p, d->mode) < 0 && errno != EEXIST)
			return cr_error_errno(err, "cannot create %s", p);
		if (chmod(p, d->mode) < 0)
			return cr_error_errno(err, "cannot set the mode of %s", p);
	}
	return 0;
}

static int make_symlink(const char *dir, const char *name, const char *target, struct cr_error *err)
{
	cleanup_free char *p = NULL;
	int r = join(&p, err, dir, name);
	if (r < 0)
		return r;
	if (symlink(target, p) < 0 && errno != EEXIST)
		return cr_error_errno(err, "cannot create link %s", p);
	return 0;
}

/* Debian's merged /usr: /bin, /lib, /sbin... are links into usr/. Mirror them. */
static int mirror_top_links(const char *dir, struct cr_error *err)
{
	cleanup_dir DIR *d = opendir("/");
	if (!d)
		return cr_error_errno(err, "cannot read /");
	struct dirent *de;
	while ((de = readdir(d))) {
		char target[PATH_MAX], path[PATH_MAX];
		if (snprintf(path, sizeof(path), "/%s", de->d_name) >= (int)sizeof(path))
			continue;
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "usr/", 4) != 0)
			continue;
		int r = make_symlink(dir, de->d_name, target, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int copy_etc_file(const char *dir, const char *name, struct cr_error *err)
{
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;
	if (asprintf(&src, "/etc/%s", name) < 0 || asprintf(&dst, "%s/etc/%s", dir, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory copying /etc/%s", name);
	if (!cr_path_exists(src))
		return 0;
	int r = cr_rm_rf(dst, err);
	if (r < 0)
		return r;
	return cr_copy_tree(src, dst, err);
}

static int write_etc(const char *dir, const char *name, const char *text, mode_t mode,
		     struct cr_error *err)
{
	cleanup_free char *p = NULL;
	if (asprintf(&p, "%s/etc/%s", dir, name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory writing /etc/%s", name);
	return cr_write_file_atomic(p, text, strlen(text), mode, err);
}

int cr_rootfs_write_hostname(const char *dir, const char *hostname, struct cr_error *err)
{
	cleanup_free char *hn = NULL;
	cleanup_free char *hosts = NULL;
	if (asprintf(&hn, "%s\n", hostname) < 0 ||
	    asprintf(&hosts, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		     hostname) < 0)
		return cr_error_set(err, ENOMEM, "out of memory writing the hostname");
	int r = write_etc(dir, "hostname", hn, 0644, err);
	if (r < 0)
		return r;
	/* A partition made with -r keeps the global hosts file it copied. */
	cleanup_free char *marker = NULL;
	if (asprintf(&marker, "%s/etc/corral/resolution-copied", dir) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (cr_path_exists(marker))
		return 0;
	return write_etc(dir, "hosts", hosts, 0644, err);
}

static int write_machine_id(const char *dir, struct cr_error *err)
{
	unsigned char raw[16];
	char text[34];
	cleanup_close int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw))
		return cr_error_errno(err, "cannot read /dev/urandom");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(text + 2 * i, 3, "%02x", raw[i]);
	text[32] = '\n';
	text[33] = '\0';
	return write_etc(dir, "machine-id", text, 0444, err);
}

static const char services_template[] =
	"# Services the partition's init starts, one per line, in order.\n"
	"# A line is a shell command run by /bin/sh -c as root inside the partition.\n"
	"# Prefix it with \"respawn:\" to restart it whenever it exits.\n"
	"# Output goes to /var/log/corral-services.log inside the partition.\n";

int cr_rootfs_init_binary(char **ret_path, struct cr_error *err)
{
	const char *env = getenv("CORRAL_INIT");
	char self[PATH_MAX];
	char *path = NULL;
	if (env && *env) {
		path = strdup(env);
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			char *slash = strrchr(self, '/');
			if (slash)
				*slash = '\0';
			if (asprintf(&path, "%s/corral-init", self) < 0)
				path = NULL;
			if (path && access(path, X_OK) != 0) {
				free(path);
				path = NULL;
			}
		}
		if (!path && asprintf(&path, "%s/corral-init", CORRAL_LIBEXECDIR) < 0)
			path = NULL;
	}
	if (!path)
		return cr_error_set(err, ENOMEM, "out of memory finding corral-init");
	if (access(path, X_OK) != 0) {
		int r = cr_error_errno(err, "cannot find the partition init program %s", path);
		free(path);
		return r;
	}
	*ret_path = path;
	return 0;
}

int cr_rootfs_install_init(const char *dir, struct cr_error *err)
{
	cleanup_free char *src = NULL;
	cleanup_free char *data = NULL;
	cleanup_free char *dst = NULL;
	size_t len;
	int r = cr_rootfs_init_binary(&src, err);
	if (r < 0)
		return r;
	r = cr_read_file(src, 64 << 20, &data, &len, err);
	if (r < 0)
		return r;
	if (asprintf(&dst, "%s%s", dir, CR_INIT_PATH) < 0)
		return cr_error_set(err, ENOMEM, "out of memory installing the init");
	return cr_write_file_atomic(dst, data, len, 0755, err);
}

static int populate_etc(const struct cr_wpar_config *cfg, const char *dir, struct cr_error *err)
{
	int r;
	for (const char *const *f = cr_rootfs_etc_files; *f; f++)
		if ((r = copy_etc_file(dir, *f, err)) < 0)
			return r;
	if (cfg->copy_name_resolution) {
		for (const char *const *f = resolution_files; *f; f++)
			if ((r = copy_etc_file(dir, *f, err)) < 0)
				return r;
		if ((r = write_etc(dir, "corral/resolution-copied", "yes\n", 0644, err)) < 0)
			return r;
	}
	if ((r = make_symlink(dir, "etc/mtab", "../proc/self/mounts", err)) < 0 ||
	    (r = write_machine_id(dir, err)) < 0 ||
	    (r = write_etc(dir, "fstab", "# Mounts are made by Corral from the partition's spec file.\n", 0644, err)) < 0 ||
	    (r = write_etc(dir, "corral/services", services_template, 0644, err)) < 0)
		return r;
	return cr_rootfs_write_hostname(dir, cfg->hostname, err);
}

static int copy_private_usr(const char *dir, struct cr_error *err)
{
	static const char *const trees[] = {"usr", "opt", NULL};
	for (const char *const *t = trees; *t; t++) {
		cleanup_free char *src = NULL;
		cleanup_free char *dst = NULL;
		if (asprintf(&src, "/%s", *t) < 0 || asprintf(&dst, "%s/%s", dir, *t) < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		int r = rmdir(dst) < 0 && errno != ENOENT ? cr_error_errno(err, "cannot replace %s", dst) : 0;
		if (r < 0 || (r = cr_copy_tree(src, dst, err)) < 0)
			return cr_error_wrap(err, "copying the private /%s", *t);
	}
	return 0;
}

int cr_rootfs_populate(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const char *dir = cfg->directory;
	int r;
	if (cfg->preserve) {
		cleanup_free char *etc = NULL;
		if ((r = join(&etc, err, dir, "etc")) < 0)
			return r;
		if (!cr_path_exists(etc))
			return cr_error_set(err, ENOENT,
					    "cannot preserve %s: it holds no partition file systems", dir);
		return cr_rootfs_write_hostname(dir, cfg->hostname, err);
	}
	if (mkdir(dir, 0755) < 0)
		return cr_error_errno(err, "cannot create the base directory %s", dir);
	if ((r = make_dirs(dir, err)) < 0 || (r = mirror_top_links(dir, err)) < 0 ||
	    (r = make_symlink(dir, "var/run", "/run", err)) < 0 ||
	    (r = make_symlink(dir, "var/lock", "/run/lock", err)) < 0 ||
	    (r = populate_etc(cfg, dir, err)) < 0)
		return cr_error_wrap(err, "populating %s", dir);
	if (cfg->private_usr && (r = copy_private_usr(dir, err)) < 0)
		return r;
	cr_debug("populated %s", dir);
	return 0;
}
