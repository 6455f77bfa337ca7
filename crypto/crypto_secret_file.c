/* Secret files: permission checks on read, 0600 + O_EXCL or atomic replace on write. */
#include "crypto/crypto_secret_file.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

int cr_secret_file_read(const char *path, uint8_t *buf, size_t min, size_t max,
			size_t *ret_len, struct cr_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cr_error_errno(err, "cannot open key file %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot stat key file %s", path);
	if (!S_ISREG(st.st_mode))
		return cr_error_set(err, EINVAL, "key file %s is not a regular file", path);
	if (st.st_mode & 077)
		return cr_error_set(err, EPERM,
				    "key file %s may be read by group or others (mode %04o): "
				    "chmod 600 it",
				    path, (unsigned)(st.st_mode & 07777));
	if ((uint64_t)st.st_size < min || (uint64_t)st.st_size > max)
		return cr_error_set(err, EINVAL, "key file %s has %lld bytes, expected %zu to %zu",
				    path, (long long)st.st_size, min, max);
	size_t len = 0;
	while (len < max) {
		ssize_t n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot read key file %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len < min)
		return cr_error_set(err, EINVAL, "key file %s is shorter than %zu bytes", path, min);
	*ret_len = len;
	return 0;
}

int cr_secret_file_write(const char *path, const void *data, size_t len, bool replace,
			 struct cr_error *err)
{
	if (replace)
		return cr_write_file_atomic(path, data, len, 0600, err);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot create %s", path);
	const uint8_t *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = cr_error_errno(err, "cannot write %s", path);
			unlink(path);
			return r;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		int r = cr_error_errno(err, "cannot write %s", path);
		unlink(path);
		return r;
	}
	return 0;
}
