/* syncwpar's file operations inside a partition's root. The parent directory
 * of every path is opened with openat2(RESOLVE_IN_ROOT), so a symbolic link
 * the partition planted ("etc -> /") resolves inside the partition, never on
 * the host; the last component is then handled with *at() calls that do not
 * follow links. Writes go to a temporary file renamed over the target. */
#define LOG_PREFIX "sync: "
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "partition/sync.h"
#include "util/cleanup.h"
#include "util/log.h"

#define COPY_CHUNK (64 * 1024)

int cr_sync_root_open(const char *dir, int *ret_fd, struct cr_error *err)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", dir);
	*ret_fd = fd;
	return 0;
}

/* Split REL at its last '/': *RET_DIR (heap, "." for none) and the base name. */
static int split(const char *rel, char **ret_dir, const char **ret_base, struct cr_error *err)
{
	const char *slash = strrchr(rel, '/');
	*ret_dir = slash ? strndup(rel, (size_t)(slash - rel)) : strdup(".");
	if (!*ret_dir)
		return cr_error_set(err, ENOMEM, "out of memory");
	*ret_base = slash ? slash + 1 : rel;
	return 0;
}

/* The directory holding REL, opened O_PATH; -ENOENT (no message) if absent. */
static int open_parent(int root_fd, bool in_root, const char *rel, const char **ret_base,
		       struct cr_error *err)
{
	cleanup_free char *dir = NULL;
	int r = split(rel, &dir, ret_base, err);
	if (r < 0)
		return r;
	int fd;
	if (in_root) {
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		fd = (int)syscall(SYS_openat2, root_fd, dir, &how, sizeof(how));
	} else {
		fd = openat(root_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return -ENOENT;
	if (fd < 0 && errno == ENOSYS)
		return cr_error_set(err, ENOSYS, "syncwpar needs openat2 (Linux 5.6 or later)");
	if (fd < 0)
		return cr_error_errno(err, "cannot open the directory of %s", rel);
	return fd;
}

/* Call FN on each chunk read from FD until its end. */
typedef int (*chunk_fn)(const char *buf, size_t n, void *data, struct cr_error *err);
static int for_each_chunk(int fd, const char *what, chunk_fn fn, void *data, struct cr_error *err)
{
	cleanup_free char *buf = malloc(COPY_CHUNK);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot read %s", what);
		if (n == 0)
			return 0;
		int r = fn(buf, (size_t)n, data, err);
		if (r < 0)
			return r;
	}
}

static int hash_chunk(const char *buf, size_t n, void *data, struct cr_error *err)
{
	(void)err;
	uint64_t *h = data;
	*h = cr_sync_hash(*h, buf, n);
	return 0;
}

static int hash_fd(int fd, uint64_t *ret, const char *rel, struct cr_error *err)
{
	uint64_t h = CR_SYNC_HASH_INIT;
	int r = for_each_chunk(fd, rel, hash_chunk, &h, err);
	if (r == 0)
		*ret = h;
	return r;
}

static int read_link(int dir_fd, const char *base, size_t hint, char **ret, struct cr_error *err)
{
	for (size_t size = hint + 2;; size *= 2) {
		char *buf = malloc(size);
		if (!buf)
			return cr_error_set(err, ENOMEM, "out of memory");
		ssize_t n = readlinkat(dir_fd, base, buf, size);
		if (n < 0) {
			free(buf);
			return cr_error_errno(err, "cannot read the link %s", base);
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			*ret = buf;
			return 0;
		}
		free(buf);
	}
}

int cr_sync_stat(int root_fd, bool in_root, const char *rel, struct cr_sync_item *ret,
		 struct cr_error *err)
{
	const char *base;
	struct stat st;
	memset(ret, 0, sizeof(*ret));
	cleanup_close int dir = open_parent(root_fd, in_root, rel, &base, err);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot look at %s", rel);
	ret->mtime = (int64_t)st.st_mtim.tv_sec;
	if (S_ISDIR(st.st_mode)) {
		ret->kind = 'd';
	} else if (S_ISLNK(st.st_mode)) {
		cleanup_free char *target = NULL;
		int r = read_link(dir, base, (size_t)st.st_size, &target, err);
		if (r < 0)
			return r;
		ret->kind = 'l';
		ret->hash = cr_sync_hash(CR_SYNC_HASH_INIT, target, strlen(target));
	} else if (S_ISREG(st.st_mode)) {
		cleanup_close int fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return cr_error_errno(err, "cannot open %s", rel);
		ret->kind = S_ISREG(st.st_mode) ? 'f' : 'o';
		if (ret->kind == 'f')
			return hash_fd(fd, &ret->hash, rel, err);
	} else {
		ret->kind = 'o';
	}
	return 0;
}

static int write_chunk(const char *buf, size_t n, void *data, struct cr_error *err)
{
	int fd = *(int *)data;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cr_error_errno(err, "cannot write a copy");
		off += (size_t)w;
	}
	return 0;
}

