/* The FUSE file system over libnfs: names, directories and file I/O, and
 * the table of operations (attributes are in fuse_attr.c). Each request is
 * one or two synchronous libnfs calls, each bounded by the context's
 * timeout, made with the requester's credentials (fuse_creds.c). */
#define LOG_PREFIX "nfs-fuse: "
#include "nfs/fuse_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include <nfsc/libnfs-raw-nfs.h>

#include "util/log.h"

static int op_readlink(const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	memset(buf, 0, size);
	int r = nfs_readlink(cr_nfs_fuse_caller(), path, buf, (int)(size > INT32_MAX ? INT32_MAX : size) - 1);
	return r < 0 ? r : 0;
}

static mode_t type_bits(uint32_t type)
{
	switch (type) {
	case NF3DIR: return S_IFDIR;
	case NF3BLK: return S_IFBLK;
	case NF3CHR: return S_IFCHR;
	case NF3LNK: return S_IFLNK;
	case NF3SOCK: return S_IFSOCK;
	case NF3FIFO: return S_IFIFO;
	default: return S_IFREG;
	}
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)offset, (void)fi, (void)flags;
	struct nfsdir *dir = NULL;
	int r = nfs_opendir(cr_nfs_fuse_caller(), path, &dir);
	if (r < 0)
		return r;
	struct nfs_context *nfs = cr_nfs_fuse_caller();
	struct nfsdirent *e;
	while ((e = nfs_readdir(nfs, dir))) {
		struct stat st = {.st_ino = (ino_t)e->inode, .st_mode = type_bits(e->type) | (e->mode & 07777)};
		if (fill(buf, e->name, &st, 0, 0))
			break;
	}
	nfs_closedir(nfs, dir);
	return 0;
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return nfs_mknod(cr_nfs_fuse_caller(), path, (int)mode, (int)rdev);
}

static int op_mkdir(const char *path, mode_t mode)
{
	return nfs_mkdir2(cr_nfs_fuse_caller(), path, (int)(mode & 07777));
}

static int op_unlink(const char *path)
{
	return nfs_unlink(cr_nfs_fuse_caller(), path);
}

static int op_rmdir(const char *path)
{
	return nfs_rmdir(cr_nfs_fuse_caller(), path);
}

static int op_symlink(const char *target, const char *linkpath)
{
	return nfs_symlink(cr_nfs_fuse_caller(), target, linkpath);
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	if (flags)
		return -EINVAL; /* RENAME_NOREPLACE / RENAME_EXCHANGE: NFS has neither */
	return nfs_rename(cr_nfs_fuse_caller(), from, to);
}

static int op_link(const char *from, const char *to)
{
	return nfs_link(cr_nfs_fuse_caller(), from, to);
}

#define OPEN_FLAGS (O_ACCMODE | O_EXCL | O_TRUNC | O_SYNC)

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct nfsfh *fh = NULL;
	int r = nfs_open(cr_nfs_fuse_caller(), path, fi->flags & OPEN_FLAGS, &fh);
	if (r < 0)
		return r;
	fi->fh = (uint64_t)(uintptr_t)fh;
	return 0;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct nfsfh *fh = NULL;
	int r = nfs_create(cr_nfs_fuse_caller(), path, fi->flags & OPEN_FLAGS, (int)(mode & 07777), &fh);
	if (r < 0)
		return r;
	fi->fh = (uint64_t)(uintptr_t)fh;
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
	(void)path;
	return nfs_pread(cr_nfs_fuse_caller(), cr_nfs_fuse_handle(fi), (uint64_t)offset, size, buf);
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	(void)path;
	return nfs_pwrite(cr_nfs_fuse_caller(), cr_nfs_fuse_handle(fi), (uint64_t)offset, size, buf);
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path, (void)fi;
	return 0; /* writes are synchronous calls already */
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return nfs_close(cr_nfs_fuse_caller(), cr_nfs_fuse_handle(fi));
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path, (void)datasync;
	return nfs_fsync(cr_nfs_fuse_caller(), cr_nfs_fuse_handle(fi));
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	cfg->entry_timeout = 1.0; /* others share the export: keep caches short */
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = cr_nfs_getattr,
	.access = cr_nfs_access,
	.readlink = op_readlink,
	.readdir = op_readdir,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.chmod = cr_nfs_chmod,
	.chown = cr_nfs_chown,
	.truncate = cr_nfs_truncate,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.statfs = cr_nfs_statfs,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.utimens = cr_nfs_utimens,
};

const struct fuse_operations *cr_nfs_fuse_operations(void)
{
	return &ops;
}
