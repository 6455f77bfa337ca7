/* Block compression for images: LZ4 in independent blocks. */
#ifndef CORRAL_FORMATS_IMAGE_COMPRESS_H
#define CORRAL_FORMATS_IMAGE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Largest output of cr_compress_block for LEN input bytes. */
size_t cr_compress_bound(size_t len);

/* How hard a block is compressed: CR_COMPRESS_STORE does not try (the block
 * is stored as is), CR_COMPRESS_BEST is LZ4's default, larger values are
 * LZ4's acceleration (faster, larger output); the output is a plain LZ4
 * block whatever the speed, so readers do not know or care. */
#define CR_COMPRESS_STORE 0
#define CR_COMPRESS_BEST 1
#define CR_COMPRESS_FASTEST 64

/* Compress SRC into DST (CAP bytes) at SPEED. Returns the compressed length,
 * or 0 when the block does not shrink or SPEED is CR_COMPRESS_STORE (the
 * caller then stores it as is). */
size_t cr_compress_block(const void *src, size_t len, void *dst, size_t cap, int speed);

/* Decompress SRC into exactly RAW_LEN bytes at DST. Returns 0, or -1 when SRC
 * is not a valid block of that size (never reads or writes out of bounds). */
int cr_decompress_block(const void *src, size_t len, void *dst, size_t raw_len);

/* A DATA body (docs/image-format.md): codec:u8 raw_length:u32 payload. */
#define CR_DATA_BODY_HDR 5

/* Encode RAW_LEN bytes of RAW into OUT (CR_DATA_BODY_HDR + BOUND bytes,
 * BOUND = cr_compress_bound(RAW_LEN)): one LZ4 block at SPEED, or stored
 * when LZ4 would not shrink it. Returns the body's length. */
size_t cr_data_body_encode(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t bound, int speed);

/* Decode BODY (LEN bytes) into exactly WANT bytes at RAW. Errors name
 * record REC and PATH. */
int cr_data_body_decode(const uint8_t *body, size_t len, uint8_t *raw, size_t want,
			unsigned long long rec, const char *path, struct cr_error *err);

#endif
