/* File systems partitions may need: the kernel NFS client and FUSE. */
#include "check/probes.h"

#include <string.h>
#include <sys/stat.h>

#include "check/proc_text.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

int cr_probe_filesystems(struct cr_host_facts *f, struct cr_error *err)
{
	cleanup_free char *fs = NULL;
	struct cr_error rerr = CR_ERROR_INIT;
	if (cr_read_file("/proc/filesystems", 1 << 20, &fs, NULL, &rerr) < 0) {
		int r = CR_PROBE_SET(f, CR_PROBE_NFS_CLIENT, CR_PROBE_SKIPPED, "%s",
				     cr_error_msg(&rerr));
		if (r == 0)
			r = CR_PROBE_SET(f, CR_PROBE_FUSE, CR_PROBE_SKIPPED, "%s", cr_error_msg(&rerr));
		cr_error_clear(&rerr);
		return r;
	}
	bool nfs = cr_filesystems_has(fs, "nfs"), nfs4 = cr_filesystems_has(fs, "nfs4");
	int r;
	if (nfs || nfs4)
		r = CR_PROBE_SET(f, CR_PROBE_NFS_CLIENT, CR_PROBE_OK, "/proc/filesystems lists %s",
				 nfs && nfs4 ? "nfs and nfs4" : nfs ? "nfs" : "nfs4");
	else
		r = CR_PROBE_SET(f, CR_PROBE_NFS_CLIENT, CR_PROBE_MISSING,
				 "neither nfs nor nfs4 in /proc/filesystems");
	if (r < 0)
		return r;

	struct stat st;
	bool dev = stat("/dev/fuse", &st) == 0 && S_ISCHR(st.st_mode);
	bool listed = cr_filesystems_has(fs, "fuse");
	if (dev && listed)
		return CR_PROBE_SET(f, CR_PROBE_FUSE, CR_PROBE_OK,
				    "/dev/fuse and fuse in /proc/filesystems");
	return CR_PROBE_SET(f, CR_PROBE_FUSE, CR_PROBE_MISSING, "%s", !dev ? "no /dev/fuse device"
					      : "fuse not in /proc/filesystems");
}
