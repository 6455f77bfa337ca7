/* Writing a partition's root part onto an NFS export (mkwpar with an NFS
 * "/"): the export is mounted, the root part is made in a staging directory
 * on it by the usual cr_rootfs_populate, and its entries are renamed into the
 * export's root (renames on one server: cheap and complete). The export is reached
 * through nfs/; what goes onto it is the root part of partition/rootfs.c. */
#define LOG_PREFIX "nfs: "
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "partition/rootfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define STAGING ".corral-populate"

struct populate_job {
	const struct cr_wpar_config *cfg;
	const struct cr_mount *root;
};

/* 1 when DIR holds nothing (lost+found, if any, does not count). */
static int is_empty(const char *dir, struct cr_error *err)
{
	cleanup_dir DIR *d = opendir(dir);
	if (!d)
		return cr_error_errno(err, "cannot read %s", dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "lost+found"))
			return 0;
	return 1;
}

static int move_entries(const char *from, const char *to, struct cr_error *err)
{
	cleanup_close int fromfd = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int tofd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fromfd < 0 || tofd < 0)
		return cr_error_errno(err, "cannot open %s", fromfd < 0 ? from : to);
	cleanup_dir DIR *d = opendir(from);
	if (!d)
		return cr_error_errno(err, "cannot read %s", from);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (renameat(fromfd, de->d_name, tofd, de->d_name) < 0)
			return cr_error_errno(err, "cannot move %s/%s into %s", from, de->d_name, to);
	}
	return 0;
}

static int populate_mounted(const char *mountpoint, void *data, struct cr_error *err)
{
	const struct populate_job *job = data;
	struct cr_wpar_config cfg = *job->cfg; /* shallow: only the directory differs */
	if (cfg.preserve) {
		cfg.directory = (char *)mountpoint;
		return cr_rootfs_populate(&cfg, err);
	}
	int r = is_empty(mountpoint, err);
	if (r < 0)
		return r;
	if (r == 0)
		return cr_error_set(err, EEXIST, "%s:%s is not empty (mkwpar -p reuses preserved file systems)",
				    job->root->host, job->root->dev);
	cleanup_free char *staging = NULL;
	if (asprintf(&staging, "%s/" STAGING, mountpoint) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	cfg.directory = staging;
	if ((r = cr_rootfs_populate(&cfg, err)) < 0 || (r = move_entries(staging, mountpoint, err)) < 0) {
		cr_rm_rf(staging, NULL);
		return r;
	}
	if (rmdir(staging) < 0)
		return cr_error_errno(err, "cannot remove %s", staging);
	if (chmod(mountpoint, 0755) < 0)
		return cr_error_errno(err, "cannot set the mode of the export's root");
	return 0;
}

int cr_rootfs_populate_nfs(const struct cr_wpar_config *cfg, const struct cr_mount *root,
		    struct cr_error *err)
{
	struct cr_nfs_options o;
	struct cr_nfs_export_info info;
	int r = cr_nfs_options_parse(root->mountopts, &o, err);
	if (r < 0 || (r = cr_nfs_probe_export(root->host, root->dev, &o, &info, err)) < 0)
		return cr_error_wrap(err, "the root file system of %s", cfg->name);
	struct populate_job job = {cfg, root};
	if ((r = cr_nfs_with_mounted(root, populate_mounted, &job, err)) < 0)
		return cr_error_wrap(err, "populating %s:%s for %s", root->host, root->dev, cfg->name);
	cr_debug("populated %s:%s for %s", root->host, root->dev, cfg->name);
	return 0;
}
