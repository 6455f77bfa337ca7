/* Adaptive compression of streamed images (cr_image_stream_set_backlog):
 * a writer that keeps up compresses every block at LZ4's best; one that
 * falls behind while LZ4 is what takes its time compresses faster, then
 * stores (the rule tested exactly, the writer on its two clear cases); one whose output is the slow part keeps compressing at the best.
 * Whatever the speeds, the file comes back byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "formats/compress_adapt.h"
#include "formats/image_compress.h"
#include "formats/image_stream_writer.h"
#include "test_image_util.h"

#define BLOCK (128u << 10)
#define BLOCKS 8u
#define LEN (BLOCKS * BLOCK)

/* Bytes of a four-letter alphabet in a pseudo-random order: LZ4 finds a
 * short match nearly everywhere, its slowest kind of input (a few hundred
 * MB/s, against a memory copy's several GB/s). */
static uint8_t *make_slow_input(void)
{
	uint8_t *buf = malloc(LEN);
	assert_non_null(buf);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)("ACGT"[x & 3]);
	}
	return buf;
}

struct slow_out {
	struct cr_image_membuf mb;
	long ns_per_byte; /* an output slower than LZ4 */
};

static ssize_t slow_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	struct slow_out *o = ctx;
	if (o->ns_per_byte) {
		long ns = o->ns_per_byte * (long)len;
		struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
		nanosleep(&ts, NULL);
	}
	struct cr_image_io mem = cr_image_io_mem(&o->mb);
	return mem.write(mem.ctx, buf, len, err);
}

/* Stream TEXT as one file with the writer BACKLOG percent behind, through an
 * output that takes NS_PER_BYTE a byte; AT gets the blocks at each speed.
 * The image is then read back and compared. Returns the image's size. */
