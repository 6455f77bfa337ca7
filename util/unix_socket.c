/* Unix sockets named in a directory (util/unix_socket.h). */
#include "util/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

/* ADDR names DIR/NAME through DFD, DIR opened O_PATH. */
static int address(const char *dir, const char *name, int *ret_dfd, struct sockaddr_un *addr, struct cr_error *err)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cr_error_errno(err, "cannot open the socket directory %s", dir);
	*addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", dfd, name) >=
	    sizeof(addr->sun_path)) {
		close(dfd);
		return cr_error_set(err, ENAMETOOLONG, "socket name %s is too long", name);
	}
	*ret_dfd = dfd;
	return 0;
}

int cr_unix_listen_at(const char *dir, const char *name, int flags, char **ret_path, int *ret_fd,
		      struct cr_error *err)
{
	cleanup_free char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	struct sockaddr_un addr;
	cleanup_close int dfd = -1;
	int r = address(dir, name, &dfd, &addr, err);
	if (r < 0)
		return r;
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make the socket %s", path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0)
		return cr_error_errno(err, "cannot listen on %s", path);
	if (ret_path)
		*ret_path = steal_pointer(&path);
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

int cr_unix_connect_at(const char *dir, const char *name, int *ret_fd, struct cr_error *err)
{
	struct sockaddr_un addr;
	cleanup_close int dfd = -1;
	int r = address(dir, name, &dfd, &addr, err);
	if (r < 0)
		return r;
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cr_error_errno(err, "cannot make a socket to reach %s/%s", dir, name);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return -errno;
		return cr_error_errno(err, "cannot connect to %s/%s", dir, name);
	}
	*ret_fd = cr_steal_fd(&fd);
	return 0;
}

static int check_len(size_t len, struct cr_error *err)
{
	if (len == 0 || len > CR_UNIX_FD_DATA_MAX)
		return cr_error_set(err, EMSGSIZE, "%zu bytes cannot go with a passed descriptor (1 to %d)", len,
				    CR_UNIX_FD_DATA_MAX);
	return 0;
}

int cr_unix_send_fd(int sock, const void *data, size_t len, int fd, struct cr_error *err)
{
	int r = check_len(len, err);
	if (r < 0)
		return r;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cr_error_errno(err, "cannot pass a descriptor");
	if ((size_t)n != len)
		return cr_error_set(err, EPROTO, "a passed descriptor's message was cut");
	return 0;
}

int cr_unix_recv_fd(int sock, int timeout_ms, void *buf, size_t len, int *ret_fd, struct cr_error *err)
{
	int r = check_len(len, err);
	if (r < 0)
		return r;
	struct pollfd p = {.fd = sock, .events = POLLIN};
	int pr;
	while ((pr = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (pr < 0)
		return cr_error_errno(err, "cannot wait for a passed descriptor");
	if (pr == 0)
		return cr_error_set(err, ETIMEDOUT, "no descriptor was passed within %d ms", timeout_ms);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cr_error_errno(err, "cannot receive a passed descriptor");
	/* Every descriptor that came is ours to close: one is wanted. */
	int fd = -1, fds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, fds++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = got;
			else
				close(got);
		}
	}
	if ((size_t)n != len || fds != 1 || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
		if (fd >= 0)
			close(fd);
		if (n == 0)
			return cr_error_set(err, EPROTO, "the peer closed without passing a descriptor");
		return cr_error_set(err, EPROTO, "a passed descriptor came malformed (%zd of %zu bytes%s%s)", n, len,
				    fds == 1 ? "" : fds == 0 ? ", no descriptor" : ", more than one descriptor",
				    (msg.msg_flags & MSG_CTRUNC) ? ", its control data cut" : "");
	}
	*ret_fd = fd;
	return 0;
}
