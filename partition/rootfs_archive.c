#define LOG_PREFIX "rootfs: "
#include "partition/rootfs_archive.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partition/rootfs_unpack.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/run.h"

#define SNAPSHOT_MAX (256u << 20)

/* tar --create of DIR into TAR_PATH; with SNAPSHOT, GNU tar's
 * --listed-incremental (a level-0 when the file is missing, else the files
 * changed since it; the file is updated). LIVE: the tree may change while
 * it is read (tar's exit 1 then). */
static int create(const char *dir, const char *tar_path, const char *snapshot, bool live, struct cr_error *err)
{
	cleanup_free char *listed = NULL;
	if (snapshot && asprintf(&listed, "--listed-incremental=%s", snapshot) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	char *argv[] = {"tar", "--create", "--file", (char *)tar_path, "--directory", (char *)dir,
			"--numeric-owner", "--xattrs", "--acls", "--sparse", "--one-file-system",
			listed ? listed : ".", listed ? "." : NULL, NULL};
	int r = cr_run_upto(argv, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, live ? 1 : 0, err);
	if (r < 0)
		return cr_error_wrap(err, "archiving the file systems in %s", dir);
	return 0;
}

int cr_rootfs_archive_create(const char *dir, const char *tar_path, struct cr_error *err)
{
	return create(dir, tar_path, NULL, false, err);
}

int cr_rootfs_archive_snapshot(const char *dir, const char *tar_path, const char *snapshot, struct cr_error *err)
{
	if (cr_path_exists(snapshot))
		return cr_error_set(err, EEXIST, "%s exists: a level-0 archive starts a fresh snapshot", snapshot);
	return create(dir, tar_path, snapshot, true, err);
}

int cr_rootfs_archive_since(const char *dir, const char *tar_path, const char *snapshot, struct cr_error *err)
{
	cleanup_free char *copy = NULL, *data = NULL;
	size_t len = 0;
	if (asprintf(&copy, "%s.snar", tar_path) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	/* tar rewrites its snapshot: a copy keeps SNAPSHOT for an archive made again. */
	int r = cr_read_file(snapshot, SNAPSHOT_MAX, &data, &len, err);
	if (r < 0 || (r = cr_write_file_atomic(copy, data, len, 0600, err)) < 0)
		return r;
	r = create(dir, tar_path, copy, false, err);
	(void)unlink(copy);
	return r;
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

/* tar --extract of a later level of GNU tar's listed-incremental archives
 * (each directory ends as its archive lists it: what it no longer names is
 * deleted, which libarchive does not do). No -P: absolute and '..' member
 * names stay refused. */
static int apply_level(const char *tar_path, const char *dir, struct cr_error *err)
{
	char *argv[] = {"tar", "--extract", "--file", (char *)tar_path, "--directory", (char *)dir,
			"--numeric-owner", "--xattrs", "--acls", "--same-permissions", "--same-owner",
			"--listed-incremental=/dev/null", NULL};
	int r = cr_run(argv, CR_ROOTFS_ARCHIVE_TIMEOUT_MS, err);
	if (r < 0)
		return cr_error_wrap(err, "unpacking the file systems into %s", dir);
	return 0;
}

int cr_rootfs_archive_extract(const char *tar_path, const char *dir, struct cr_error *err)
{
	int r = cr_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	if ((r = is_empty_dir(dir)) != 1)
		return r < 0 ? cr_error_set(err, -r, "cannot read %s: %s", dir, strerror(-r))
			     : cr_error_set(err, EEXIST, "%s is not empty: a partition's file systems are never overwritten", dir);
	return cr_rootfs_unpack_file(tar_path, dir, err);
}

int cr_rootfs_archive_apply(const char *tar_path, const char *dir, struct cr_error *err)
{
	int r = cr_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	return apply_level(tar_path, dir, err);
}
