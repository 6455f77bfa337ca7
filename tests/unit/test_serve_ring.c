/* The serve thread's rings (stream/serve_ring.c): a block is given out
 * again only once the pipe can hold none of its pages, what CRIU reads is
 * what was handed over, and a pipe grown by its reader makes the ring wait
 * for the larger capacity once it is asked again (or give up: copy instead). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "stream/serve_ring.h"

#define BLOCK (128u << 10)

/* A non-blocking pipe of CAP bytes (a test that cannot have it is skipped). */
static void make_pipe(int p[2], int cap)
{
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	if (fcntl(p[1], F_SETPIPE_SZ, cap) < cap)
		skip();
}

/* Fill up to MAX blocks with the byte SEED + their number and hand them
 * over until the pipe is full or the ring gives none; returns how many went
 * whole. */
static unsigned hand_blocks(struct cr_serve_ring *ring, int fd, unsigned seed, unsigned max)
{
	unsigned n = 0;
	while (n < max) {
		uint8_t *b = cr_serve_ring_take(ring);
		if (!b)
			return n;
		memset(b, (int)(seed + n), BLOCK);
		ssize_t got = cr_serve_ring_hand(ring, fd, b, 0, BLOCK);
		if (got != (ssize_t)BLOCK)
			fail_msg("block %u: %zd of %u bytes handed over", n, got, BLOCK);
		n++;
	}
	return n;
}

/* Read N blocks from FD; each must be the byte SEED + its number throughout. */
static void read_blocks(int fd, unsigned n, unsigned seed)
{
	uint8_t *got = malloc(BLOCK);
	for (unsigned i = 0; i < n; i++) {
		size_t len = 0;
		while (len < BLOCK) {
			ssize_t k = read(fd, got + len, BLOCK - len);
			assert_true(k > 0);
			len += (size_t)k;
		}
		for (size_t k = 0; k < BLOCK; k++)
			if (got[k] != (uint8_t)(seed + i))
				fail_msg("block %u byte %zu: %u, not %u", i, k, got[k], seed + i);
	}
	free(got);
}

/* Read LEN bytes from FD; each must be BYTE. */
static void read_same(int fd, size_t len, uint8_t byte)
{
	uint8_t *got = malloc(len);
	for (size_t n = 0; n < len;) {
		ssize_t k = read(fd, got + n, len - n);
		assert_true(k > 0);
		n += (size_t)k;
	}
	for (size_t k = 0; k < len; k++)
		if (got[k] != byte)
			fail_msg("byte %zu: %u, not %u", k, got[k], byte);
	free(got);
}

static void blocks_wait_until_the_pipe_let_them_go(void **state)
{
	(void)state;
	int p[2];
	make_pipe(p, 1 << 20);
	struct cr_serve_ring ring;
	assert_int_equal(cr_serve_ring_make(&ring, p[1], BLOCK, NULL), 0);
	assert_int_equal(ring.slots, (1u << 20) / (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(ring.n, 10); /* the pipe's 8 blocks and two */
	/* The pipe takes 8 blocks; nothing is read yet. */
	assert_int_equal(hand_blocks(&ring, p[1], 1, 8), 8);
	/* The two spare blocks, then none: the pipe may hold the others. */
	uint8_t *b8 = cr_serve_ring_take(&ring), *b9 = cr_serve_ring_take(&ring);
	assert_non_null(b8);
	assert_non_null(b9);
	assert_null(cr_serve_ring_take(&ring));
	memset(b8, 20, BLOCK);
	memset(b9, 21, BLOCK);
	/* The reader gets every byte as it was handed over. */
	read_blocks(p[0], 8, 1);
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b8, 0, BLOCK), BLOCK);
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b9, 0, BLOCK), BLOCK);
	/* Nine blocks' worth went in after the first: it is out, it comes round. */
	uint8_t *b0 = cr_serve_ring_take(&ring);
	assert_ptr_equal(b0, ring.mem);
	memset(b0, 0xee, BLOCK);
	read_blocks(p[0], 2, 20);
	cr_serve_ring_free(&ring);
	assert_null(ring.mem);
	close(p[0]);
	close(p[1]);
}

