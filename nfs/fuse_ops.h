/* The FUSE file system over libnfs (nfs/ only). */
#ifndef CORRAL_NFS_FUSE_OPS_H
#define CORRAL_NFS_FUSE_OPS_H

#define FUSE_USE_VERSION 31
#include <fuse3/fuse.h>
#include <nfsc/libnfs-zdr.h>
#include <nfsc/libnfs.h>
#include <stdint.h>

/* The state a server passes to fuse_new as its private data. */
struct cr_nfs_fs {
	struct nfs_context *nfs;
	/* The credentials libnfs currently sends (start: uid 0, gid 0, none). */
	int uid, gid;
	int n_groups;
	uint32_t groups[16];
};

const struct fuse_operations *cr_nfs_fuse_operations(void);

/* The context, now speaking with the current request's credentials. */
struct nfs_context *cr_nfs_fuse_caller(void);

/* The libnfs file handle kept in FI. */
struct nfsfh *cr_nfs_fuse_handle(const struct fuse_file_info *fi);

/* Attribute operations (fuse_attr.c). */
int cr_nfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi);
int cr_nfs_access(const char *path, int mask);
int cr_nfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi);
int cr_nfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi);
int cr_nfs_truncate(const char *path, off_t size, struct fuse_file_info *fi);
int cr_nfs_statfs(const char *path, struct statvfs *out);
int cr_nfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi);

#endif
