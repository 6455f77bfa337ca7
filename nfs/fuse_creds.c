/* Requests go to the NFS server with the credentials of the process that
 * made them (AUTH_SYS: uid, gid and up to 16 supplementary groups), so the
 * server does the permission checks: the mount has no default_permissions. */
#define LOG_PREFIX "nfs-fuse: "
#include <string.h>
#include <sys/types.h>

#include "nfs/fuse_ops.h"

#define AUTH_SYS_MAX_GROUPS 16

/* The caller's groups; none when they cannot be read (a caller in another
 * pid namespace shows as pid 0). */
static int caller_groups(uint32_t *groups)
{
	gid_t list[AUTH_SYS_MAX_GROUPS];
	int n = fuse_getgroups(AUTH_SYS_MAX_GROUPS, list);
	if (n < 0)
		return 0;
	if (n > AUTH_SYS_MAX_GROUPS)
		n = AUTH_SYS_MAX_GROUPS; /* only the first ones fit in AUTH_SYS */
	for (int i = 0; i < n; i++)
		groups[i] = (uint32_t)list[i];
	return n;
}

struct nfs_context *cr_nfs_fuse_caller(void)
{
	struct fuse_context *c = fuse_get_context();
	struct cr_nfs_fs *fs = c->private_data;
	uint32_t groups[AUTH_SYS_MAX_GROUPS];
	int n = caller_groups(groups);
	if (fs->uid == (int)c->uid && fs->gid == (int)c->gid && fs->n_groups == n &&
	    !memcmp(fs->groups, groups, (size_t)n * sizeof(groups[0])))
		return fs->nfs;
	struct AUTH *auth = libnfs_authunix_create("corral", (uint32_t)c->uid, (uint32_t)c->gid, (uint32_t)n, groups);
	if (!auth)
		return fs->nfs; /* out of memory: keep the previous credentials */
	nfs_set_uid(fs->nfs, (int)c->uid);
	nfs_set_gid(fs->nfs, (int)c->gid);
	nfs_set_auth(fs->nfs, auth);
	fs->uid = (int)c->uid;
	fs->gid = (int)c->gid;
	fs->n_groups = n;
	memcpy(fs->groups, groups, (size_t)n * sizeof(groups[0]));
	return fs->nfs;
}

struct nfsfh *cr_nfs_fuse_handle(const struct fuse_file_info *fi)
{
	return (struct nfsfh *)(uintptr_t)fi->fh;
}
