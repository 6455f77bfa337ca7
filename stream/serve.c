/* The serve thread: answer CRIU's requests for image files from the image's
 * index, and fill each open pipe block by block as CRIU reads it. A file
 * asked for over several pipes (CRIU patch 0011) is dealt to them in turns of
 * the request's chunk: each pipe is served as a file of its own turns, so
 * one fills while CRIU copies out of the other.
 *
 * The pipes are watched through an epoll set. CRIU holds a pipe's mutex
 * while it copies out of it, and anything that takes the mutex meanwhile
 * (vmsplice, write, F_GETPIPE_SZ) spins on it. One pipe is watched level-
 * triggered: it is written when it has room. A pipe of several is watched
 * edge-triggered: CRIU's read wakes it only once that read is over (the
 * pipe was full), when CRIU has gone on to the next pipe, and it is then
 * written until it is full again, the next turn decoded ahead; it is never
 * touched while CRIU copies out of it. */
#define LOG_PREFIX "stream: "
#include "stream/serve.h"

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stream/serve_ring.h"
#include "stream/streamer_thread.h"
#include "util/log.h"

#define PIPE_SIZE (1 << 20)
/* Files of at least RING_MIN_BLOCKS blocks (CRIU's pages) have their pages
 * handed to the pipe from a ring (stream/serve_ring.h), not copied, on at
 * most RINGS_MAX pipes at once (a ring is three pipes' worth: its blocks are
 * as large as the pipe, cr_serve_ring_block). */
#define RING_MIN_BLOCKS 8
#define RINGS_MAX 8

struct out_pipe {
	int fd;
	size_t entry;
	unsigned part, parts; /* this pipe is part PART of PARTS, turns of CHUNK bytes (parts 1: all of it) */
	uint64_t chunk;
	uint64_t off;    /* next byte of the file to decode (past its end: none left) */
	uint8_t *buf;    /* one block decoded, not yet written (copied) */
	uint8_t *cur;    /* the block being written: buf, or one of ring's (handed over) */
	size_t len, pos;
	struct cr_serve_ring ring; /* ring.mem NULL: none */
};

struct cr_serve {
	struct cr_streamer t;
	int epfd;	/* criu's pipes */
	char *prefix;
	struct cr_image_reader *r;
	size_t pending; /* entry whose pipes are due, or SIZE_MAX */
	struct out_pipe *pipes;
	size_t n_pipes, cap_pipes;
	unsigned rings; /* pipes with a ring */
	unsigned files;
	uint64_t bytes;  /* written to criu's pipes */
	atomic_bool *whole; /* per entry: served to its end, every block checked */
	uint8_t *parts_done; /* per entry: its pipes that were served to their end */
	size_t n_entries;
};

/* The FILE entry PREFIX/NAME, or SIZE_MAX. */
static size_t find_entry(const struct cr_serve *s, const char *name)
{
	const struct cr_image_manifest *m = cr_image_reader_manifest(s->r);
	size_t pl = strlen(s->prefix);
	for (size_t i = 0; i < m->n_entries; i++) {
		const char *p = m->entries[i].path;
		if (m->entries[i].type == CR_ENTRY_FILE && !strncmp(p, s->prefix, pl) && p[pl] == '/' &&
		    !strcmp(p + pl + 1, name))
			return i;
	}
	return SIZE_MAX;
}

/* Pipe FD is part PART of PARTS of ENTRY (in turns of CHUNK bytes). */
static int add_pipe(struct cr_serve *s, int fd, size_t entry, unsigned part, unsigned parts, uint64_t chunk,
		    struct cr_error *err)
{
	const struct cr_image_manifest *m = cr_image_reader_manifest(s->r);
	int r = 0;
	if (s->n_pipes == s->cap_pipes) {
		size_t ncap = s->cap_pipes ? 2 * s->cap_pipes : 16;
		struct out_pipe *np = realloc(s->pipes, ncap * sizeof(*np));
		if (!np)
			r = cr_error_set(err, ENOMEM, "out of memory");
		else {
			s->pipes = np;
			s->cap_pipes = ncap;
		}
	}
	uint8_t *buf = r == 0 ? malloc(m->block_size) : NULL;
	if (r == 0 && !buf)
		r = cr_error_set(err, ENOMEM, "out of memory");
	int flags = fcntl(fd, F_GETFL);
	if (r == 0 && (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0))
		r = cr_error_errno(err, "cannot set criu's pipe non-blocking");
	if (r < 0) {
		free(buf);
		close(fd);
		return r;
	}
	(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
	struct out_pipe p = {.fd = fd, .entry = entry, .part = part, .parts = parts, .chunk = chunk,
			     .off = parts > 1 ? part * chunk : 0, .buf = buf, .cur = buf};
	/* Without a ring (none to spare, a pipe too small), its bytes are copied. */
	if (s->rings < RINGS_MAX && m->entries[entry].size >= (uint64_t)RING_MIN_BLOCKS * m->block_size &&
	    cr_serve_ring_make(&p.ring, fd, cr_serve_ring_block(fd, m->block_size), NULL) == 0)
		s->rings++;
	struct epoll_event ev = {.events = EPOLLOUT | (parts > 1 ? EPOLLET : 0), .data.fd = fd};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = cr_error_errno(err, "cannot watch criu's pipe for %s", m->entries[entry].path);
		if (p.ring.mem) {
			cr_serve_ring_free(&p.ring);
			s->rings--;
		}
		free(buf);
		close(fd);
		return r;
	}
	s->pipes[s->n_pipes++] = p;
	return 0;
}