static void a_pipe_grown_by_its_reader_is_waited_for(void **state)
{
	(void)state;
	int p[2];
	make_pipe(p, 1 << 20);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 256 << 10) >= (256 << 10));
	struct cr_serve_ring ring;
	assert_int_equal(cr_serve_ring_make(&ring, p[1], BLOCK, NULL), 0);
	assert_int_equal(ring.n, 4); /* two blocks fill the pipe, two spare */
	assert_int_equal(hand_blocks(&ring, p[1], 1, 2), 2);
	/* Drained, then grown to 1 MiB: the two used blocks could now still be
	 * in a pipe that holds eight, so the ring gives only its two unused. */
	uint8_t *drain = malloc(2 * BLOCK);
	assert_int_equal(read(p[0], drain, 2 * BLOCK), 2 * BLOCK);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
	cr_serve_ring_sync(&ring, p[1]);
	assert_int_equal(hand_blocks(&ring, p[1], 10, 10), 2);
	assert_int_equal(ring.slots, (1u << 20) / (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(cr_serve_ring_take(&ring), NULL);
	free(drain);
	cr_serve_ring_free(&ring);
	close(p[0]);
	close(p[1]);
}

/* A ring's block is the pipe's capacity in whole units, at least one. */
static void a_ring_block_fills_the_pipe(void **state)
{
	(void)state;
	int p[2];
	make_pipe(p, 1 << 20);
	assert_int_equal(cr_serve_ring_block(p[1], BLOCK), 1u << 20);
	assert_int_equal(cr_serve_ring_block(p[1], 384u << 10), 768u << 10); /* two units fit, not three */
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 64 << 10) >= 0);
	assert_int_equal(cr_serve_ring_block(p[1], BLOCK), BLOCK);
	close(p[0]);
	close(p[1]);
}

/* A pipe-sized block goes in one call; the next two wait for the reader,
 * and the first comes round only once the pipe let all of it go. */
static void a_pipe_sized_block_goes_whole(void **state)
{
	(void)state;
	int p[2];
	make_pipe(p, 1 << 20);
	size_t big = cr_serve_ring_block(p[1], BLOCK);
	struct cr_serve_ring ring;
	assert_int_equal(cr_serve_ring_make(&ring, p[1], big, NULL), 0);
	assert_int_equal(ring.n, 3);
	uint8_t *b0 = cr_serve_ring_take(&ring);
	memset(b0, 1, big);
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b0, 0, big), (ssize_t)big);
	uint8_t *b1 = cr_serve_ring_take(&ring), *b2 = cr_serve_ring_take(&ring);
	assert_non_null(b1);
	assert_non_null(b2);
	assert_null(cr_serve_ring_take(&ring));
	memset(b1, 2, big);
	/* A full pipe takes none of it; half read, it takes half. */
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b1, 0, big), -1);
	read_same(p[0], big / 2, 1);
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b1, 0, big), (ssize_t)(big / 2));
	assert_null(cr_serve_ring_take(&ring)); /* half of b0 may be in the pipe */
	/* The rest of b0 and the first half of b1 read, the rest of b1 in: b0 is out. */
	read_same(p[0], big / 2, 1);
	read_same(p[0], big / 2, 2);
	assert_int_equal(cr_serve_ring_hand(&ring, p[1], b1, big / 2, big), (ssize_t)(big / 2));
	assert_ptr_equal(cr_serve_ring_take(&ring), b0);
	read_same(p[0], big / 2, 2);
	cr_serve_ring_free(&ring);
	close(p[0]);
	close(p[1]);
}

static void a_pipe_smaller_than_a_block_gets_no_ring(void **state)
{
	(void)state;
	int p[2];
	make_pipe(p, 64 << 10);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 64 << 10) >= 0);
	struct cr_serve_ring ring;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_serve_ring_make(&ring, p[1], BLOCK, &err), -EINVAL);
	assert_int_equal(cr_serve_ring_make(&ring, p[1], 1000, NULL), -EINVAL); /* not whole pages */
	cr_error_clear(&err);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_wait_until_the_pipe_let_them_go),
		cmocka_unit_test(a_pipe_grown_by_its_reader_is_waited_for),
		cmocka_unit_test(a_pipe_smaller_than_a_block_gets_no_ring),
		cmocka_unit_test(a_ring_block_fills_the_pipe),
		cmocka_unit_test(a_pipe_sized_block_goes_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
