/* Ring buffers handed to CRIU's pipes page by page (stream/serve_ring.h). */
#include "stream/serve_ring.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

size_t cr_serve_ring_block(int fd, size_t unit)
{
	int cap = fcntl(fd, F_GETPIPE_SZ);
	return cap > 0 && (size_t)cap > unit ? (size_t)cap / unit * unit : unit;
}

int cr_serve_ring_make(struct cr_serve_ring *ring, int fd, size_t block, struct cr_error *err)
{
	*ring = (struct cr_serve_ring){0};
	long page = sysconf(_SC_PAGESIZE);
	int cap = fcntl(fd, F_GETPIPE_SZ);
	if (page <= 0 || block == 0 || block % (size_t)page != 0 || cap < 0 || (size_t)cap < block)
		return cr_error_set(err, EINVAL, "no ring of %zu-byte blocks for a pipe of %d bytes", block, cap);
	ring->block = block;
	ring->slots = (uint64_t)cap / (uint64_t)page;
	/* Once all the others went, a block's pages are out of the pipe. */
	ring->n = (size_t)(ring->slots / (block / (size_t)page)) + 2;
	ring->mark = calloc(ring->n, sizeof(*ring->mark));
	void *mem = mmap(NULL, ring->n * block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ring->mark || mem == MAP_FAILED) {
		free(ring->mark);
		ring->mark = NULL;
		if (mem != MAP_FAILED)
			munmap(mem, ring->n * block);
		return cr_error_set(err, ENOMEM, "out of memory for a pipe's ring");
	}
	ring->mem = mem;
	return 0;
}

void cr_serve_ring_sync(struct cr_serve_ring *ring, int fd)
{
	int cap = fcntl(fd, F_GETPIPE_SZ);
	long page = sysconf(_SC_PAGESIZE);
	if (cap < 0 || page <= 0)
		ring->slots = UINT64_MAX; /* unknown: no block comes round */
	else if ((uint64_t)cap / (uint64_t)page > ring->slots)
		ring->slots = (uint64_t)cap / (uint64_t)page;
}

uint8_t *cr_serve_ring_take(struct cr_serve_ring *ring)
{
	size_t k = ring->next;
	if (ring->mark[k] != 0 && ring->handed - ring->mark[k] < ring->slots)
		return NULL;
	ring->next = (k + 1) % ring->n;
	return ring->mem + k * ring->block;
}

ssize_t cr_serve_ring_hand(struct cr_serve_ring *ring, int fd, uint8_t *buf, size_t pos, size_t len)
{
	struct iovec iov = {.iov_base = buf + pos, .iov_len = len - pos};
	ssize_t n = vmsplice(fd, &iov, 1, SPLICE_F_NONBLOCK);
	if (n <= 0)
		return n;
	/* One pipe buffer per page touched, a page cut between two calls twice. */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	ring->handed += (pos + (size_t)n + page - 1) / page - pos / page;
	ring->mark[(size_t)(buf - ring->mem) / ring->block] = ring->handed;
	return n;
}

void cr_serve_ring_free(struct cr_serve_ring *ring)
{
	if (ring->mem)
		munmap(ring->mem, ring->n * ring->block);
	free(ring->mark);
	*ring = (struct cr_serve_ring){0};
}
