/* A FUSE file system backed by libnfs: each request is one or two synchronous
 * libnfs calls (each bounded by the context's timeout) made with the
 * requester's uid and gid, so the NFS server does the permission checks
 * (the mount has no default_permissions) and owners stay what they are. */
#define LOG_PREFIX "nfs-fuse: "
#include "nfs/fuse_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>

#include <nfsc/libnfs-raw-nfs.h>

#include "util/log.h"

/* The state, with libnfs speaking as the process that made the request. */
static struct nfs_context *as_caller(void)
{
	struct fuse_context *c = fuse_get_context();
	struct cr_nfs_fs *fs = c->private_data;
	if (fs->uid != (int)c->uid) {
		nfs_set_uid(fs->nfs, (int)c->uid);
		fs->uid = (int)c->uid;
	}
	if (fs->gid != (int)c->gid) {
		nfs_set_gid(fs->nfs, (int)c->gid);
		fs->gid = (int)c->gid;
	}
	return fs->nfs;
}

static struct nfsfh *handle(const struct fuse_file_info *fi)
{
	return (struct nfsfh *)(uintptr_t)fi->fh;
}

static void to_stat(const struct nfs_stat_64 *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)n->nfs_ino;
	st->st_mode = (mode_t)n->nfs_mode;
	st->st_nlink = (nlink_t)n->nfs_nlink;
	st->st_uid = (uid_t)n->nfs_uid;
	st->st_gid = (gid_t)n->nfs_gid;
	st->st_rdev = (dev_t)n->nfs_rdev;
	st->st_size = (off_t)n->nfs_size;
	st->st_blksize = (blksize_t)n->nfs_blksize;
	st->st_blocks = (blkcnt_t)n->nfs_blocks;
	st->st_atim.tv_sec = (time_t)n->nfs_atime;
	st->st_atim.tv_nsec = (long)n->nfs_atime_nsec;
	st->st_mtim.tv_sec = (time_t)n->nfs_mtime;
	st->st_mtim.tv_nsec = (long)n->nfs_mtime_nsec;
	st->st_ctim.tv_sec = (time_t)n->nfs_ctime;
	st->st_ctim.tv_nsec = (long)n->nfs_ctime_nsec;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct nfs_context *nfs = as_caller();
	struct nfs_stat_64 n;
	int r = fi ? nfs_fstat64(nfs, handle(fi), &n) : nfs_lstat64(nfs, path, &n);
	if (r < 0)
		return r;
	to_stat(&n, st);
	return 0;
}

static int op_access(const char *path, int mask)
{
	struct nfs_context *nfs = as_caller();
	if (mask == F_OK) {
		struct nfs_stat_64 n;
		return nfs_lstat64(nfs, path, &n);
	}
	return nfs_access(nfs, path, mask);
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	memset(buf, 0, size);
	int r = nfs_readlink(as_caller(), path, buf, (int)(size > INT32_MAX ? INT32_MAX : size) - 1);
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
	int r = nfs_opendir(as_caller(), path, &dir);
	if (r < 0)
		return r;
	struct nfs_context *nfs = as_caller();
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
	return nfs_mknod(as_caller(), path, (int)mode, (int)rdev);
}

static int op_mkdir(const char *path, mode_t mode)
{
	return nfs_mkdir2(as_caller(), path, (int)(mode & 07777));
}

static int op_unlink(const char *path)
{
	return nfs_unlink(as_caller(), path);
}

static int op_rmdir(const char *path)
{
	return nfs_rmdir(as_caller(), path);
}

static int op_symlink(const char *target, const char *linkpath)
{
	return nfs_symlink(as_caller(), target, linkpath);
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	if (flags)
		return -EINVAL; /* RENAME_NOREPLACE / RENAME_EXCHANGE: NFS has neither */
	return nfs_rename(as_caller(), from, to);
}

static int op_link(const char *from, const char *to)
{
	return nfs_link(as_caller(), from, to);
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return nfs_chmod(as_caller(), path, (int)(mode & 07777));
}

