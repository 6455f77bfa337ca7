#include "util/copytree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int copy_attrs(int fd, const char *dst, const struct stat *st, struct cr_error *err)
{
	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
		return cr_error_errno(err, "cannot set owner and mode of %s", dst);
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	(void)futimens(fd, times);
	return 0;
}

static int copy_file(const char *src, const char *dst, const struct stat *st, struct cr_error *err)
{
	cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return cr_error_errno(err, "cannot open %s", src);
	cleanup_close int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return cr_error_errno(err, "cannot create %s", dst);
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cr_error_errno(err, "cannot copy %s to %s", src, dst);
		}
		if (n == 0)
			break; /* the file shrank while we copied */
		left -= n;
	}
	return copy_attrs(out, dst, st, err);
}

static int copy_symlink(const char *src, const char *dst, const struct stat *st, struct cr_error *err)
{
	cleanup_free char *target = malloc((size_t)st->st_size + 2);
	if (!target)
		return cr_error_set(err, ENOMEM, "out of memory copying %s", src);
	ssize_t n = readlink(src, target, (size_t)st->st_size + 1);
	if (n < 0)
		return cr_error_errno(err, "cannot read link %s", src);
	target[n] = '\0';
	if (symlink(target, dst) < 0)
		return cr_error_errno(err, "cannot create link %s", dst);
	(void)lchown(dst, st->st_uid, st->st_gid);
	return 0;
}

static int copy_dir(const char *src, const char *dst, const struct stat *st, struct cr_error *err)
{
	if (mkdir(dst, 0700) < 0)
		return cr_error_errno(err, "cannot create directory %s", dst);
	cleanup_dir DIR *d = opendir(src);
	if (!d)
		return cr_error_errno(err, "cannot read directory %s", src);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cleanup_free char *s = NULL;
		cleanup_free char *t = NULL;
		if (asprintf(&s, "%s/%s", src, de->d_name) < 0 || asprintf(&t, "%s/%s", dst, de->d_name) < 0)
			return cr_error_set(err, ENOMEM, "out of memory copying %s", src);
		int r = cr_copy_tree(s, t, err);
		if (r < 0)
			return r;
	}
	cleanup_close int fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cr_error_errno(err, "cannot open %s", dst);
	return copy_attrs(fd, dst, st, err);
}

int cr_copy_tree(const char *src, const char *dst, struct cr_error *err)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return cr_error_errno(err, "cannot stat %s", src);
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, &st, err);
	if (S_ISLNK(st.st_mode))
		return copy_symlink(src, dst, &st, err);
	if (S_ISDIR(st.st_mode))
		return copy_dir(src, dst, &st, err);
	return 0; /* devices, sockets and fifos are not part of a root part */
}
