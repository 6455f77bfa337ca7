/* File helpers: atomic writes, bounded reads, recursive mkdir and removal. */
#define LOG_PREFIX "fsutil: "
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory part of PATH ("." when it has none). */
static char *dir_of(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return NULL;
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	return dir;
}

int cr_write_file_scratch(const char *path, const void *data, size_t len, mode_t mode, struct cr_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cr_error_errno(err, "cannot create %s", path);
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0) {
		int e = errno;
		(void)unlink(path);
		errno = e;
		return cr_error_errno(err, "cannot write %s", path);
	}
	return 0;
}

/* Fill FD (already open for writing) and make it durable. */
static int fill(int fd, const void *data, size_t len, mode_t mode)
{
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/* An unnamed file in DIR (O_TMPFILE) given the name TMP only once it is
 * whole: a writer killed at any moment leaves no stray file behind (but for
 * the instant between the link and the rename). -EOPNOTSUPP where the file
 * system has no O_TMPFILE (FUSE, NFS). */
static int write_unnamed(const char *dir, const char *tmp, const void *data, size_t len, mode_t mode,
			 struct cr_error *err)
{
	cleanup_close int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL ? -EOPNOTSUPP
										: cr_error_errno(err, "cannot create a file in %s", dir);
	if (fill(fd, data, len, mode) < 0)
		return cr_error_errno(err, "cannot write a file in %s", dir);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	(void)unlink(tmp); /* a stray one of a writer that died in the instant above */
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0)
		return errno == ENOENT ? -EOPNOTSUPP : cr_error_errno(err, "cannot create %s", tmp);
	return 0;
}

/* Remove BASE.tmp.PID in DIR left by writers that died between naming
 * their file and renaming it (PID gone): the next write of BASE repairs
 * what the kill left. A live writer's file is left alone. */
static void sweep_stale(const char *dir, const char *base)
{
	cleanup_dir DIR *d = opendir(dir);
	size_t n = strlen(base);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, base, n) != 0 || strncmp(de->d_name + n, ".tmp.", 5) != 0)
			continue;
		char *end = NULL;
		long pid = strtol(de->d_name + n + 5, &end, 10);
		if (!end || *end || pid <= 0 || pid > INT_MAX || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

int cr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct cr_error *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_free char *dir = dir_of(path);
	if (!dir || asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return cr_error_set(err, ENOMEM, "out of memory writing %s", path);
	int r = write_unnamed(dir, tmp, data, len, mode, err);
	if (r == -EOPNOTSUPP) {
		cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
		if (fd < 0)
			return cr_error_errno(err, "cannot create %s", tmp);
		r = fill(fd, data, len, mode) < 0 ? cr_error_errno(err, "cannot write %s", tmp) : 0;
	}
	if (r == 0 && rename(tmp, path) < 0)
		r = cr_error_errno(err, "cannot replace %s", path);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	const char *slash = strrchr(path, '/');
	sweep_stale(dir, slash ? slash + 1 : path);
	return cr_fsync_dir(dir);
}

int cr_fsync_dir(const char *dir)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

int cr_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
		 struct cr_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", path);
	return cr_read_fd(fd, path, max, ret_data, ret_len, err);
}

int cr_read_fd(int fd, const char *path, size_t max, char **ret_data, size_t *ret_len,
	       struct cr_error *err)
{
	size_t cap = 4096, len = 0;
	cleanup_free char *buf = malloc(cap + 1);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory reading %s", path);
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				return cr_error_set(err, EFBIG, "%s is larger than %zu bytes", path, max);
			size_t ncap = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb)
				return cr_error_set(err, ENOMEM, "out of memory reading %s", path);
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cr_error_errno(err, "cannot read %s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret_data = steal_pointer(&buf);
	return 0;
}

int cr_mkdir_p(const char *path, mode_t mode, struct cr_error *err)
{
	cleanup_free char *p = strdup(path);
	if (!p)
		return cr_error_set(err, ENOMEM, "out of memory creating %s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return cr_error_errno(err, "cannot create directory %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return cr_error_errno(err, "cannot create directory %s", p);
	return 0;
}

int cr_mkdir_parent(const char *path, mode_t mode, struct cr_error *err)
{
	cleanup_free char *dir = strdup(path);
	if (!dir)
		return cr_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return cr_mkdir_p(dir, mode, err);
}

static int remove_tree_at(int parent_fd, const char *name, dev_t dev, struct cr_error *err)
{
	struct stat st;
	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot stat %s", name);
	if (S_ISDIR(st.st_mode)) {
		if (st.st_dev != dev)
			return cr_error_set(err, EBUSY, "%s is a mount point; unmount it first", name);
		int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cr_error_errno(err, "cannot open directory %s", name);
		cleanup_dir DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return cr_error_errno(err, "cannot read directory %s", name);
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			int r = remove_tree_at(dirfd(d), de->d_name, dev, err);
			if (r < 0)
				return r;
		}
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0)
			return cr_error_errno(err, "cannot remove directory %s", name);
		return 0;
	}
	if (unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT)
		return cr_error_errno(err, "cannot remove %s", name);
	return 0;
}

int cr_rm_rf(const char *path, struct cr_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cr_error_errno(err, "cannot stat %s", path);
	int r = remove_tree_at(AT_FDCWD, path, st.st_dev, err);
	if (r < 0)
		return cr_error_wrap(err, "removing %s", path);
	return 0;
}

int cr_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void cr_stdio_ensure_open(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* open() returns the lowest free descriptor: this one. */
		int got = open("/dev/null", O_RDWR);
		if (got >= 0 && got != fd)
			close(got);
	}
}
