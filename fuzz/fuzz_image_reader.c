/* libFuzzer target for the image reader: header, frames, CRC chain,
 * manifest (protobuf), entry checks, data blocks and trailer. Every input
 * must end in success or a clean error: no crash, leak, hang or huge
 * allocation.
 *
 * Input byte 0 picks the mode. Even: the rest is an image as is. Odd: the
 * rest is a list of records (u16 length + plaintext) that this target frames
 * with valid checks, so mutations reach past the CRCs into the manifest,
 * LZ4 and trailer logic; with bit 1 set too, it frames a streamed image
 * (format 2.0) whose valid tail points at the last record but one, so they
 * reach the index, the chunk lists and random access. Every image is read
 * from a memfd (streamed images are read by pread), then verified again as
 * a stream (a streamed one in one pass, as a relocation's peer reads it). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* cr_image_check_frames's SKIP: every other entry (as if served whole). */
static bool skip_odd(void *ctx, size_t entry)
{
	(void)ctx;
	return entry % 2 == 1;
}

static void read_image(struct cr_image_membuf *mb)
{
	int fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0 || write(fd, mb->data, mb->len) != (ssize_t)mb->len || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&io, NULL, &r, &err) == 0) {
		size_t sum = 0;
		struct cr_image_visitor v = {NULL, on_data, NULL, &sum};
		(void)cr_image_reader_read_all(r, &v, 1, NULL, &err);
		const struct cr_image_manifest *m = cr_image_reader_manifest(r);
		uint8_t buf[1000];
		size_t got = 0;
		for (size_t e = 0; e < m->n_entries && e < 4; e++) {
			(void)cr_image_file_pread(r, e, m->entries[e].size / 2, buf, sizeof(buf), &got, &err);
			/* From the start: small blocks are decoded straight into BUF. */
			(void)cr_image_file_pread(r, e, 0, buf, sizeof(buf), &got, &err);
		}
		(void)cr_image_check_frames(r, skip_odd, NULL, &err);
		cr_image_reader_free(r);
	}
	cr_error_clear(&err);
	close(fd);
	/* The same bytes as a stream (a relocation's peer): 2.x in one pass. */
	mb->pos = 0;
	io = cr_image_io_mem(mb);
	if (cr_image_reader_open(&io, NULL, &r, &err) == 0) {
		(void)cr_image_verify(r, NULL, &err);
		cr_image_reader_free(r);
	}
	cr_error_clear(&err);
}

/* Frame the records of DATA into a valid plain image in MB. */
static void build_image(const uint8_t *data, size_t size, struct cr_image_membuf *mb)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_mem(mb);
	bool streamed = size && (data[0] & 2);
	struct cr_image_header h = {.major = streamed ? CR_IMAGE_MAJOR_STREAMED : CR_IMAGE_MAJOR,
				    .minor = size ? data[0] >> 2 : 0, .prot = CR_IMAGE_PLAIN};
	cr_image_header_encode(&h);
	(void)cr_io_write_all(&io, h.raw, h.raw_len, &err);
	struct cr_frame_state fs = {.prot = CR_IMAGE_PLAIN, .chain = h.crc};
	size_t pos = size ? 1 : 0;
	uint64_t off[2] = {0, 0}, frame[2] = {0, 0};
	uint32_t prev[2] = {0, 0};
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
		off[0] = off[1];
		frame[0] = frame[1];
		prev[0] = prev[1];
		off[1] = mb->len;
		frame[1] = fs.index++;
		prev[1] = fs.chain;
		const uint8_t *rec = NULL;
		size_t flen = 0;
		cr_frame_seal_plain(&fs, buf + 4, len, cr_crc32c(0, buf + 4, len), &rec, &flen);
		(void)cr_io_write_all(&io, rec, flen, &err);
		free(buf);
	}
	if (streamed) {
		uint8_t tail[CR_IMAGE_TAIL_LEN];
		cr_put_le32(tail, (uint32_t)off[0]);
		cr_put_le32(tail + 4, (uint32_t)(off[0] >> 32));
		cr_put_le32(tail + 8, (uint32_t)frame[0]);
		cr_put_le32(tail + 12, (uint32_t)(frame[0] >> 32));
		cr_put_le32(tail + 16, prev[0]);
		cr_put_le32(tail + 20, cr_crc32c(0, tail, 20));
		memcpy(tail + 24, CR_IMAGE_TAIL_MAGIC, 8);
		(void)cr_io_write_all(&io, tail, sizeof(tail), &err);
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
