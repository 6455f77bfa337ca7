/* Frames: the length-prefixed units of an image after its header.
 *   frame = length:u32 type:u8 rest        (length counts type and rest)
 * Plain images: rest = body check:u32, the check chaining a CRC32C of
 * type+body to the previous frame's check (lost, repeated or swapped frames
 * fail). Encrypted images: rest = header:24 ciphertext, each frame a
 * one-message secretstream whose additional data is the image header, the
 * frame's index and its type; frames are independent, so threads seal and
 * open them in parallel, and the index binds each to its place. */
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
	uint32_t chain;     /* plain: check of the previous frame */
	const uint8_t *key; /* encrypted: CR_STREAM_KEYBYTES, owned by the caller */
	const uint8_t *hdr; /* the image header bytes, authenticated with every frame */
	size_t hdr_len;
	uint64_t index;  /* next frame's index (the manifest is frame 0) */
	uint64_t offset; /* reader: bytes of the image consumed so far */
};

/* Bytes a frame adds to its plaintext (type + body), besides the length. */
size_t cr_frame_overhead(enum cr_image_protection prot);

/* Plain, in order: PLAIN (type + body, LEN bytes, BODY_CRC its CRC32C) must
 * have 4 writable bytes before it and 4 after: the frame is built in place. */
void cr_frame_seal_plain(struct cr_frame_state *st, uint8_t *plain, size_t len,
			 uint32_t body_crc, const uint8_t **ret_frame, size_t *ret_len);

/* Encrypted, from any thread: frame number INDEX of PLAIN (LEN bytes) into
 * OUT (LEN + 4 + cr_frame_overhead bytes). FINAL marks the last frame. */
int cr_frame_seal_encrypted(const struct cr_frame_state *st, uint64_t index,
			    const uint8_t *plain, size_t len, bool final, uint8_t *out,
			    size_t *ret_len, struct cr_error *err);

/* Seal PLAIN (LEN bytes with 4 writable bytes before and after it) as the
 * next frame, in order, and write it to IO (ENC: scratch for encrypted
 * frames). *RET_LEN gets the frame's size in the image. */
int cr_frame_emit(struct cr_frame_state *st, uint8_t *plain, size_t len, bool final,
		  struct cr_buf *enc, const struct cr_image_io *io, size_t *ret_len,
		  struct cr_error *err);

/* Read the next frame (type + rest) into BUF; MAX caps the length field
 * before anything is allocated. Gives the frame's index. Returns 1 at a
 * clean end of stream. */
int cr_frame_read(struct cr_frame_state *st, const struct cr_image_io *io, struct cr_buf *buf,
		  size_t max, size_t *ret_len, uint64_t *ret_index, struct cr_error *err);

/* Plain, in order: check frame STORED (LEN bytes); its plaintext is the
 * first *RET_PLAIN_LEN bytes of STORED. */
int cr_frame_open_plain(struct cr_frame_state *st, uint64_t index, const uint8_t *stored,
			size_t len, size_t *ret_plain_len, struct cr_error *err);

/* Encrypted, from any thread: decrypt frame INDEX into OUT (type + body). */
int cr_frame_open_encrypted(const struct cr_frame_state *st, uint64_t index,
			    const uint8_t *stored, size_t len, struct cr_buf *out,
			    size_t *ret_plain_len, bool *ret_final, struct cr_error *err);

/* Either of the two, in order; *RET_PLAIN points into STORED or OUT. */
int cr_frame_open(struct cr_frame_state *st, uint64_t index, uint8_t *stored, size_t len,
		  struct cr_buf *out, uint8_t **ret_plain, size_t *ret_plain_len, bool *ret_final,
		  struct cr_error *err);

#endif