static int write_temp_file(int dir, const char *tmp, const char *host_path, const struct stat *hst,
			   struct cr_error *err)
{
	cleanup_close int in = open(host_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return cr_error_errno(err, "cannot open %s", host_path);
	cleanup_close int out = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return cr_error_errno(err, "cannot create a temporary copy of %s", host_path);
	struct timespec times[2] = {hst->st_atim, hst->st_mtim};
	int r = for_each_chunk(in, host_path, write_chunk, &out, err);
	if (r < 0)
		return r;
	if (fchown(out, hst->st_uid, hst->st_gid) < 0 || fchmod(out, hst->st_mode & 07777) < 0 ||
	    futimens(out, times) < 0 || fsync(out) < 0)
		return cr_error_errno(err, "cannot finish the copy of %s", host_path);
	return 0;
}

static int write_temp_link(int dir, const char *tmp, const char *host_path, const struct stat *hst,
			   struct cr_error *err)
{
	cleanup_free char *target = NULL;
	int r = read_link(AT_FDCWD, host_path, (size_t)hst->st_size, &target, err);
	if (r < 0)
		return r;
	if (symlinkat(target, dir, tmp) < 0)
		return cr_error_errno(err, "cannot create a temporary link for %s", host_path);
	if (fchownat(dir, tmp, hst->st_uid, hst->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cr_error_errno(err, "cannot set the owner of the link for %s", host_path);
	return 0;
}

int cr_sync_install(int root_fd, const char *rel, const char *host_path, struct cr_error *err)
{
	static unsigned counter;
	const char *base;
	struct stat hst;
	char tmp[64];
	if (lstat(host_path, &hst) < 0)
		return cr_error_errno(err, "cannot look at %s", host_path);
	if (!S_ISREG(hst.st_mode) && !S_ISLNK(hst.st_mode))
		return cr_error_set(err, EINVAL, "%s is neither a file nor a symbolic link", host_path);
	cleanup_close int dir = open_parent(root_fd, true, rel, &base, err);
	if (dir == -ENOENT)
		return cr_error_set(err, ENOENT, "the directory of /%s is missing in the partition", rel);
	if (dir < 0)
		return dir;
	snprintf(tmp, sizeof(tmp), ".corral-sync.%d.%u", (int)getpid(), counter++);
	int r = S_ISREG(hst.st_mode) ? write_temp_file(dir, tmp, host_path, &hst, err)
				     : write_temp_link(dir, tmp, host_path, &hst, err);
	if (r == 0 && renameat(dir, tmp, dir, base) < 0)
		r = cr_error_errno(err, "cannot replace /%s in the partition", rel);
	if (r < 0)
		unlinkat(dir, tmp, 0);
	return r;
}

int cr_sync_mkdir(int root_fd, const char *rel, const char *host_path, struct cr_error *err)
{
	const char *base;
	struct stat hst = {.st_mode = S_IFDIR | 0755, .st_uid = 0, .st_gid = 0};
	if (stat(host_path, &hst) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot look at %s", host_path);
	cleanup_close int dir = open_parent(root_fd, true, rel, &base, err);
	if (dir == -ENOENT)
		return cr_error_set(err, ENOENT, "the directory of /%s is missing in the partition", rel);
	if (dir < 0)
		return dir;
	if (mkdirat(dir, base, 0700) < 0)
		return cr_error_errno(err, "cannot create /%s in the partition", rel);
	if (fchownat(dir, base, hst.st_uid, hst.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cr_error_errno(err, "cannot set the owner of /%s in the partition", rel);
	cleanup_close int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, hst.st_mode & 07777) < 0)
		return cr_error_errno(err, "cannot set the mode of /%s in the partition", rel);
	return 0;
}

int cr_sync_unlink(int root_fd, const char *rel, struct cr_error *err)
{
	const char *base = NULL; /* set by open_parent when it succeeds */
	cleanup_close int dir = open_parent(root_fd, true, rel, &base, err);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove /%s in the partition", rel);
	cr_debug("removed /%s", rel);
	return 0;
}
