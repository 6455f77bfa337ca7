/* Parsing what CRIU sends a streamer, and the restore reply. */
#include "stream/streamer_proto.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "streamer.pb-c.h"
#include "util/unix_socket.h"

#define REPLY_TIMEOUT_MS 10000

void cr_streamer_in_init(struct cr_streamer_in *in)
{
	memset(in, 0, sizeof(*in));
}

void cr_streamer_in_release(struct cr_streamer_in *in)
{
	for (size_t i = 0; i < in->n_fds; i++)
		close(in->fds[i]);
	in->n_fds = 0;
}

int cr_streamer_recv(int sock, struct cr_streamer_in *in, struct cr_error *err)
{
	size_t room = sizeof(in->buf) - in->len;
	if (room == 0)
		return cr_error_set(err, EPROTO, "criu's streamer request does not fit in %zu bytes", sizeof(in->buf));
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * CR_STREAMER_FDS_MAX)];
	} ctl;
	struct iovec iov = {.iov_base = in->buf + in->len, .iov_len = room};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		return cr_error_errno(err, "cannot read criu's streamer socket");
	int r = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (in->n_fds < CR_STREAMER_FDS_MAX)
				in->fds[in->n_fds++] = fd;
			else {
				close(fd);
				r = cr_error_set(err, EPROTO, "criu sent more than %d descriptors at once",
						 CR_STREAMER_FDS_MAX);
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		r = cr_error_set(err, EPROTO, "criu sent more descriptors than a streamer takes at once");
	if (n == 0)
		in->eof = true;
	in->len += (size_t)n;
	return r;
}

/* The request's name, and how many pipes in turns of how many bytes. */
static int parse_request(const uint8_t *pb, size_t len, char **ret_name, unsigned *ret_pipes, uint32_t *ret_chunk,
			 struct cr_error *err)
{
	Crstream__Request *req = crstream__request__unpack(NULL, len, pb);
	if (!req)
		return cr_error_set(err, EPROTO, "criu's streamer request is not a valid message");
	const char *name = req->filename;
	size_t n = strlen(name);
	int r = 0;
	uint32_t pipes = req->has_pipes ? req->pipes : 1, chunk = pipes > 1 ? req->chunk : 0;
	if (n == 0 || n > CR_STREAMER_NAME_MAX || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		r = cr_error_set(err, EPROTO, "criu asked the streamer for an image file with a bad name (%zu bytes)", n);
	else if (pipes < 1 || pipes > CR_STREAMER_PIPES_MAX)
		r = cr_error_set(err, EPROTO, "criu asked for %s over %u pipes (1 to %d)", name, pipes,
				 CR_STREAMER_PIPES_MAX);
	else if (pipes > 1 && (chunk < CR_STREAMER_CHUNK_MIN || chunk > CR_STREAMER_CHUNK_MAX || chunk % 4096))
		r = cr_error_set(err, EPROTO, "criu asked for %s in turns of %u bytes (whole pages, %u to %u)", name,
				 chunk, CR_STREAMER_CHUNK_MIN, CR_STREAMER_CHUNK_MAX);
	char *copy = r == 0 ? strdup(name) : NULL;
	crstream__request__free_unpacked(req, NULL);
	if (r < 0)
		return r;
	if (!copy)
		return cr_error_set(err, ENOMEM, "out of memory");
	*ret_name = copy;
	*ret_pipes = pipes;
	*ret_chunk = chunk;
	return 0;
}

int cr_streamer_parse_request(const uint8_t *pb, size_t len, char **ret_name, struct cr_error *err)
{
	unsigned pipes;
	uint32_t chunk;
	return parse_request(pb, len, ret_name, &pipes, &chunk, err);
}

static void consume(struct cr_streamer_in *in, size_t n)
{
	memmove(in->buf, in->buf + n, in->len - n);
	in->len -= n;
}

int cr_streamer_take_request(struct cr_streamer_in *in, char **ret_name, struct cr_error *err)
{
	if (in->in_request)
		return cr_error_set(err, EINVAL, "the descriptor of the last request was not taken");
	if (in->len < 4)
		return 0;
	uint32_t size;
	memcpy(&size, in->buf, sizeof(size)); /* CRIU writes it in host order */
	if (size > CR_STREAMER_MSG_MAX)
		return cr_error_set(err, EPROTO, "criu's streamer request of %u bytes exceeds %d", size,
				    CR_STREAMER_MSG_MAX);
	if (in->len < 4 + (size_t)size)
		return 0;
	int r = parse_request(in->buf + 4, size, ret_name, &in->pipes, &in->chunk, err);
	if (r < 0)
		return r;
	consume(in, 4 + (size_t)size);
	in->in_request = true;
	in->taken = 0;
	return 1;
}

int cr_streamer_take_fd(struct cr_streamer_in *in, int *ret_fd, struct cr_error *err)
{
	if (!in->in_request)
		return cr_error_set(err, EINVAL, "no request waits for its descriptor");
	if (in->len < 1)
		return 0;
	/* The descriptor arrived with this byte, in the same message. */
	if (in->n_fds == 0)
		return cr_error_set(err, EPROTO, "criu sent no pipe with its streamer request");
	consume(in, 1);
	*ret_fd = in->fds[0];
	memmove(in->fds, in->fds + 1, (in->n_fds - 1) * sizeof(int));
	in->n_fds--;
	in->in_request = ++in->taken < in->pipes;
	return 1;
}

int cr_streamer_send_reply(int sock, bool exists, unsigned pipes, struct cr_error *err)
{
	Crstream__Reply rep = CRSTREAM__REPLY__INIT;
	rep.exists = exists;
	rep.has_pipes = exists && pipes > 1;
	rep.pipes = pipes;
	uint8_t buf[16];
	uint32_t size = (uint32_t)crstream__reply__get_packed_size(&rep);
	memcpy(buf, &size, sizeof(size));
	crstream__reply__pack(&rep, buf + 4);
	size_t len = 4 + size, done = 0;
	while (done < len) {
		ssize_t n = send(sock, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = sock, .events = POLLOUT};
			int pr = poll(&p, 1, REPLY_TIMEOUT_MS);
			if (pr == 0)
				return cr_error_set(err, ETIMEDOUT, "criu did not take the streamer's answer in %d ms",
						    REPLY_TIMEOUT_MS);
			if (pr < 0 && errno != EINTR)
				return cr_error_errno(err, "cannot wait for criu's streamer socket");
			continue;
		}
		if (n < 0)
			return cr_error_errno(err, "cannot answer criu on the streamer socket");
		done += (size_t)n;
	}
	return 0;
}

/* CRIU itself connects through its own /proc/PID/fd/N of the images dir. */
int cr_streamer_listen(const char *dir, const char *name, char **ret_path, int *ret_fd, struct cr_error *err)
{
	return cr_unix_listen_at(dir, name, SOCK_NONBLOCK, ret_path, ret_fd, err);
}
