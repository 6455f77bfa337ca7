/* libFuzzer target for the image reader: header, frames, CRC chain,
 * manifest (protobuf), entry checks, data blocks and trailer. Every input
 * must end in success or a clean error: no crash, leak, hang or huge
 * allocation.
 *
 * Input byte 0 picks the mode. Even: the rest is an image as is. Odd: the
 * rest is a list of records (u16 length + plaintext) that this target frames
 * with valid checks, so mutations reach past the CRCs into the manifest,
 * LZ4 and trailer logic. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/image_crc32c.h"
#include "formats/image_frame.h"
#include "formats/image_header.h"
#include "formats/image_reader.h"

static int on_data(void *ctx, const struct cr_image_entry *e, const void *data, size_t len,
		   struct cr_error *err)
{
	(void)e;
	(void)err;
	const uint8_t *p = data;
	size_t *sum = ctx;
	for (size_t i = 0; i < len; i += 4096)
		*sum += p[i];
	return 0;
}

static void read_image(struct cr_image_membuf *mb)
{
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&io, NULL, &r, &err) == 0) {
		size_t sum = 0;
		struct cr_image_visitor v = {NULL, on_data, NULL, &sum};
		(void)cr_image_reader_read_all(r, &v, 1, NULL, &err);
		cr_image_reader_free(r);
	}
	cr_error_clear(&err);
}

/* Frame the records of DATA into a valid plain image in MB. */
static void build_image(const uint8_t *data, size_t size, struct cr_image_membuf *mb)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_header h = {.major = 1, .minor = size ? data[0] : 0,
				    .prot = CR_IMAGE_PLAIN};
	cr_image_header_encode(&h);
	(void)cr_io_write_all(&io, h.raw, h.raw_len, &err);
	struct cr_frame_state fs = {.prot = CR_IMAGE_PLAIN, .chain = h.crc};
	size_t pos = size ? 1 : 0;
	for (int n = 0; n < 64 && pos + 2 <= size; n++) {
		size_t len = (size_t)data[pos] | ((size_t)data[pos + 1] << 8);
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		if (len == 0)
			continue;
		uint8_t *buf = malloc(len + 8);
		if (!buf)
			break;
		memcpy(buf + 4, data + pos, len);
		pos += len;
		const uint8_t *frame = NULL;
		size_t flen = 0;
		cr_frame_seal_plain(&fs, buf + 4, len, cr_crc32c(0, buf + 4, len), &frame, &flen);
		(void)cr_io_write_all(&io, frame, flen, &err);
		free(buf);
	}
	cr_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		struct cr_image_membuf mb = {.data = (uint8_t *)data + 1, .len = size - 1,
					     .cap = size - 1};
		read_image(&mb);
		return 0;
	}
	struct cr_image_membuf mb = {0};
	build_image(data + 1, size - 1, &mb);
	mb.pos = 0;
	read_image(&mb);
	cr_image_membuf_free(&mb);
	return 0;
}
