/* Robustness: every truncation of a small image, every bit flip of a plain
 * one and a sample of bit flips of an encrypted one, absurd length fields and
 * foreign versions all give a clear error (ASan/UBSan watch for crashes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_image_util.h"

#include "crypto/crypto_keyfile.h"
#include "formats/image_crc32c.h"
#include "formats/image_frame.h"
#include "formats/image_header.h"

static char *tmpdir, *keyfile;

static void make_image(enum cr_image_protection prot, struct cr_image_membuf *mb)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_options opts = {.protection = prot, .key_file = keyfile, .workers = 2};
	struct cr_image_info info = {.partition = "p", .hostname = "h", .kernel = "k",
				     .arch = "a", .cpu_features = "x"};
	struct cr_image_writer *w = NULL;
	static uint8_t data[1500];
	t_fill(data, sizeof(data), 1);
	assert_int_equal(cr_image_writer_open(&io, &opts, &info, &w, &err), 0);
	assert_int_equal(cr_image_writer_add_buffer(w, "a.txt", "hello\n", 6, 0644, &err), 0);
	assert_int_equal(cr_image_writer_add_dir(w, "d", 0755, &err), 0);
	assert_int_equal(cr_image_writer_add_buffer(w, "d/b.bin", data, sizeof(data), 0600, &err),
			 0);
	assert_int_equal(cr_image_writer_finish(w, &err), 0);
	cr_image_writer_free(w);
	assert_int_equal(t_verify_mem(mb, &(struct cr_image_keys){.key_file = keyfile}, &err), 0);
}

static void every_truncation_fails(enum cr_image_protection prot)
{
	struct cr_image_membuf mb = {0};
	make_image(prot, &mb);
	struct cr_image_keys keys = {.key_file = keyfile};
	size_t full = mb.len;
	for (size_t cut = 0; cut < full; cut++) {
		struct cr_error err = CR_ERROR_INIT;
		mb.len = cut;
		if (t_verify_mem(&mb, &keys, &err) >= 0)
			fail_msg("image cut at %zu of %zu bytes was accepted", cut, full);
		assert_non_null(err.msg);
		cr_error_clear(&err);
	}
	cr_image_membuf_free(&mb);
}

static void truncation_plain(void **state)
{
	(void)state;
	every_truncation_fails(CR_IMAGE_PLAIN);
}

static void truncation_encrypted(void **state)
{
	(void)state;
	every_truncation_fails(CR_IMAGE_KEYFILE);
}

static void bit_flips_fail(enum cr_image_protection prot, size_t step)
{
	struct cr_image_membuf mb = {0};
	make_image(prot, &mb);
	struct cr_image_keys keys = {.key_file = keyfile};
	size_t tried = 0;
	for (size_t bit = 0; bit < mb.len * 8; bit += step) {
		struct cr_error err = CR_ERROR_INIT;
		mb.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (t_verify_mem(&mb, &keys, &err) >= 0)
			fail_msg("flipping bit %zu of byte %zu was not detected", bit % 8, bit / 8);
		assert_non_null(err.msg);
		cr_error_clear(&err);
		mb.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		tried++;
	}
	assert_true(tried > 100);
	cr_image_membuf_free(&mb);
}

static void bit_flips_plain(void **state)
{
	(void)state;
	bit_flips_fail(CR_IMAGE_PLAIN, 1);
}

static void bit_flips_encrypted(void **state)
{
	(void)state;
	bit_flips_fail(CR_IMAGE_KEYFILE, 5);
}

static void absurd_length_is_refused_before_allocating(void **state)
{
	(void)state;
	struct cr_image_membuf mb = {0};
	make_image(CR_IMAGE_PLAIN, &mb);
	struct cr_error err = CR_ERROR_INIT;
	/* The manifest frame's length field follows the 20-byte plain header. */
	cr_put_le32(mb.data + 20, 0xfffffff0u);
	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "out of range");
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
}

/* Rewrite the version in a plain image's header and fix its CRC and the
 * chained check of the first frame, so only the version differs. */
static void set_version(struct cr_image_membuf *mb, uint16_t major, uint16_t minor)
{
	cr_put_le16(mb->data + 8, major);
	cr_put_le16(mb->data + 10, minor);
	cr_put_le32(mb->data + 16, cr_crc32c(0, mb->data, 16));
}

static void unknown_major_names_both_versions(void **state)
{
	(void)state;
	struct cr_image_membuf mb = {0};
	make_image(CR_IMAGE_PLAIN, &mb);
	struct cr_error err = CR_ERROR_INIT;
	set_version(&mb, 3, 1);
	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "version 3.1 is not supported");
	t_expect_error(-1, &err, "reads versions 1.x (up to 1.1) and 2.x");
	memcpy(mb.data, "GIF89a..", 8);
	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "bad magic");
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
}

