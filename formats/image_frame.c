/* Frame sealing and opening for plain and encrypted images. */
#include "formats/image_frame.h"

#include <stdlib.h>

#include "formats/image_crc32c.h"

#define ENC_HDR CR_STREAM_HEADERBYTES
#define AD_MAX (CR_IMAGE_PREFIX_LEN + CR_IMAGE_EXT_MAX + 4 + 9)

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
	return prot == CR_IMAGE_PLAIN ? CR_IMAGE_CHECK_LEN : ENC_HDR + CR_STREAM_ABYTES;
}

static uint32_t chain_check(uint32_t prev, uint32_t stored_len, uint32_t body_crc)
{
	uint8_t b[12];
	cr_put_le32(b, prev);
	cr_put_le32(b + 4, stored_len);
	cr_put_le32(b + 8, body_crc);
	return cr_crc32c(0, b, sizeof(b));
}

/* Additional data of an encrypted frame: image header, index, type. */
static size_t make_ad(const struct cr_frame_state *st, uint64_t index, uint8_t type,
		      uint8_t ad[AD_MAX])
{
	size_t n = st->hdr_len < AD_MAX - 9 ? st->hdr_len : AD_MAX - 9;
	memcpy(ad, st->hdr, n);
	cr_put_le32(ad + n, (uint32_t)index);
	cr_put_le32(ad + n + 4, (uint32_t)(index >> 32));
	ad[n + 8] = type;
	return n + 9;
}

void cr_frame_seal_plain(struct cr_frame_state *st, uint8_t *plain, size_t len,
			 uint32_t body_crc, const uint8_t **ret_frame, size_t *ret_len)
{
	size_t stored = len + CR_IMAGE_CHECK_LEN;
	st->chain = chain_check(st->chain, (uint32_t)stored, body_crc);
	cr_put_le32(plain - 4, (uint32_t)stored);
	cr_put_le32(plain + len, st->chain);
	*ret_frame = plain - 4;
	*ret_len = stored + 4;
}

int cr_frame_seal_encrypted(const struct cr_frame_state *st, uint64_t index,
			    const uint8_t *plain, size_t len, bool final, uint8_t *out,
			    size_t *ret_len, struct cr_error *err)
{
	uint8_t ad[AD_MAX];
	size_t stored = len + cr_frame_overhead(st->prot);
	cr_put_le32(out, (uint32_t)stored);
	out[4] = plain[0];
	int r = cr_stream_seal_one(st->key, plain + 1, len - 1, ad, make_ad(st, index, plain[0], ad),
				   final, out + 5, out + 5 + ENC_HDR, err);
	if (r < 0)
		return r;
	*ret_len = stored + 4;
	return 0;
}

int cr_frame_emit(struct cr_frame_state *st, uint8_t *plain, size_t len, bool final,
		  struct cr_buf *enc, const struct cr_image_io *io, size_t *ret_len,
		  struct cr_error *err)
{
	const uint8_t *frame = NULL;
	size_t flen = 0;
	uint64_t index = st->index++;
	if (st->prot == CR_IMAGE_PLAIN) {
		cr_frame_seal_plain(st, plain, len, cr_crc32c(0, plain, len), &frame, &flen);
	} else {
		int r = cr_buf_reserve(enc, len + 4 + cr_frame_overhead(st->prot), err);
		if (r == 0)
			r = cr_frame_seal_encrypted(st, index, plain, len, final, enc->p, &flen, err);
		if (r < 0)
			return r;
		frame = enc->p;
	}
	int r = cr_io_write_all(io, frame, flen, err);
	if (r < 0)
		return r;
	*ret_len = flen;
	return 0;
}

int cr_frame_read(struct cr_frame_state *st, const struct cr_image_io *io, struct cr_buf *buf,
		  size_t max, size_t *ret_len, uint64_t *ret_index, struct cr_error *err)
{
	uint8_t lenb[4];
	unsigned long long idx = (unsigned long long)st->index;
	int r = cr_io_read_full(io, lenb, sizeof(lenb), "a record length", err);
	if (r < 0)
		return cr_error_wrap(err, "record %llu at offset %llu", idx,
				     (unsigned long long)st->offset);
	if (r > 0)
		return 1;
	uint32_t len = cr_get_le32(lenb);
	size_t min = cr_frame_overhead(st->prot) + 1;
	if (len < min || len > max)
		return cr_error_set(err, EBADMSG,
				    "record %llu at offset %llu: length %u out of range "
				    "(%zu to %zu)",
				    idx, (unsigned long long)st->offset, len, min, max);
	r = cr_buf_reserve(buf, len + 4, err);
	if (r < 0)
		return r;
	r = cr_io_read_full(io, buf->p, len, "a record", err);
	if (r != 0) {
		if (r > 0)
			cr_error_set(err, EPIPE, "image is truncated: a record ends after 0 of %u bytes",
				     len);
		return cr_error_wrap(err, "record %llu at offset %llu", idx,
				     (unsigned long long)st->offset);
	}
	st->offset += 4 + (uint64_t)len;
	st->index++;
	*ret_len = len;
	*ret_index = idx;
	return 0;
}

int cr_frame_open_plain(struct cr_frame_state *st, uint64_t index, const uint8_t *stored,
			size_t len, size_t *ret_plain_len, struct cr_error *err)
{
	size_t plain_len = len - CR_IMAGE_CHECK_LEN;
	uint32_t want = chain_check(st->chain, (uint32_t)len, cr_crc32c(0, stored, plain_len));
	if (cr_get_le32(stored + plain_len) != want)
		return cr_error_set(err, EBADMSG,
				    "record %llu: checksum mismatch (corrupted, missing or "
				    "out-of-order data)",
				    (unsigned long long)index);
	st->chain = want;
	*ret_plain_len = plain_len;
	return 0;
}

int cr_frame_open_encrypted(const struct cr_frame_state *st, uint64_t index,
			    const uint8_t *stored, size_t len, struct cr_buf *out,
			    size_t *ret_plain_len, bool *ret_final, struct cr_error *err)
{
	uint8_t ad[AD_MAX];
	size_t plain_len = len - cr_frame_overhead(st->prot);
	int r = cr_buf_reserve(out, plain_len, err);
	if (r < 0)
		return r;
	out->p[0] = stored[0];
	r = cr_stream_open_one(st->key, stored + 1, stored + 1 + ENC_HDR, len - 1 - ENC_HDR, ad,
			       make_ad(st, index, stored[0], ad), out->p + 1, ret_final, err);
	if (r < 0)
		return cr_error_wrap(err, "record %llu", (unsigned long long)index);
	*ret_plain_len = plain_len;
	return 0;
}

int cr_frame_open(struct cr_frame_state *st, uint64_t index, uint8_t *stored, size_t len,
		  struct cr_buf *out, uint8_t **ret_plain, size_t *ret_plain_len, bool *ret_final,
		  struct cr_error *err)
{
	if (st->prot != CR_IMAGE_PLAIN) {
		int r = cr_frame_open_encrypted(st, index, stored, len, out, ret_plain_len, ret_final,
						err);
		*ret_plain = out->p;
		return r;
	}
	*ret_final = false;
	*ret_plain = stored;
	return cr_frame_open_plain(st, index, stored, len, ret_plain_len, err);
}
