/* Block compression for images: LZ4 in independent blocks. */
#ifndef CORRAL_FORMATS_IMAGE_COMPRESS_H
#define CORRAL_FORMATS_IMAGE_COMPRESS_H

#include <stddef.h>

/* Largest output of cr_compress_block for LEN input bytes. */
size_t cr_compress_bound(size_t len);

/* Compress SRC into DST (CAP bytes). Returns the compressed length, or 0 when
 * the block does not shrink (the caller then stores it as is). */
size_t cr_compress_block(const void *src, size_t len, void *dst, size_t cap);

/* Decompress SRC into exactly RAW_LEN bytes at DST. Returns 0, or -1 when SRC
 * is not a valid block of that size (never reads or writes out of bounds). */
int cr_decompress_block(const void *src, size_t len, void *dst, size_t raw_len);

#endif
