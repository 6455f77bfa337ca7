#define LOG_PREFIX "rootfs: "
#include "partition/rootfs_archive.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/run.h"

int cr_rootfs_archive_create(const char *dir, const char *tar_path, struct cr_error *err)
{
	char *argv[] = {"tar", "--create", "--file", (char *)tar_path, "--directory", (char *)dir,
			"--numeric-owner", "--xattrs", "--acls", "--sparse", "--one-file-system",
			".", NULL};
	int r = cr_run(argv, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, err);
	if (r < 0)
		return cr_error_wrap(err, "archiving the file systems in %s", dir);
	return 0;
}

static int is_empty_dir(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return 0;
	return 1;
}

int cr_rootfs_archive_extract(const char *tar_path, const char *dir, struct cr_error *err)
{
	int r = cr_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	if ((r = is_empty_dir(dir)) != 1)
		return r < 0 ? cr_error_set(err, -r, "cannot read %s: %s", dir, strerror(-r))
			     : cr_error_set(err, EEXIST, "%s is not empty: a partition's file systems are never overwritten", dir);
	char *argv[] = {"tar", "--extract", "--file", (char *)tar_path, "--directory", (char *)dir,
			"--numeric-owner", "--xattrs", "--acls", "--same-permissions", "--same-owner",
			NULL};
	if ((r = cr_run(argv, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, err)) < 0)
		return cr_error_wrap(err, "unpacking the file systems into %s", dir);
	return 0;
}
