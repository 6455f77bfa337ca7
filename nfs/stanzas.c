/* All the vfs=nfs stanzas of a partition, mounted in the global environment
 * under its base directory (as AIX mounts a WPAR's file systems under
 * /wpars/NAME), parents first, so that the partition's mount namespace
 * inherits them; and the root part on an NFS "/" removed again. */
#define LOG_PREFIX "nfs: "
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define UNMOUNT_TIMEOUT_MS 30000

/* The NFS stanzas of CFG, parents before children (shorter paths first). */
static int sorted_stanzas(const struct cr_wpar_config *cfg, const struct cr_mount ***ret, size_t *ret_n,
			  struct cr_error *err)
{
	const struct cr_mount **list = calloc(cfg->n_mounts + 1, sizeof(*list));
	if (!list)
		return cr_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cr_nfs_is_nfs(&cfg->mounts[i]))
			list[n++] = &cfg->mounts[i];
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strlen(list[j]->directory) < strlen(list[j - 1]->directory); j--) {
			const struct cr_mount *t = list[j];
			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int host_path(const struct cr_wpar_config *cfg, const struct cr_mount *m, char **ret,
		     struct cr_error *err)
{
	if (asprintf(ret, "%s%s", cfg->directory, strcmp(m->directory, "/") ? m->directory : "") < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* 1 when PATH is a mount point (its device differs from its parent's). */
static int is_mount_point(const char *path)
{
	cleanup_free char *parent = NULL;
	struct stat a, b;
	if (asprintf(&parent, "%s/..", path) < 0 || stat(path, &a) < 0 || stat(parent, &b) < 0)
		return 0;
	return a.st_dev != b.st_dev;
}

int cr_nfs_unmount_all(const struct cr_wpar_config *cfg, int timeout_ms, struct cr_error *err)
{
	cleanup_free const struct cr_mount **list = NULL;
	size_t n = 0;
	int r = sorted_stanzas(cfg, &list, &n, err);
	int first = 0;
	for (size_t i = n; r == 0 && i-- > 0;) {
		cleanup_free char *path = NULL;
		struct cr_error e = CR_ERROR_INIT;
		if ((r = host_path(cfg, list[i], &path, err)) < 0)
			break;
		/* Keep going: unmount what can be, report the first failure. */
		if (is_mount_point(path) && cr_nfs_unmount(path, 0, timeout_ms, &e) < 0 && first == 0) {
			first = cr_error_set(err, e.code, "%s", cr_error_msg(&e));
		}
		cr_error_clear(&e);
	}
	return r < 0 ? r : first;
}

/* 1 when PATH shows M's export already (kept), 0 when nothing is mounted
 * there; a mount of something else is an error. */
static int mounted_already(const struct cr_mount *m, const char *path, struct cr_error *err)
{
	cleanup_free char *source = NULL;
	cleanup_free char *want = NULL;
	int r = cr_nfs_mounted_source(path, &source, err);
	if (r <= 0)
		return r;
	if (asprintf(&want, "%s:%s", m->host, m->dev) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (strcmp(source, want) != 0)
		return cr_error_set(err, EBUSY, "%s is a mount point of %s already, not of %s", path, source, want);
	cr_debug("%s shows %s already", path, want);
	return 1;
}

int cr_nfs_mount_all(const struct cr_wpar_config *cfg, struct cr_error *err)
{
	cleanup_free const struct cr_mount **list = NULL;
	cleanup_free bool *mounted = NULL;
	size_t n = 0, i = 0;
	int r = sorted_stanzas(cfg, &list, &n, err);
	if (r == 0 && !(mounted = calloc(n + 1, sizeof(*mounted))))
		r = cr_error_set(err, ENOMEM, "out of memory");
	for (; r == 0 && i < n; i++) {
		cleanup_free char *path = NULL;
		pid_t server = 0;
		if ((r = host_path(cfg, list[i], &path, err)) < 0 || (r = cr_mkdir_p(path, 0755, err)) < 0 ||
		    (r = mounted_already(list[i], path, err)) < 0) {
			cr_error_wrap(err, "mounting %s of %s", list[i]->directory, cfg->name);
			break;
		}
		if (r == 1) {
			r = 0;
			continue;
		}
		if ((r = cr_nfs_mount(list[i], path, &server, err)) < 0)
			cr_error_wrap(err, "mounting %s of %s", list[i]->directory, cfg->name);
		else
			mounted[i] = true;
	}
	/* Undo only what this call mounted, children first. */
	while (r < 0 && mounted && i-- > 0) {
		cleanup_free char *path = NULL;
		if (mounted[i] && host_path(cfg, list[i], &path, NULL) == 0)
			cr_nfs_unmount(path, 0, UNMOUNT_TIMEOUT_MS, NULL);
	}
	return r;
}

/* Remove everything under MOUNTPOINT once it shows a partition's root. */
static int remove_contents(const char *mountpoint, void *data, struct cr_error *err)
{
	(void)data;
	cleanup_free char *marker = NULL;
	if (asprintf(&marker, "%s/etc/corral", mountpoint) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!cr_path_exists(marker))
		return cr_error_set(err, EPERM, "refusing to empty the export: it does not look like a partition's root (no /etc/corral)");
	cleanup_dir DIR *d = opendir(mountpoint);
	if (!d)
		return cr_error_errno(err, "cannot read %s", mountpoint);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cleanup_free char *p = NULL;
		if (asprintf(&p, "%s/%s", mountpoint, de->d_name) < 0)
			return cr_error_set(err, ENOMEM, "out of memory");
		int r = cr_rm_rf(p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cr_nfs_remove_root_part(const struct cr_mount *root, struct cr_error *err)
{
	int r = cr_nfs_with_mounted(root, remove_contents, NULL, err);
	if (r < 0)
		return cr_error_wrap(err, "removing the root part on %s:%s", root->host, root->dev);
	return 0;
}
