/* File attributes through libnfs: stat, access, chmod, chown, truncate,
 * times and statfs, passed through unchanged (no id mapping). */
#define LOG_PREFIX "nfs-fuse: "
#include "nfs/fuse_ops.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>

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

/* libfuse keeps a file unlinked while open under a hidden name until it is
 * closed: that name is ours, not the user's, so it does not count as a link
 * (an unlinked open file shows st_nlink 0, as on a local file system, and
 * CRIU then keeps it in the image as a ghost file). */
#define HIDDEN_PREFIX ".fuse_hidden"

static bool is_hidden(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	return base && strncmp(base, HIDDEN_PREFIX, strlen(HIDDEN_PREFIX)) == 0;
}

int cr_nfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct nfs_context *nfs = cr_nfs_fuse_caller();
	struct nfs_stat_64 n;
	int r = fi ? nfs_fstat64(nfs, cr_nfs_fuse_handle(fi), &n) : nfs_lstat64(nfs, path, &n);
	if (r < 0)
		return r;
	to_stat(&n, st);
	if (is_hidden(path) && st->st_nlink > 0 && !S_ISDIR(st->st_mode))
		st->st_nlink--;
	return 0;
}

int cr_nfs_access(const char *path, int mask)
{
	struct nfs_context *nfs = cr_nfs_fuse_caller();
	if (mask == F_OK) {
		struct nfs_stat_64 n;
		return nfs_lstat64(nfs, path, &n);
	}
	return nfs_access(nfs, path, mask);
}

int cr_nfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return nfs_chmod(cr_nfs_fuse_caller(), path, (int)(mode & 07777));
}

/* (uid_t)-1 or (gid_t)-1 keeps that id: send the current one. */
int cr_nfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	struct nfs_context *nfs = cr_nfs_fuse_caller();
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

int cr_nfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct nfs_context *nfs = cr_nfs_fuse_caller();
	if (size < 0)
		return -EINVAL;
	return fi ? nfs_ftruncate(nfs, cr_nfs_fuse_handle(fi), (uint64_t)size) : nfs_truncate(nfs, path, (uint64_t)size);
}

int cr_nfs_statfs(const char *path, struct statvfs *out)
{
	struct nfs_statvfs_64 sv;
	int r = nfs_statvfs64(cr_nfs_fuse_caller(), path, &sv);
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

int cr_nfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	struct nfs_context *nfs = cr_nfs_fuse_caller();
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