/* (uid_t)-1 or (gid_t)-1 keeps that id: send the current one. */
static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	struct nfs_context *nfs = as_caller();
	if (uid == (uid_t)-1 || gid == (gid_t)-1) {
		struct nfs_stat_64 n;
		int r = nfs_lstat64(nfs, path, &n);
		if (r < 0)
			return r;
		if (uid == (uid_t)-1)
			uid = (uid_t)n.nfs_uid;
		if (gid == (gid_t)-1)
			gid = (gid_t)n.nfs_gid;
	}
	return nfs_lchown(nfs, path, (int)uid, (int)gid);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct nfs_context *nfs = as_caller();
	if (size < 0)
		return -EINVAL;
	return fi ? nfs_ftruncate(nfs, handle(fi), (uint64_t)size) : nfs_truncate(nfs, path, (uint64_t)size);
}

#define OPEN_FLAGS (O_ACCMODE | O_EXCL | O_TRUNC | O_SYNC)

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct nfsfh *fh = NULL;
	int r = nfs_open(as_caller(), path, fi->flags & OPEN_FLAGS, &fh);
	if (r < 0)
		return r;
	fi->fh = (uint64_t)(uintptr_t)fh;
	return 0;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct nfsfh *fh = NULL;
	int r = nfs_create(as_caller(), path, fi->flags & OPEN_FLAGS, (int)(mode & 07777), &fh);
	if (r < 0)
		return r;
	fi->fh = (uint64_t)(uintptr_t)fh;
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
	(void)path;
	return nfs_pread(as_caller(), handle(fi), (uint64_t)offset, size, buf);
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	(void)path;
	return nfs_pwrite(as_caller(), handle(fi), (uint64_t)offset, size, buf);
}

static int op_statfs(const char *path, struct statvfs *out)
{
	struct nfs_statvfs_64 sv;
	int r = nfs_statvfs64(as_caller(), path, &sv);
	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->f_bsize = sv.f_bsize;
	out->f_frsize = sv.f_frsize;
	out->f_blocks = sv.f_blocks;
	out->f_bfree = sv.f_bfree;
	out->f_bavail = sv.f_bavail;
	out->f_files = sv.f_files;
	out->f_ffree = sv.f_ffree;
	out->f_favail = sv.f_favail;
	out->f_fsid = sv.f_fsid;
	out->f_namemax = sv.f_namemax;
	return 0;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path, (void)fi;
	return 0; /* writes are synchronous calls already */
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return nfs_close(as_caller(), handle(fi));
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path, (void)datasync;
	return nfs_fsync(as_caller(), handle(fi));
}

static void to_timeval(const struct timespec *ts, const struct timespec *current, struct timeval *tv)
{
	struct timespec now;
	if (ts->tv_nsec == UTIME_OMIT) {
		ts = current;
	} else if (ts->tv_nsec == UTIME_NOW) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	tv->tv_sec = ts->tv_sec;
	tv->tv_usec = ts->tv_nsec / 1000;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	struct nfs_context *nfs = as_caller();
	struct nfs_stat_64 n;
	int r = nfs_lstat64(nfs, path, &n);
	if (r < 0)
		return r;
	struct timespec now[2];
	clock_gettime(CLOCK_REALTIME, &now[0]);
	now[1] = now[0];
	const struct timespec *want = tv ? tv : now;
	struct timespec current[2] = {
		{(time_t)n.nfs_atime, (long)n.nfs_atime_nsec},
		{(time_t)n.nfs_mtime, (long)n.nfs_mtime_nsec},
	};
	struct timeval times[2];
	to_timeval(&want[0], &current[0], &times[0]);
	to_timeval(&want[1], &current[1], &times[1]);
	return S_ISLNK(n.nfs_mode) ? nfs_lutimes(nfs, path, times) : nfs_utimes(nfs, path, times);
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
	.getattr = op_getattr,
	.access = op_access,
	.readlink = op_readlink,
	.readdir = op_readdir,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.chmod = op_chmod,
	.chown = op_chown,
	.truncate = op_truncate,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.statfs = op_statfs,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.utimens = op_utimens,
};

const struct fuse_operations *cr_nfs_fuse_operations(void)
{
	return &ops;
}
