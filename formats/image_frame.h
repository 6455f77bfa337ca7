/* Frames: the length-prefixed units of an image after its header.
 *   frame = u32 length | stored bytes
 * Plain images store "plaintext | u32 check" where check chains a CRC32C of
 * the plaintext to the previous frame's check (so lost, repeated or swapped
 * frames are caught). Encrypted images store a secretstream message of the
 * plaintext; the header bytes are authenticated with the first frame. */
#ifndef CORRAL_FORMATS_IMAGE_FRAME_H
#define CORRAL_FORMATS_IMAGE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto_stream.h"
#include "formats/image_format.h"
#include "formats/image_io.h"
#include "util/error.h"

struct cr_buf {
	uint8_t *p;
	size_t cap;
};

/* Make B hold at least N bytes (contents kept). */
int cr_buf_reserve(struct cr_buf *b, size_t n, struct cr_error *err);
void cr_buf_free(struct cr_buf *b);

struct cr_frame_state {
	enum cr_image_protection prot;
	uint32_t chain;              /* plain: check of the previous frame */
	struct cr_stream_push *push; /* writer, encrypted */
	struct cr_stream_pull *pull; /* reader, encrypted */
	const uint8_t *ad;           /* header bytes, bound to the first frame */
	size_t ad_len;
	uint64_t index;  /* frames sealed or opened so far */
	uint64_t offset; /* reader: bytes of the image consumed so far */
};

/* Bytes a frame adds to its plaintext, besides the 4-byte length. */
size_t cr_frame_overhead(enum cr_image_protection prot);

/* Seal PLAIN (LEN bytes, BODY_CRC = cr_crc32c(0, PLAIN, LEN), only used by
 * plain images). PLAIN must have 4 writable bytes before it and 4 after it:
 * a plain frame is built in place. An encrypted frame is built in ENC_OUT
 * (LEN + 4 + CR_STREAM_ABYTES bytes). *RET_FRAME gets the frame to write. */
int cr_frame_seal(struct cr_frame_state *st, uint8_t *plain, size_t len, uint32_t body_crc,
		  bool final, uint8_t *enc_out, const uint8_t **ret_frame, size_t *ret_len,
		  struct cr_error *err);

/* Read the next frame's stored bytes into BUF. MAX caps the length field
 * before anything is allocated. Returns 1 at a clean end of stream. */
int cr_frame_read(struct cr_frame_state *st, const struct cr_image_io *io, struct cr_buf *buf,
		  size_t max, size_t *ret_len, struct cr_error *err);

/* Check (plain) or decrypt (into OUT, LEN bytes) the stored bytes; gives the
 * plaintext and whether the sender marked it final (encrypted only). */
int cr_frame_open(struct cr_frame_state *st, uint8_t *stored, size_t len, struct cr_buf *out,
		  uint8_t **ret_plain, size_t *ret_plain_len, bool *ret_final,
		  struct cr_error *err);

#endif
