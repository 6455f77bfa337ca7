/* The buffers of one pipe of the serve thread (stream/serve.c) whose pages
 * are handed to CRIU's pipe (vmsplice) instead of copied into it: a ring of
 * page-aligned blocks, each filled again only once the pipe can no longer
 * hold any of its pages. A pipe holds at most its capacity in pages, one
 * buffer per page handed over (they are never merged), so once that many
 * pages went in after a block's last one, CRIU has copied the block out. */
#ifndef CORRAL_STREAM_SERVE_RING_H
#define CORRAL_STREAM_SERVE_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct cr_serve_ring {
	uint8_t *mem;    /* n blocks, mapped */
	size_t block, n; /* a block's size (whole pages) and how many */
	uint64_t slots;  /* the pipe's capacity in pages */
	uint64_t handed; /* pages handed to the pipe so far */
	uint64_t *mark;  /* per block: `handed` after its last page went; 0: never used */
	size_t next;     /* the block to fill next */
};

/* The block for a ring of pipe FD (its capacity as it is now): as many
 * UNITs (the image's blocks) as the pipe holds, at least one. A pipe-sized
 * block is handed over in one vmsplice while the reader is not copying out
 * of the pipe: blocks smaller than the pipe are handed one by one as the
 * reader drains it, each call spinning on the pipe's lock that the reader
 * holds while it copies (bench/README.md, "The page phase from both
 * sides of CRIU's pipe"). */
size_t cr_serve_ring_block(int fd, size_t unit);

/* A ring of blocks of BLOCK bytes for pipe FD (its capacity as it is now).
 * -EINVAL when BLOCK is not whole pages or the pipe holds less than a block. */
int cr_serve_ring_make(struct cr_serve_ring *ring, int fd, size_t block, struct cr_error *err);

/* Ask pipe FD's capacity again: should the reader have grown it, the ring
 * goes by the larger one (and a ring too small for it gives no block: copy
 * instead). F_GETPIPE_SZ takes the pipe's mutex, which the reader holds
 * while it copies: ask when the reader is known not to be in the pipe (a
 * wake-up at the end of its read), not before every block. */
void cr_serve_ring_sync(struct cr_serve_ring *ring, int fd);

/* The next block to fill, or NULL while the pipe may still hold a page of it
 * (by the capacity known at the last cr_serve_ring_sync or make). */
uint8_t *cr_serve_ring_take(struct cr_serve_ring *ring);

/* Hand bytes POS to LEN of block BUF (from cr_serve_ring_take) to pipe FD
 * (non-blocking): what vmsplice returns (bytes, or -1 with errno). */
ssize_t cr_serve_ring_hand(struct cr_serve_ring *ring, int fd, uint8_t *buf, size_t pos, size_t len);

/* Unmap the blocks: pages still in a pipe stay there, held by the pipe. */
void cr_serve_ring_free(struct cr_serve_ring *ring);

#endif