static int on_socket(struct cr_serve *s, struct cr_error *err)
{
	int r = cr_streamer_socket_ready(&s->t, err);
	while (r == 0 && s->t.conn_fd >= 0) {
		if (s->pending == SIZE_MAX) {
			char *name = NULL;
			if ((r = cr_streamer_take_request(&s->t.in, &name, err)) <= 0)
				break;
			size_t e = find_entry(s, name);
			unsigned pipes = s->t.in.pipes; /* an offer of several (0011) is taken as it is */
			cr_debug("criu asks for %s%s over %u pipe(s)", name, e == SIZE_MAX ? " (not in the image)" : "",
				 pipes);
			free(name);
			if ((r = cr_streamer_send_reply(s->t.conn_fd, e != SIZE_MAX, pipes, err)) < 0)
				break;
			if (e == SIZE_MAX) {
				s->t.in.in_request = false; /* no pipe follows */
				continue;
			}
			s->pending = e;
		}
		int fd = -1;
		unsigned part = s->t.in.taken;
		if ((r = cr_streamer_take_fd(&s->t.in, &fd, err)) <= 0)
			break;
		r = add_pipe(s, fd, s->pending, part, s->t.in.pipes, s->t.in.chunk, err);
		if (!s->t.in.in_request)
			s->pending = SIZE_MAX;
	}
	return r > 0 ? 0 : r;
}

static void drop_pipe(struct cr_serve *s, size_t i)
{
	close(s->pipes[i].fd);
	free(s->pipes[i].buf);
	if (s->pipes[i].ring.mem) {
		cr_serve_ring_free(&s->pipes[i].ring);
		s->rings--;
	}
	s->pipes[i] = s->pipes[--s->n_pipes];
}

/* Pipe I has room: decode the next block when the last is written, write;
 * a pipe of several (edge-triggered) until it is full. */
static int on_pipe(struct cr_serve *s, size_t i, uint32_t events, struct cr_error *err)
{
	struct out_pipe *p = &s->pipes[i];
	const struct cr_image_manifest *m = cr_image_reader_manifest(s->r);
	uint64_t size = m->entries[p->entry].size;
	if (events & (EPOLLERR | EPOLLHUP)) { /* criu stopped reading it: its choice */
		drop_pipe(s, i);
		return 0;
	}
	if (p->ring.mem)
		cr_serve_ring_sync(&p->ring, p->fd);
	do {
		if (p->pos == p->len && p->off < size) {
			uint8_t *into = p->ring.mem ? cr_serve_ring_take(&p->ring) : NULL;
			p->cur = into ? into : p->buf;
			size_t got = 0, want = into ? p->ring.block : m->block_size;
			uint64_t turn_end = p->parts > 1 ? (p->off / p->chunk + 1) * p->chunk : size;
			if (turn_end - p->off < want)
				want = (size_t)(turn_end - p->off);
			int r = cr_image_file_pread(s->r, p->entry, p->off, p->cur, want, &got, err);
			if (r < 0)
				return r;
			p->off += got;
			if (p->off == turn_end && p->parts > 1) /* the other pipes' turns */
				p->off += (p->parts - 1) * p->chunk;
			p->len = got;
			p->pos = 0;
		}
		while (p->pos < p->len) {
			ssize_t n = p->cur != p->buf ? cr_serve_ring_hand(&p->ring, p->fd, p->cur, p->pos, p->len)
						     : write(p->fd, p->cur + p->pos, p->len - p->pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return 0;
			if (n < 0 && errno == EPIPE) {
				drop_pipe(s, i);
				return 0;
			}
			if (n < 0)
				return cr_error_errno(err, "cannot write %s to criu", m->entries[p->entry].path);
			p->pos += (size_t)n;
			s->bytes += (size_t)n;
		}
	} while (p->parts > 1 && p->off < size);
	if (p->off >= size) {
		if (++s->parts_done[p->entry] == p->parts) {
			s->files++;
			atomic_store(&s->whole[p->entry], true);
		}
		drop_pipe(s, i);
	}
	return 0;
}

/* The pipe whose descriptor is FD, or SIZE_MAX (dropped). */
static size_t find_pipe(const struct cr_serve *s, int fd)
{
	for (size_t i = 0; i < s->n_pipes; i++)
		if (s->pipes[i].fd == fd)
			return i;
	return SIZE_MAX;
}

#define EVENTS_MAX 16

static int loop(struct cr_serve *s, struct cr_error *err)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{.fd = s->t.stop[0], .events = POLLIN},
			{.fd = cr_streamer_socket_fd(&s->t), .events = POLLIN},
			{.fd = s->epfd, .events = POLLIN},
		};
		int n = poll(pfd, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cr_error_errno(err, "cannot wait for criu's requests");
		if (pfd[0].revents)
			return 0; /* the restore is over: whatever criu did not read, it did not need */
		int r = 0;
		if (pfd[1].revents && (r = on_socket(s, err)) < 0)
			return r;
		if (!pfd[2].revents)
			continue;
		struct epoll_event ev[EVENTS_MAX];
		n = epoll_wait(s->epfd, ev, EVENTS_MAX, 0);
		if (n < 0 && errno != EINTR)
			return cr_error_errno(err, "cannot wait for criu's pipes");
		for (int k = 0; k < n; k++) {
			size_t i = find_pipe(s, ev[k].data.fd);
			if (i != SIZE_MAX && (r = on_pipe(s, i, ev[k].events, err)) < 0)
				return r;
		}
	}
}

