/* Full reads and writes over fds or callbacks, with EINTR handled. */
#include "formats/image_io.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct cr_image_io cr_image_io_fd(int fd)
{
	struct stat st;
	struct cr_image_io io = {.read = NULL, .write = NULL, .ctx = NULL, .fd = fd};
	io.fd_is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	return io;
}

struct cr_image_io cr_image_io_fd_timeout(int fd, int timeout_ms)
{
	struct cr_image_io io = cr_image_io_fd(fd);
	io.timeout_ms = timeout_ms;
	return io;
}

/* Wait until FD is ready for EVENTS, at most the io's timeout. */
static int wait_fd(const struct cr_image_io *io, short events, struct cr_error *err)
{
	if (io->timeout_ms <= 0)
		return 0;
	struct pollfd pfd = {.fd = io->fd, .events = events};
	for (;;) {
		int n = poll(&pfd, 1, io->timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return cr_error_set(err, ETIMEDOUT, "image stream: no progress for %d ms",
					    io->timeout_ms);
		if (errno != EINTR)
			return cr_error_errno(err, "cannot wait for the image stream");
	}
}

static ssize_t io_read(const struct cr_image_io *io, void *buf, size_t len, struct cr_error *err)
{
	if (io->read)
		return io->read(io->ctx, buf, len, err);
	for (;;) {
		int r = wait_fd(io, POLLIN, err);
		if (r < 0)
			return r;
		ssize_t n = read(io->fd, buf, len);
		if (n >= 0)
			return n;
		if (io->timeout_ms > 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (errno != EINTR)
			return cr_error_errno(err, "cannot read image");
	}
}

static ssize_t io_write(const struct cr_image_io *io, const void *buf, size_t len,
			struct cr_error *err)
{
	if (io->write)
		return io->write(io->ctx, buf, len, err);
	for (;;) {
		int r = wait_fd(io, POLLOUT, err);
		if (r < 0)
			return r;
		/* A blocking send() of more than the socket has room for waits for
		 * all of it, past the poll's timeout: to a peer whose link died,
		 * for as long as TCP retransmits. MSG_DONTWAIT takes what fits. */
		int flags = MSG_NOSIGNAL | (io->timeout_ms > 0 ? MSG_DONTWAIT : 0);
		ssize_t n = io->fd_is_socket ? send(io->fd, buf, len, flags)
					     : write(io->fd, buf, len);
		if (n > 0)
			return n;
		if (n == 0)
			return cr_error_set(err, EIO, "cannot write image: no progress");
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		if (errno != EINTR)
			return cr_error_errno(err, "cannot write image");
	}
}

int cr_io_write_all(const struct cr_image_io *io, const void *buf, size_t len,
		    struct cr_error *err)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = io_write(io, p, len, err);
		if (n < 0)
			return (int)n;
		if (n == 0 || (size_t)n > len)
			return cr_error_set(err, EIO, "cannot write image: bad write result");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cr_io_read_full(const struct cr_image_io *io, void *buf, size_t len, const char *what,
		    struct cr_error *err)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = io_read(io, p + got, len - got, err);
		if (n < 0)
			return (int)n;
		if ((size_t)n > len - got)
			return cr_error_set(err, EIO, "cannot read image: bad read result");
		if (n == 0) {
			if (got == 0)
				return 1;
			return cr_error_set(err, EPIPE,
					    "image is truncated: %s ends after %zu of %zu bytes",
					    what, got, len);
		}
		got += (size_t)n;
	}
	return 0;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct cr_error *err)
{
	struct cr_image_membuf *mb = ctx;
	(void)err;
	size_t n = mb->len - mb->pos < len ? mb->len - mb->pos : len;
	if (n)
		memcpy(buf, mb->data + mb->pos, n);
	mb->pos += n;
	return (ssize_t)n;
}

static ssize_t mem_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	struct cr_image_membuf *mb = ctx;
	if (mb->max && len > mb->max - mb->len)
		return cr_error_set(err, EFBIG, "in-memory image is full (%zu bytes)", mb->max);
	if (len > mb->cap - mb->len) {
		size_t ncap = mb->cap ? mb->cap : 4096;
		while (ncap - mb->len < len)
			ncap *= 2;
		uint8_t *p = realloc(mb->data, ncap);
		if (!p)
			return cr_error_set(err, ENOMEM, "out of memory for an in-memory image");
		mb->data = p;
		mb->cap = ncap;
	}
	memcpy(mb->data + mb->len, buf, len);
	mb->len += len;
	return (ssize_t)len;
}

struct cr_image_io cr_image_io_mem(struct cr_image_membuf *mb)
{
	struct cr_image_io io = {.read = mem_read, .write = mem_write, .ctx = mb, .fd = -1};
	return io;
}

void cr_image_membuf_free(struct cr_image_membuf *mb)
{
	free(mb->data);
	memset(mb, 0, sizeof(*mb));
}
