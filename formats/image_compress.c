/* The one owner of liblz4. */
#include "formats/image_compress.h"

#include <limits.h>
#include <lz4.h>
#include <string.h>

#include "formats/image_format.h"

size_t cr_compress_bound(size_t len)
{
	if (len > LZ4_MAX_INPUT_SIZE)
		return 0;
	return (size_t)LZ4_compressBound((int)len);
}

size_t cr_compress_block(const void *src, size_t len, void *dst, size_t cap, int speed)
{
	if (len == 0 || len > LZ4_MAX_INPUT_SIZE || speed <= CR_COMPRESS_STORE)
		return 0;
	/* Stop as soon as the block would not shrink. */
	int limit = (int)(len - 1 < cap ? len - 1 : cap);
	int n = LZ4_compress_fast(src, dst, (int)len, limit, speed);
	return n > 0 ? (size_t)n : 0;
}

int cr_decompress_block(const void *src, size_t len, void *dst, size_t raw_len)
{
	if (len > INT_MAX || raw_len > INT_MAX)
		return -1;
	int n = LZ4_decompress_safe(src, dst, (int)len, (int)raw_len);
	return n >= 0 && (size_t)n == raw_len ? 0 : -1;
}

size_t cr_data_body_encode(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t bound, int speed)
{
	size_t n = cr_compress_block(raw, raw_len, out + CR_DATA_BODY_HDR, bound, speed);
	if (n == 0) {
		out[0] = CR_CODEC_STORED;
		memcpy(out + CR_DATA_BODY_HDR, raw, raw_len);
		n = raw_len;
	} else {
		out[0] = CR_CODEC_LZ4;
	}
	cr_put_le32(out + 1, (uint32_t)raw_len);
	return CR_DATA_BODY_HDR + n;
}

int cr_data_body_decode(const uint8_t *body, size_t len, uint8_t *raw, size_t want,
			unsigned long long rec, const char *path, struct cr_error *err)
{
	if (len < CR_DATA_BODY_HDR)
		return cr_error_set(err, EBADMSG, "record %llu: data record of %zu bytes is too short",
				    rec, len + 1);
	int codec = body[0];
	size_t raw_len = cr_get_le32(body + 1);
	const uint8_t *payload = body + CR_DATA_BODY_HDR;
	size_t payload_len = len - CR_DATA_BODY_HDR;
	if (raw_len != want)
		return cr_error_set(err, EBADMSG,
				    "record %llu holds %zu bytes of %s where %zu were expected", rec,
				    raw_len, path, want);
	if (codec == CR_CODEC_STORED) {
		if (payload_len != raw_len)
			return cr_error_set(err, EBADMSG,
					    "record %llu: stored block has %zu bytes, expected %zu",
					    rec, payload_len, raw_len);
		memcpy(raw, payload, raw_len);
		return 0;
	}
	if (codec != CR_CODEC_LZ4)
		return cr_error_set(err, EBADMSG, "record %llu uses unknown compression %d", rec,
				    codec);
	if (cr_decompress_block(payload, payload_len, raw, raw_len) < 0)
		return cr_error_set(err, EBADMSG,
				    "record %llu: LZ4 block does not decompress to %zu bytes", rec,
				    raw_len);
	return 0;
}
