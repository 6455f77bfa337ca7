/* The socket and thread of a streamer. */
#include "stream/streamer_thread.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int cr_streamer_start(struct cr_streamer *t, const char *dir, const char *sock, void *(*fn)(void *), void *arg,
		      struct cr_error *err)
{
	t->listen_fd = t->conn_fd = t->stop[0] = t->stop[1] = -1;
	cr_streamer_in_init(&t->in);
	if (pipe2(t->stop, O_CLOEXEC) < 0)
		return cr_error_errno(err, "cannot make a pipe");
	int r = cr_streamer_listen(dir, sock, &t->sock_path, &t->listen_fd, err);
	if (r < 0)
		return r;
	if ((r = pthread_create(&t->thread, NULL, fn, arg)) != 0)
		return cr_error_set(err, r, "cannot start the streamer thread");
	t->running = true;
	return 0;
}

int cr_streamer_socket_fd(const struct cr_streamer *t)
{
	if (t->conn_fd < 0)
		return t->listen_fd;
	return t->in.eof ? -1 : t->conn_fd;
}

int cr_streamer_socket_ready(struct cr_streamer *t, struct cr_error *err)
{
	if (t->conn_fd >= 0)
		return cr_streamer_recv(t->conn_fd, &t->in, err);
	if (t->listen_fd < 0)
		return 0;
	int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (fd < 0)
		return cr_error_errno(err, "cannot accept criu on %s", t->sock_path);
	t->conn_fd = fd;
	close(t->listen_fd); /* one criu per dump or restore */
	t->listen_fd = -1;
	return 0;
}

int cr_streamer_stop(struct cr_streamer *t, char why, struct cr_error *err)
{
	if (!t->running)
		return 0;
	ssize_t ignored = write(t->stop[1], &why, 1); /* an empty pipe: cannot fail */
	(void)ignored;
	pthread_join(t->thread, NULL);
	t->running = false;
	if (t->result < 0)
		return cr_error_set(err, t->err.code, "%s", cr_error_msg(&t->err));
	return 0;
}

void cr_streamer_release(struct cr_streamer *t)
{
	(void)cr_streamer_stop(t, 'f', NULL);
	cr_streamer_in_release(&t->in);
	if (t->sock_path)
		unlink(t->sock_path);
	int fds[] = {t->listen_fd, t->conn_fd, t->stop[0], t->stop[1]};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	t->listen_fd = t->conn_fd = t->stop[0] = t->stop[1] = -1;
	cr_error_clear(&t->err);
	free(t->sock_path);
	t->sock_path = NULL;
}
