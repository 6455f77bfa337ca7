/* The FUSE operations of the libnfs-backed file system (nfs/ only). */
#ifndef CORRAL_NFS_FUSE_OPS_H
#define CORRAL_NFS_FUSE_OPS_H

#define FUSE_USE_VERSION 31
#include <fuse3/fuse.h>
#include <nfsc/libnfs.h>

/* The state a server passes to fuse_new as its private data. */
struct cr_nfs_fs {
	struct nfs_context *nfs;
	int uid, gid; /* the credentials libnfs currently sends */
};

const struct fuse_operations *cr_nfs_fuse_operations(void);

#endif
