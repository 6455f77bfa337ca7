/* Probing an export before a partition relies on it: reachable, exported,
 * writable, root not squashed, and how much room it has. */
#define LOG_PREFIX "nfs: "
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "nfs/client.h"
#include "util/cleanup.h"
#include "util/log.h"

static int probe_space(struct nfs_context *nfs, const char *where, struct cr_nfs_export_info *info,
		       struct cr_error *err)
{
	struct nfs_statvfs_64 sv;
	int r = nfs_statvfs64(nfs, "/", &sv);
	if (r < 0)
		return cr_nfs_call_error(nfs, r, where, "statvfs", "/", err);
	info->bytes_total = sv.f_blocks * sv.f_frsize;
	info->bytes_free = sv.f_bfree * sv.f_frsize;
	info->bytes_avail = sv.f_bavail * sv.f_frsize;
	return 0;
}

/* Create a probe file as root: refused means the export is read-only (or
 * closed) to us; a file not owned by uid 0 means root is squashed. */
static int probe_write(struct nfs_context *nfs, const char *where, struct cr_nfs_export_info *info,
		       struct cr_error *err)
{
	unsigned int rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = (unsigned)getpid();
	char name[64];
	snprintf(name, sizeof(name), "/.corral-probe.%d.%08x", (int)getpid(), rnd);
	struct nfsfh *fh = NULL;
	int r = nfs_create(nfs, name, O_WRONLY | O_EXCL, 0600, &fh);
	if (r == -EACCES || r == -EPERM || r == -EROFS)
		return cr_error_set(err, EACCES, "%s: permission denied: root cannot create files on the export (%s)",
				    where, strerror(-r));
	if (r < 0)
		return cr_nfs_call_error(nfs, r, where, "create the probe file", name, err);
	struct nfs_stat_64 st;
	r = nfs_fstat64(nfs, fh, &st);
	nfs_close(nfs, fh);
	int rr = nfs_unlink(nfs, name);
	if (r < 0)
		return cr_nfs_call_error(nfs, r, where, "stat the probe file", name, err);
	if (rr < 0)
		return cr_nfs_call_error(nfs, rr, where, "remove the probe file", name, err);
	info->writable = true;
	info->root_squashed = st.nfs_uid != 0;
	if (info->root_squashed)
		return cr_error_set(err, EPERM,
				    "%s: root is squashed (a file root creates belongs to uid %llu): export it with no_root_squash",
				    where, (unsigned long long)st.nfs_uid);
	return 0;
}

int cr_nfs_probe_export(const char *host, const char *export_path, const struct cr_nfs_options *opts,
			struct cr_nfs_export_info *ret_info, struct cr_error *err)
{
	struct cr_nfs_export_info info = {0};
	cleanup_free char *where = NULL;
	if (asprintf(&where, "%s:%s", host ? host : "(no host)", export_path ? export_path : "(no export)") < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	struct nfs_context *nfs = NULL;
	int r = cr_nfs_connect(host, export_path, opts, 0, &nfs, err);
	if (r < 0)
		return r;
	r = probe_space(nfs, where, &info, err);
	if (r == 0 && !opts->read_only)
		r = probe_write(nfs, where, &info, err);
	cr_nfs_disconnect(nfs);
	if (r < 0)
		return r;
	cr_debug("%s: %llu bytes available", where, (unsigned long long)info.bytes_avail);
	*ret_info = info;
	return 0;
}