/* Emit one plain frame holding TYPE + BODY into MB. */
static void put_frame(struct cr_frame_state *fs, struct cr_image_membuf *mb, uint8_t type,
		      const void *body, size_t len)
{
	struct cr_error err = CR_ERROR_INIT;
	uint8_t *buf = malloc(len + 9);
	buf[4] = type;
	memcpy(buf + 5, body, len);
	const uint8_t *frame = NULL;
	size_t flen = 0;
	cr_frame_seal_plain(fs, buf + 4, len + 1, cr_crc32c(0, buf + 4, len + 1), &frame, &flen);
	fs->index++;
	struct cr_image_io io = cr_image_io_mem(mb);
	assert_int_equal(cr_io_write_all(&io, frame, flen, &err), 0);
	free(buf);
}

static void newer_minor_with_unknown_fields_still_reads(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_manifest m = {.partition = (char *)"p", .block_size = CR_IMAGE_BLOCK_SIZE};
	struct cr_image_entry e = {.path = (char *)"f", .type = CR_ENTRY_FILE, .mode = 0600,
				   .size = 5};
	m.entries = &e;
	m.n_entries = 1;
	uint8_t *pb = NULL;
	size_t pb_len = 0;
	assert_int_equal(cr_image_manifest_pack(&m, &pb, &pb_len, &err), 0);
	/* A 1.7 writer added optional field 100 (varint) to the manifest. */
	uint8_t *pb2 = malloc(pb_len + 3);
	memcpy(pb2, pb, pb_len);
	memcpy(pb2 + pb_len, "\xa0\x06\x2a", 3);

	struct cr_image_header h = {.major = 1, .minor = 7, .prot = CR_IMAGE_PLAIN};
	cr_image_header_encode(&h);
	struct cr_image_membuf mb = {0};
	struct cr_image_io io = cr_image_io_mem(&mb);
	assert_int_equal(cr_io_write_all(&io, h.raw, h.raw_len, &err), 0);
	struct cr_frame_state fs = {.prot = CR_IMAGE_PLAIN, .chain = h.crc};
	put_frame(&fs, &mb, CR_REC_MANIFEST, pb2, pb_len + 3);
	put_frame(&fs, &mb, 200, "an optional record", 18); /* skipped by 1.0 readers */
	put_frame(&fs, &mb, CR_REC_DATA, "\x00\x05\x00\x00\x00hello", 10);
	uint8_t tr[64];
	size_t tr_len = 0;
	struct cr_image_trailer t = {.entry_count = 1, .data_bytes = 5, .block_count = 1};
	assert_int_equal(cr_image_trailer_pack(&t, tr, sizeof(tr), &tr_len, &err), 0);
	put_frame(&fs, &mb, CR_REC_TRAILER, tr, tr_len);

	struct cr_image_reader *r = NULL;
	mb.pos = 0;
	if (cr_image_reader_open(&io, NULL, &r, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(cr_image_reader_manifest(r)->minor, 7);
	assert_int_equal(cr_image_verify(r, NULL, &err), 0);
	cr_image_reader_free(r);
	/* An unknown mandatory record type is an error, not skipped. */
	mb.len = 0;
	fs = (struct cr_frame_state){.prot = CR_IMAGE_PLAIN, .chain = h.crc};
	assert_int_equal(cr_io_write_all(&io, h.raw, h.raw_len, &err), 0);
	put_frame(&fs, &mb, CR_REC_MANIFEST, pb2, pb_len + 3);
	put_frame(&fs, &mb, 9, "x", 1);
	t_expect_error(t_verify_mem(&mb, NULL, &err), &err, "type 9 where data of f");
	cr_error_clear(&err);
	cr_image_membuf_free(&mb);
	free(pb);
	free(pb2);
}

static int setup(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	tmpdir = t_mkdtemp();
	keyfile = t_join(tmpdir, "key");
	return cr_keyfile_create(keyfile, &err);
}

static int teardown(void **state)
{
	(void)state;
	t_rm_rf(tmpdir);
	free(tmpdir);
	free(keyfile);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(truncation_plain),
		cmocka_unit_test(truncation_encrypted),
		cmocka_unit_test(bit_flips_plain),
		cmocka_unit_test(bit_flips_encrypted),
		cmocka_unit_test(absurd_length_is_refused_before_allocating),
		cmocka_unit_test(unknown_major_names_both_versions),
		cmocka_unit_test(newer_minor_with_unknown_fields_still_reads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