static size_t stream_at(const uint8_t *text, unsigned backlog, long ns_per_byte, uint64_t at[4])
{
	struct slow_out o = {.ns_per_byte = ns_per_byte};
	/* Room for the whole image, touched: a fast output is a memory copy. */
	o.mb.cap = 2 * LEN;
	o.mb.data = calloc(1, o.mb.cap);
	assert_non_null(o.mb.data);
	memset(o.mb.data, 1, o.mb.cap);
	struct cr_image_io io = {.write = slow_write, .ctx = &o, .fd = -1};
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	struct cr_image_info info = {.partition = "p", .hostname = "h", .kernel = "k", .arch = "a", .cpu_features = ""};
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_stream_writer *sw = NULL;
	uint32_t file = 0;
	if (cr_image_stream_open(&io, &opts, &info, &sw, &err) < 0 ||
	    cr_image_stream_file_open(sw, "criu/pages-1.img", 0600, &file, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	cr_image_stream_set_backlog(sw, backlog);
	for (size_t off = 0; off < LEN; off += BLOCK)
		if (cr_image_stream_file_write(sw, file, text + off, BLOCK, &err) < 0)
			fail_msg("%s", cr_error_msg(&err));
	if (cr_image_stream_file_close(sw, file, &err) < 0 || cr_image_stream_finish(sw, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	cr_image_stream_speeds(sw, at);
	cr_image_stream_free(sw);

	/* Random access needs a file. */
	int fd = memfd_create("image", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, o.mb.data, o.mb.len), (ssize_t)o.mb.len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	struct cr_image_io in = cr_image_io_fd(fd);
	struct cr_image_reader *r = NULL;
	if (cr_image_reader_open(&in, NULL, &r, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	uint8_t *back = malloc(LEN);
	size_t got = 0;
	if (cr_image_file_pread(r, 0, 0, back, LEN, &got, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	assert_int_equal(got, LEN);
	assert_memory_equal(back, text, LEN);
	free(back);
	cr_image_reader_free(r);
	close(fd);
	size_t size = o.mb.len;
	cr_image_membuf_free(&o.mb);
	return size;
}

static void keeping_up_compresses_best(void **state)
{
	(void)state;
	uint8_t *text = make_slow_input();
	uint64_t at[4];
	size_t size = stream_at(text, 0, 0, at);
	assert_int_equal(at[0], BLOCKS);
	assert_true(size < LEN * 3 / 4);
	free(text);
}

/* The rule itself, on figures set by hand. */
static void the_rule(void **state)
{
	(void)state;
	struct cr_compress_adapt a = {0};
	/* Keeping up: the best, measured or not. */
	assert_int_equal(cr_adapt_choose(&a, 0), 0);
	assert_int_equal(cr_adapt_choose(&a, 50), 0);
	assert_int_equal(a.behind, 0);
	/* Behind: what is not measured yet is tried, in order; storing only
	 * far behind. */
	for (unsigned l = 0; l < CR_ADAPT_STORED; l++) {
		assert_int_equal(cr_adapt_choose(&a, 60), l);
		cr_adapt_note(&a, l, 1000, 1000, 1000, 100);
	}
	assert_int_equal(cr_adapt_choose(&a, 100), CR_ADAPT_STORED);
	assert_int_equal(a.blocks[0], 1);
	/* Slow to compress (3 ns a byte at the best, 0.55 of the size), fast
	 * output (0.2 ns a byte): the fastest LZ4 when behind, stored when far
	 * behind. */
	struct cr_compress_adapt f = {.ns_per_byte = {3, 1.5, 0.8, 0.05}, .ratio = {0.55, 0.6, 0.7, 1},
				      .seen = {true, true, true, true}, .out_ns_per_byte = 0.2, .out_seen = true};
	assert_int_equal(cr_adapt_choose(&f, 60), 2);
	assert_int_equal(cr_adapt_choose(&f, 76), CR_ADAPT_STORED);
	/* The same data through a slow output (40 ns a byte): the best. */
	f.out_ns_per_byte = 40;
	assert_int_equal(cr_adapt_choose(&f, 60), 0);
	/* In between: the level that costs least, output included (at 10 ns
	 * a byte 1.5 + 6 against 3 + 5.5; at 3, 0.8 + 2.1 against 0.05 + 3). */
	f.out_ns_per_byte = 10;
	assert_int_equal(cr_adapt_choose(&f, 60), 1);
	f.out_ns_per_byte = 3;
	assert_int_equal(cr_adapt_choose(&f, 60), 2);
	/* Every 32nd block behind retries a level in turn. */
	f.out_ns_per_byte = 40;
	f.behind = 0;
	unsigned retried = 0;
	for (unsigned i = 0; i < 64; i++)
		retried += cr_adapt_choose(&f, 100) != 0;
	assert_int_equal(retried, 1);
	assert_int_equal(cr_adapt_speed(0), CR_COMPRESS_BEST);
	assert_int_equal(cr_adapt_speed(CR_ADAPT_STORED), CR_COMPRESS_STORE);
}

/* Far behind, with a fast output and data slow to compress: once each
 * level is measured (the first four blocks), the rest are stored (a
 * preemption in the middle of one could cost one of them), and the file
 * still comes back whole. */
static void behind_on_lz4_gives_way(void **state)
{
	(void)state;
	uint8_t *text = make_slow_input();
	uint64_t at[4];
	size_t best = stream_at(text, 0, 0, at);
	size_t stored = stream_at(text, 100, 0, at);
	assert_true(at[0] >= 1);
	assert_true(at[3] >= BLOCKS / 2 - 1);
	assert_true(stored > best);
	free(text);
}

/* Behind because the output is slow (a link, a disk: 100 ns a byte):
 * fewer bytes help there, so once each level is measured no block is
 * stored (which of the compressing levels wins depends on this data's
 * ratios at each). */
static void behind_on_output_keeps_best(void **state)
{
	(void)state;
	uint8_t *text = make_slow_input();
	uint64_t at[4];
	stream_at(text, 100, 100, at);
	assert_int_equal(at[CR_ADAPT_STORED], 1);
	assert_int_equal(at[0] + at[1] + at[2], BLOCKS - 1);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_rule),
		cmocka_unit_test(keeping_up_compresses_best),
		cmocka_unit_test(behind_on_lz4_gives_way),
		cmocka_unit_test(behind_on_output_keeps_best),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
