/* Adaptive compression for a writer that can fall behind its producer (a
 * dump whose partition stays frozen while the writer catches up).
 *
 * Levels: 0 is LZ4 at its best ratio, 1 and 2 LZ4 accelerated, 3 stored.
 * While the writer keeps up (its backlog at most half) every block gets
 * level 0. Behind, each block gets the level whose blocks have cost the
 * writer least per raw byte so far, among the compressing ones, and far
 * behind (over three quarters) storing too: compressing plus sealing and writing
 * what came out, at the output's measured cost per byte. A slow output (a
 * peer's link, a disk) thus keeps compressing, since fewer bytes are then
 * what helps; a fast one (tmpfs) trades image size for time when the data
 * is slow to compress. Levels not measured yet are tried first, and every
 * 32nd block behind retries one in turn so that the figures follow the data.
 * Readers do not care: a block is a plain LZ4 block or stored either way. */
#ifndef CORRAL_FORMATS_COMPRESS_ADAPT_H
#define CORRAL_FORMATS_COMPRESS_ADAPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_ADAPT_LEVELS 4
#define CR_ADAPT_STORED 3

struct cr_compress_adapt {
	double ns_per_byte[CR_ADAPT_LEVELS]; /* compressing, per raw byte */
	double ratio[CR_ADAPT_LEVELS];       /* output bytes per raw byte */
	bool seen[CR_ADAPT_LEVELS];
	double out_ns_per_byte; /* sealing and writing, per output byte */
	bool out_seen;
	unsigned behind; /* blocks chosen while behind */
	uint64_t blocks[CR_ADAPT_LEVELS];
};

/* The level for the next block of a writer BACKLOG percent (0-100) behind. */
unsigned cr_adapt_choose(struct cr_compress_adapt *a, unsigned backlog);

/* The cr_compress_block speed of LEVEL. */
int cr_adapt_speed(unsigned level);

/* A block of RAW bytes at LEVEL came out as OUT bytes, NS_COMPRESS spent
 * compressing and NS_OUTPUT sealing and writing it. */
void cr_adapt_note(struct cr_compress_adapt *a, unsigned level, size_t raw, size_t out, int64_t ns_compress,
		   int64_t ns_output);

#endif
