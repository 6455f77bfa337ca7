/* Frame sealing and opening for plain and encrypted images. */
#include "formats/image_frame.h"

#include <stdlib.h>

#include "formats/image_crc32c.h"

int cr_buf_reserve(struct cr_buf *b, size_t n, struct cr_error *err)
{
	if (n <= b->cap)
		return 0;
	uint8_t *p = realloc(b->p, n);
	if (!p)
		return cr_error_set(err, ENOMEM, "out of memory for a %zu-byte buffer", n);
	b->p = p;
	b->cap = n;
	return 0;
}

void cr_buf_free(struct cr_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

size_t cr_frame_overhead(enum cr_image_protection prot)
{
	return prot == CR_IMAGE_PLAIN ? CR_IMAGE_CHECK_LEN : CR_STREAM_ABYTES;
}

static uint32_t chain_check(uint32_t prev, uint32_t stored_len, uint32_t body_crc)
{
	uint8_t b[12];
	cr_put_le32(b, prev);
	cr_put_le32(b + 4, stored_len);
	cr_put_le32(b + 8, body_crc);
	return cr_crc32c(0, b, sizeof(b));
}

int cr_frame_seal(struct cr_frame_state *st, uint8_t *plain, size_t len, uint32_t body_crc,
		  bool final, uint8_t *enc_out, const uint8_t **ret_frame, size_t *ret_len,
		  struct cr_error *err)
{
	size_t stored = len + cr_frame_overhead(st->prot);
	if (stored > CR_IMAGE_FRAME_MAX)
		return cr_error_set(err, EFBIG, "record of %zu bytes is too large for an image", len);
	if (st->prot == CR_IMAGE_PLAIN) {
		st->chain = chain_check(st->chain, (uint32_t)stored, body_crc);
		cr_put_le32(plain - 4, (uint32_t)stored);
		cr_put_le32(plain + len, st->chain);
		*ret_frame = plain - 4;
	} else {
		cr_put_le32(enc_out, (uint32_t)stored);
		int r = cr_stream_push(st->push, plain, len, st->ad, st->ad_len, final, enc_out + 4,
				       err);
		if (r < 0)
			return r;
		st->ad = NULL;
		st->ad_len = 0;
		*ret_frame = enc_out;
	}
	*ret_len = stored + 4;
	st->index++;
	return 0;
}

int cr_frame_read(struct cr_frame_state *st, const struct cr_image_io *io, struct cr_buf *buf,
		  size_t max, size_t *ret_len, struct cr_error *err)
{
	uint8_t lenb[4];
	int r = cr_io_read_full(io, lenb, sizeof(lenb), "a record length", err);
	if (r < 0)
		return cr_error_wrap(err, "record %llu at offset %llu",
				     (unsigned long long)st->index, (unsigned long long)st->offset);
	if (r > 0)
		return 1;
	uint32_t len = cr_get_le32(lenb);
	size_t min = cr_frame_overhead(st->prot) + 1;
	if (len < min || len > max)
		return cr_error_set(err, EBADMSG,
				    "record %llu at offset %llu: length %u out of range "
				    "(%zu to %zu)",
				    (unsigned long long)st->index, (unsigned long long)st->offset,
				    len, min, max);
	r = cr_buf_reserve(buf, len + 4, err);
	if (r < 0)
		return r;
	r = cr_io_read_full(io, buf->p, len, "a record", err);
	if (r != 0) {
		if (r > 0)
			cr_error_set(err, EPIPE, "image is truncated: a record ends after 0 of %u bytes",
				     len);
		return cr_error_wrap(err, "record %llu at offset %llu",
				     (unsigned long long)st->index, (unsigned long long)st->offset);
	}
	st->offset += 4 + (uint64_t)len;
	*ret_len = len;
	return 0;
}

int cr_frame_open(struct cr_frame_state *st, uint8_t *stored, size_t len, struct cr_buf *out,
		  uint8_t **ret_plain, size_t *ret_plain_len, bool *ret_final,
		  struct cr_error *err)
{
	unsigned long long idx = (unsigned long long)st->index;
	size_t plain_len = len - cr_frame_overhead(st->prot);
	if (st->prot == CR_IMAGE_PLAIN) {
		uint32_t body_crc = cr_crc32c(0, stored, plain_len);
		uint32_t want = chain_check(st->chain, (uint32_t)len, body_crc);
		if (cr_get_le32(stored + plain_len) != want)
			return cr_error_set(err, EBADMSG,
					    "record %llu ending at offset %llu: checksum mismatch "
					    "(corrupted, missing or out-of-order data)",
					    idx, (unsigned long long)st->offset);
		st->chain = want;
		*ret_plain = stored;
		*ret_final = false;
	} else {
		int r = cr_buf_reserve(out, plain_len, err);
		if (r < 0)
			return r;
		r = cr_stream_pull(st->pull, stored, len, st->ad, st->ad_len, out->p, ret_final,
				   err);
		if (r < 0)
			return cr_error_wrap(err, "record %llu ending at offset %llu", idx,
					     (unsigned long long)st->offset);
		st->ad = NULL;
		st->ad_len = 0;
		*ret_plain = out->p;
	}
	*ret_plain_len = plain_len;
	st->index++;
	return 0;
}
