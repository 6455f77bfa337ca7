/* The capture thread: accept CRIU, take each image file's pipe, drain every
 * open pipe into the streamed image as bytes arrive. */
#define LOG_PREFIX "stream: "
#include "stream/capture.h"

#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/capture_queue.h"
#include "stream/streamer_thread.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/prio.h"

#define PIPE_SIZE (1 << 20) /* fewer wake-ups; the default fs.pipe-max-size */
#define READER_NICE_BOOST 10

struct open_pipe {
	int fd;
	uint32_t file;
	char *name;
};

struct cr_capture {
	struct cr_streamer t; /* stopped with 'o' (the dump succeeded) or 'f' */
	char *prefix;
	struct cr_capture_queue *q; /* CRIU's bytes on their way into the image */
	int timeout_ms; /* set before 'o' is written */
	struct open_pipe *pipes;
	size_t n_pipes, cap_pipes;
	char *pending; /* a request's file name whose pipe is still due */
	uint64_t files;
	uint64_t reads; /* reads that brought bytes, for the debug log */
	/* Every file CRIU wrote was taken in whole (or the reader failed:
	 * TAKEN_R), told to cr_capture_taken. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool taken;
	int taken_r;
	struct cr_error taken_err;
};

/* A new image file: its pipe joins the ones being drained. */
static int take_file(struct cr_capture *c, char *name, int fd, struct cr_error *err)
{
	cleanup_free char *path = NULL;
	int r = 0;
	if (c->n_pipes == c->cap_pipes) {
		size_t ncap = c->cap_pipes ? 2 * c->cap_pipes : 16;
		struct open_pipe *np = realloc(c->pipes, ncap * sizeof(*np));
		if (!np)
			r = cr_error_set(err, ENOMEM, "out of memory");
		else {
			c->pipes = np;
			c->cap_pipes = ncap;
		}
	}
	if (r == 0 && asprintf(&path, "%s/%s", c->prefix, name) < 0) {
		path = NULL;
		r = cr_error_set(err, ENOMEM, "out of memory");
	}
	int flags = fcntl(fd, F_GETFL);
	if (r == 0 && (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0))
		r = cr_error_errno(err, "cannot set criu's pipe for %s non-blocking", name);
	(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
	uint32_t file = 0;
	if (r == 0)
		r = cr_capture_queue_open(c->q, path, &file, err);
	if (r < 0) {
		close(fd);
		free(name);
		return r;
	}
	c->pipes[c->n_pipes++] = (struct open_pipe){.fd = fd, .file = file, .name = name};
	c->files++;
	return 0;
}

static int on_socket(struct cr_capture *c, struct cr_error *err)
{
	struct cr_streamer_in *in = &c->t.in;
	int r = cr_streamer_socket_ready(&c->t, err);
	while (r == 0 && c->t.conn_fd >= 0) {
		if (!c->pending && (r = cr_streamer_take_request(in, &c->pending, err)) <= 0)
			break;
		if (in->pipes != 1) {
			r = cr_error_set(err, EPROTO, "criu's dump offers %s over %u pipes, not one", c->pending, in->pipes);
			break;
		}
		int fd = -1;
		if ((r = cr_streamer_take_fd(in, &fd, err)) <= 0)
			break;
		r = take_file(c, c->pending, fd, err);
		c->pending = NULL;
	}
	if (r > 0)
		r = 0;
	if (r == 0 && in->eof && (in->len > 0 || c->pending))
		r = cr_error_set(err, EPROTO, "criu closed the streamer socket in the middle of a request");
	return r;
}

/* Drain what pipe I holds; at its end the file is complete. */
static int on_pipe(struct cr_capture *c, size_t i, struct cr_error *err)
{
	struct open_pipe *p = &c->pipes[i];
	uint8_t *buf = cr_capture_queue_buffer(c->q);
	if (!buf)
		return cr_error_set(err, ENOMEM, "out of memory for criu's image files");
	ssize_t n = read(p->fd, buf, CR_CAPTURE_QUEUE_BLOCK);
	if (n <= 0)
		cr_capture_queue_unused(c->q, buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		return cr_error_errno(err, "cannot read image file %s from criu", p->name);
	if (n > 0) {
		c->reads++;
		return cr_capture_queue_write(c->q, p->file, buf, (size_t)n, err);
	}
	int r = cr_capture_queue_close(c->q, p->file, err);
	close(p->fd);
	free(p->name);
	*p = c->pipes[--c->n_pipes];
	return r;
}

/* 0 to go on; 1 when the dump is over and every file was taken. */
static int on_stop(struct cr_capture *c, int64_t *deadline, struct cr_error *err)
{
	char why = 'f';
	if (read(c->t.stop[0], &why, 1) != 1 || why != 'o')
		return cr_error_set(err, ECANCELED, "the dump failed: the image is incomplete");
	int r = c->t.conn_fd < 0 ? cr_streamer_socket_ready(&c->t, err) : 0; /* it may have come with the stop */
	if (r < 0)
		return r;
	if (c->t.conn_fd < 0)
		return cr_error_set(err, EPROTO, "criu did not stream its images (does the installed criu "
						 "take the stream option? see corral check)");
	*deadline = cr_now_ms() + c->timeout_ms;
	return 0;
}

static int loop(struct cr_capture *c, struct cr_error *err)
{
	int64_t deadline = -1;
	cleanup_free struct pollfd *pfd = NULL;
	size_t cap = 0;
	for (;;) {
		if (deadline >= 0 && c->t.in.eof && c->n_pipes == 0)
			return 0;
		if (cap < c->n_pipes + 2) {
			cap = c->n_pipes + 18;
			struct pollfd *np = realloc(pfd, cap * sizeof(*np));
			if (!np)
				return cr_error_set(err, ENOMEM, "out of memory");
			pfd = np;
		}
		pfd[0] = (struct pollfd){.fd = deadline < 0 ? c->t.stop[0] : -1, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = cr_streamer_socket_fd(&c->t), .events = POLLIN};
		for (size_t i = 0; i < c->n_pipes; i++)
			pfd[2 + i] = (struct pollfd){.fd = c->pipes[i].fd, .events = POLLIN};
		int timeout = -1;
		if (deadline >= 0) {
			int64_t left = deadline - cr_now_ms();
			if (left <= 0)
				return cr_error_set(err, ETIMEDOUT,
						    "criu's dump ended but %zu of its image files stayed open %d ms",
						    c->n_pipes, c->timeout_ms);
			timeout = left > 1000 ? 1000 : (int)left;
		}
		size_t n_pipes = c->n_pipes;
		int n = poll(pfd, 2 + n_pipes, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot wait for criu's image files");
		int r = 0;
		if (pfd[0].revents && (r = on_stop(c, &deadline, err)) < 0)
			return r;
		if (pfd[1].revents && (r = on_socket(c, err)) < 0)
			return r;
		/* From the last: on_pipe moves the last pipe into a finished one's place. */
		for (size_t i = n_pipes; i-- > 0;)
			if (pfd[2 + i].revents && (r = on_pipe(c, i, err)) < 0)
				return r;
	}
}

static void drop_pipes(struct cr_capture *c)
{
	for (size_t i = 0; i < c->n_pipes; i++) {
		close(c->pipes[i].fd);
		free(c->pipes[i].name);
	}
	c->n_pipes = 0;
}

/* The reader does little work (a copy of each MiB) but CRIU waits on it
 * after every MiB it writes (its pipes hold 1 MiB: fs.pipe-max-size): it
 * gets ahead of the other work of the host, best effort (without
 * CAP_SYS_NICE it stays as it is). */
static void reader_priority(void)
{
	struct cr_nice n = CR_NICE_INIT;
	(void)cr_nice_shift(&n, 0, -READER_NICE_BOOST);
}

static void *run(void *arg)
{
	struct cr_capture *c = arg;
	struct cr_error err = CR_ERROR_INIT;
	reader_priority();
	int r = loop(c, &err);
	cr_debug("took %llu bytes of %llu files in %llu reads", (unsigned long long)cr_capture_queue_bytes(c->q),
		 (unsigned long long)c->files, (unsigned long long)c->reads);
	pthread_mutex_lock(&c->mu);
	c->taken = true;
	c->taken_r = r;
	if (r < 0)
		cr_error_set(&c->taken_err, err.code, "%s", cr_error_msg(&err));
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	/* What is queued goes into the image (unless the dump failed). */
	int w = r < 0 ? 0 : cr_capture_queue_finish(c->q, &err);
	c->t.result = r < 0 ? r : w;
	if (c->t.result < 0) {
		cr_error_set(&c->t.err, err.code, "%s", cr_error_msg(&err));
		cr_debug("capture ended: %s", cr_error_msg(&c->t.err));
	}
	cr_error_clear(&err);
	return NULL;
}

int cr_capture_start(const char *images_dir, const char *prefix, struct cr_image_stream_writer *sw,
		     struct cr_capture **ret_capture, struct cr_error *err)
{
	struct cr_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return cr_error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	int r = 0;
	if (!(c->prefix = strdup(prefix)))
		r = cr_error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = cr_capture_queue_start(sw, &c->q, err);
	if (r == 0)
		r = cr_streamer_start(&c->t, images_dir, CR_STREAMER_CAPTURE_SOCK, run, c, err);
	if (r < 0) {
		cr_capture_free(c);
		return r;
	}
	*ret_capture = c;
	return 0;
}

int cr_capture_taken(struct cr_capture *c, int timeout_ms, struct cr_error *err)
{
	if (!c->t.running)
		return cr_error_set(err, EINVAL, "the streamer is not running");
	c->timeout_ms = timeout_ms;
	char why = 'o';
	ssize_t ignored = write(c->t.stop[1], &why, 1); /* an empty pipe: cannot fail */
	(void)ignored;
	/* The reader's own deadline (TIMEOUT_MS after 'o') bounds this wait. */
	pthread_mutex_lock(&c->mu);
	while (!c->taken)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	if (c->taken_r < 0)
		return cr_error_set(err, c->taken_err.code, "%s", cr_error_msg(&c->taken_err));
	return 0;
}

int cr_capture_finish(struct cr_capture *c, bool dump_ok, int timeout_ms, struct cr_error *err)
{
	if (!c->t.running)
		return cr_error_set(err, EINVAL, "the streamer is not running");
	if (!c->taken)
		c->timeout_ms = timeout_ms;
	return cr_streamer_stop(&c->t, dump_ok ? 'o' : 'f', err);
}

uint64_t cr_capture_bytes(const struct cr_capture *c)
{
	return cr_capture_queue_bytes(c->q);
}

int cr_capture_listen_fd(const struct cr_capture *c)
{
	return c->t.listen_fd;
}

uint64_t cr_capture_files(const struct cr_capture *c)
{
	return c->files;
}

void cr_capture_free(struct cr_capture *c)
{
	if (!c)
		return;
	cr_streamer_release(&c->t);
	cr_capture_queue_free(c->q);
	drop_pipes(c);
	cr_error_clear(&c->taken_err);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->pending);
	free(c->pipes);
	free(c->prefix);
	free(c);
}
