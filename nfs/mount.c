/* Mounting an NFS stanza with the client this host has, and mounting one for
 * the length of a call. */
#define LOG_PREFIX "nfs: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "nfs/nfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/paths.h"

#define UNMOUNT_TIMEOUT_MS 30000

int cr_nfs_mount(const struct cr_mount *m, const char *mountpoint, pid_t *ret_server_pid,
		 struct cr_error *err)
{
	if (cr_nfs_client_choose() == CR_NFS_CLIENT_KERNEL) {
		int r = cr_nfs_kernel_mount(m, mountpoint, err);
		if (r != -ENODEV)
			return r < 0 ? r : (*ret_server_pid = 0, 0);
		/* No nfs file system type after all (module failed to load). */
		cr_debug("kernel client unavailable (%s): using FUSE", cr_error_msg(err));
		cr_error_clear(err);
	}
	return cr_nfs_fuse_mount(m, mountpoint, ret_server_pid, err);
}

int cr_nfs_unmount(const char *mountpoint, pid_t server_pid, int timeout_ms, struct cr_error *err)
{
	if (server_pid > 0)
		return cr_nfs_fuse_unmount(mountpoint, server_pid, timeout_ms, err);
	if (umount2(mountpoint, 0) < 0 && errno != EINVAL)
		return cr_error_errno(err, "cannot unmount %s", mountpoint);
	return 0;
}

int cr_nfs_with_mounted(const struct cr_mount *m,
			int (*fn)(const char *mountpoint, void *data, struct cr_error *err),
			void *data, struct cr_error *err)
{
	cleanup_free char *run = NULL;
	cleanup_free char *dir = NULL;
	int r = cr_path(&run, err, CR_RUN_DIR);
	if (r < 0 || (r = cr_mkdir_p(run, 0755, err)) < 0)
		return r;
	if (asprintf(&dir, "%s/nfs.XXXXXX", run) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	if (!mkdtemp(dir))
		return cr_error_errno(err, "cannot create a temporary mount point in %s", run);
	pid_t server = 0;
	if ((r = cr_nfs_mount(m, dir, &server, err)) < 0) {
		rmdir(dir);
		return r;
	}
	r = fn(dir, data, err);
	struct cr_error uerr = CR_ERROR_INIT;
	int ur = cr_nfs_unmount(dir, server, UNMOUNT_TIMEOUT_MS, &uerr);
	if (ur < 0 && r == 0) {
		r = ur;
		cr_error_set(err, uerr.code, "%s", cr_error_msg(&uerr));
	}
	cr_error_clear(&uerr);
	if (ur == 0)
		rmdir(dir);
	return r;
}