/* A clock in microseconds: CLOCK (monotonic, or this thread's CPU time). */
static int64_t clock_us(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *run(void *arg)
{
	struct cr_serve *s = arg;
	int64_t t0 = clock_us(CLOCK_MONOTONIC);
	s->t.result = loop(s, &s->t.err);
	if (s->t.result < 0)
		cr_debug("serving ended: %s", cr_error_msg(&s->t.err));
	/* Which side was the slower while pages flowed: this thread's CPU against the time it ran. */
	cr_debug("served %u files whole, %llu bytes, in %lld ms (%lld ms of this thread's CPU)", s->files,
		 (unsigned long long)s->bytes, (long long)(clock_us(CLOCK_MONOTONIC) - t0) / 1000,
		 (long long)clock_us(CLOCK_THREAD_CPUTIME_ID) / 1000);
	/* criu reads an end of file or an error from here on, never waits. */
	for (size_t i = s->n_pipes; i-- > 0;)
		drop_pipe(s, i);
	if (s->t.conn_fd >= 0)
		shutdown(s->t.conn_fd, SHUT_RDWR);
	return NULL;
}

int cr_serve_start(const char *images_dir, const char *prefix, struct cr_image_reader *r,
		   struct cr_serve **ret_serve, struct cr_error *err)
{
	struct cr_serve *s = calloc(1, sizeof(*s));
	if (!s)
		return cr_error_set(err, ENOMEM, "out of memory");
	s->r = r;
	s->pending = SIZE_MAX;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	size_t n = s->n_entries = cr_image_reader_manifest(r)->n_entries;
	s->whole = calloc(n ? n : 1, sizeof(*s->whole));
	s->parts_done = calloc(n ? n : 1, sizeof(*s->parts_done));
	for (size_t i = 0; s->whole && i < n; i++)
		atomic_init(&s->whole[i], false);
	int rc = (s->prefix = strdup(prefix)) && s->whole && s->parts_done ? 0 : cr_error_set(err, ENOMEM, "out of memory");
	if (rc == 0 && s->epfd < 0)
		rc = cr_error_errno(err, "cannot make an epoll set for criu's pipes");
	if (rc == 0)
		rc = cr_streamer_start(&s->t, images_dir, CR_STREAMER_SERVE_SOCK, run, s, err);
	if (rc < 0) {
		cr_serve_free(s);
		return rc;
	}
	*ret_serve = s;
	return 0;
}

int cr_serve_finish(struct cr_serve *s, struct cr_error *err)
{
	return cr_streamer_stop(&s->t, 's', err);
}

unsigned cr_serve_files(const struct cr_serve *s)
{
	return s->files;
}

bool cr_serve_whole(void *s, size_t entry)
{
	struct cr_serve *srv = s;
	return entry < srv->n_entries && atomic_load(&srv->whole[entry]);
}

void cr_serve_free(struct cr_serve *s)
{
	if (!s)
		return;
	cr_streamer_release(&s->t);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->pipes);
	free(s->whole);
	free(s->parts_done);
	free(s->prefix);
	free(s);
}
