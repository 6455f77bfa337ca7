/* Format 2.0 (streamed images): files written interleaved as their bytes
 * arrive come back byte for byte, by extraction and by random access, plain
 * and encrypted; a cut, a flipped byte or a wrong key is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>

#include "crypto/crypto_keyfile.h"
#include "formats/image_stream_writer.h"
#include "test_image_util.h"

#define BIG (1u << 20) /* 8 blocks of 128 KiB */

struct fixture {
	char *dir;
	char *image;
	uint8_t *big, *small;
	size_t small_len;
};

/* Write an image of two files fed in interleaved pieces of odd sizes (the
 * way CRIU writes pages-1.img and pagemap-1.img together), a buffer, a
 * directory and an empty file. */
static void write_streamed(struct fixture *f, const struct cr_image_options *opts)
{
	int fd = open(f->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_info info = {.partition = "p1", .spec_text = "name = p1\n", .criu_version = "4.1.1",
				     .hostname = "h", .kernel = "k", .arch = "x86_64", .cpu_features = ""};
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_stream_writer *sw = NULL;
	if (cr_image_stream_open(&io, opts, &info, &sw, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	uint32_t big = 0, small = 0, empty = 0;
	assert_int_equal(cr_image_stream_file_open(sw, "criu/pages-1.img", 0600, &big, &err), 0);
	assert_int_equal(cr_image_stream_file_open(sw, "criu/pagemap-1.img", 0644, &small, &err), 0);
	assert_int_equal(cr_image_stream_file_open(sw, "criu/empty.img", 0600, &empty, &err), 0);
	size_t bo = 0, so = 0, step = 1;
	while (bo < BIG || so < f->small_len) {
		size_t n = BIG - bo < 70001 * step % 200003 ? BIG - bo : 70001 * step % 200003;
		assert_int_equal(cr_image_stream_file_write(sw, big, f->big + bo, n, &err), 0);
		bo += n;
		size_t m = f->small_len - so < 333 ? f->small_len - so : 333;
		assert_int_equal(cr_image_stream_file_write(sw, small, f->small + so, m, &err), 0);
		so += m;
		step++;
	}
	assert_int_equal(cr_image_stream_open_files(sw), 3);
	t_expect_error(cr_image_stream_finish(sw, &err), &err, "still open");
	assert_int_equal(cr_image_stream_file_close(sw, big, &err), 0);
	assert_int_equal(cr_image_stream_file_close(sw, small, &err), 0);
	assert_int_equal(cr_image_stream_file_close(sw, empty, &err), 0);
	assert_int_equal(cr_image_stream_add_dir(sw, "criu", 0700, &err), 0);
	assert_int_equal(cr_image_stream_add_buffer(sw, "criu/inventory.img", "inv", 3, 0600, &err), 0);
	t_expect_error(cr_image_stream_file_write(sw, big, "x", 1, &err), &err, "not open");
	if (cr_image_stream_finish(sw, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	cr_image_stream_free(sw);
	close(fd);
	cr_error_clear(&err);
}

static int open_image(const char *path, const struct cr_image_keys *keys, int *ret_fd,
		      struct cr_image_reader **ret, struct cr_error *err)
{
	*ret_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(*ret_fd >= 0);
	struct cr_image_io io = cr_image_io_fd(*ret_fd);
	return cr_image_reader_open(&io, keys, ret, err);
}

static void check_contents(struct fixture *f, const struct cr_image_keys *keys)
{
	struct cr_error err = CR_ERROR_INIT;
	struct cr_image_reader *r = NULL;
	int fd = -1;
	if (open_image(f->image, keys, &fd, &r, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	assert_int_equal(m->major, 2);
	assert_string_equal(m->partition, "p1");
	assert_int_equal(m->n_entries, 5);
	assert_string_equal(m->entries[0].path, "criu/pages-1.img");
	assert_int_equal(m->entries[0].size, BIG);
	assert_int_equal(m->entries[1].size, f->small_len);
	/* Random access: the last bytes first (as CRIU reads inventory.img
	 * first), then a range across a block boundary. */
	uint8_t buf[300000];
	size_t got = 0;
	assert_int_equal(cr_image_file_pread(r, 4, 0, buf, sizeof(buf), &got, &err), 0);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "inv", 3);
	assert_int_equal(cr_image_file_pread(r, 0, BIG - 10, buf, 100, &got, &err), 0);
	assert_int_equal(got, 10);
	assert_memory_equal(buf, f->big + BIG - 10, 10);
	assert_int_equal(cr_image_file_pread(r, 0, 131000, buf, sizeof(buf), &got, &err), 0);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(buf, f->big + 131000, sizeof(buf));
	assert_int_equal(cr_image_file_pread(r, 2, 0, buf, 10, &got, &err), 0);
	assert_int_equal(got, 0);
	t_expect_error(cr_image_file_pread(r, 3, 0, buf, 10, &got, &err), &err, "not a file");
	cr_image_reader_free(r);
	close(fd);
	/* Extraction reads everything once. */
	char *out = t_join(f->dir, "out");
	if (open_image(f->image, keys, &fd, &r, &err) < 0 || cr_image_extract_all(r, out, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	cr_image_reader_free(r);
	close(fd);
	char *p = t_join(out, "criu/pages-1.img");
	size_t len = 0;
	uint8_t *data = t_read(p, &len);
	assert_int_equal(len, BIG);
	assert_memory_equal(data, f->big, BIG);
	free(data);
	free(p);
	p = t_join(out, "criu/pagemap-1.img");
	data = t_read(p, &len);
	assert_int_equal(len, f->small_len);
	assert_memory_equal(data, f->small, len);
	free(data);
	free(p);
	t_rm_rf(out);
	free(out);
	cr_error_clear(&err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = t_mkdtemp();
	f->image = t_join(f->dir, "img.crimg");
	f->big = malloc(BIG);
	t_fill(f->big, BIG, 1);
	f->small_len = 50000;
	f->small = malloc(f->small_len);
	t_fill(f->small, f->small_len, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	t_rm_rf(f->dir);
	free(f->dir);
	free(f->image);
	free(f->big);
	free(f->small);
	free(f);
	return 0;
}

static void plain_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	write_streamed(f, &opts);
	check_contents(f, NULL);
}

static void keyfile_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cr_error err = CR_ERROR_INIT;
	char *key = t_join(f->dir, "key");
	char *other = t_join(f->dir, "other");
	assert_int_equal(cr_keyfile_create(key, &err), 0);
	assert_int_equal(cr_keyfile_create(other, &err), 0);
	struct cr_image_options opts = {.protection = CR_IMAGE_KEYFILE, .key_file = key};
	write_streamed(f, &opts);
	struct cr_image_keys keys = {.key_file = key};
	check_contents(f, &keys);
	struct cr_image_keys wrong = {.key_file = other};
	struct cr_image_reader *r = NULL;
	int fd = -1;
	t_expect_error(open_image(f->image, &wrong, &fd, &r, &err), &err, "key id");
	close(fd);
	free(key);
	free(other);
	cr_error_clear(&err);
}

/* Damage at OFFSET (from the end when negative) or a cut to LEN bytes. */
static int damaged(struct fixture *f, long offset, long cut, struct cr_error *err)
{
	size_t len = 0;
	uint8_t *data = t_read(f->image, &len);
	char *copy = t_join(f->dir, "damaged.crimg");
	if (cut > 0)
		len = (size_t)cut;
	else
		data[offset < 0 ? (long)len + offset : offset] ^= 0x40;
	t_write(f->dir, "damaged.crimg", data, len, 0600);
	free(data);
	struct cr_image_reader *r = NULL;
	int fd = -1;
	int ret = open_image(copy, NULL, &fd, &r, err);
	if (ret == 0)
		ret = cr_image_verify(r, NULL, err);
	cr_image_reader_free(r);
	close(fd);
	free(copy);
	return ret;
}

static void damage_is_refused(void **state)
{
	struct fixture *f = *state;
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	write_streamed(f, &opts);
	struct cr_error err = CR_ERROR_INIT;
	t_expect_error(damaged(f, 0, 600000, &err), &err, "truncated or unfinished");
	t_expect_error(damaged(f, -3, 0, &err), &err, "truncated or unfinished");
	t_expect_error(damaged(f, -30, 0, &err), &err, "tail checksum");
	t_expect_error(damaged(f, 400000, 0, &err), &err, "checksum mismatch");
	t_expect_error(damaged(f, -60, 0, &err), &err, "checksum mismatch");
	cr_error_clear(&err);
}

/* Extract DATA (LEN bytes) read as a stream, as a relocation's destination
 * does, into F->dir/stream-out. */
static int extract_stream(struct fixture *f, uint8_t *data, size_t len, const struct cr_image_keys *keys,
			  struct cr_error *err)
{
	struct cr_image_membuf mb = {.data = data, .len = len, .cap = len};
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_image_reader *r = NULL;
	char *out = t_join(f->dir, "stream-out");
	t_rm_rf(out);
	int ret = cr_image_reader_open(&io, keys, &r, err);
	if (ret == 0)
		ret = cr_image_extract_all(r, out, err);
	cr_image_reader_free(r);
	free(out);
	return ret;
}

/* Nothing is left beside the target when an extraction fails. */
static void nothing_left(struct fixture *f)
{
	char *out = t_join(f->dir, "stream-out");
	assert_false(cr_path_exists(out));
	free(out);
	DIR *d = opendir(f->dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, "partial") || strstr(de->d_name, "chunks"))
			fail_msg("left behind: %s", de->d_name);
	closedir(d);
}

static void stream_check(struct fixture *f, const struct cr_image_keys *keys)
{
	size_t len = 0;
	uint8_t *data = t_read(f->image, &len);
	struct cr_error err = CR_ERROR_INIT;
	if (extract_stream(f, data, len, keys, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	char *out = t_join(f->dir, "stream-out");
	const char *names[] = {"criu/pages-1.img", "criu/pagemap-1.img", "criu/empty.img", "criu/inventory.img"};
	const uint8_t *want[] = {f->big, f->small, NULL, (const uint8_t *)"inv"};
	size_t want_len[] = {BIG, f->small_len, 0, 3};
	for (size_t i = 0; i < 4; i++) {
		char *p = t_join(out, names[i]);
		size_t got = 0;
		uint8_t *b = t_read(p, &got);
		assert_int_equal(got, want_len[i]);
		if (got)
			assert_memory_equal(b, want[i], got);
		free(b);
		free(p);
	}
	char *p = t_join(out, "criu/pagemap-1.img");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(p);
	p = t_join(out, "criu");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	free(p);
	free(out);
	/* Verified in one pass too; random access needs a file. */
	struct cr_image_membuf mb = {.data = data, .len = len, .cap = len};
	if (t_verify_mem(&mb, keys, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	mb.pos = 0;
	struct cr_image_io io = cr_image_io_mem(&mb);
	struct cr_image_reader *r = NULL;
	assert_int_equal(cr_image_reader_open(&io, keys, &r, &err), 0);
	uint8_t buf[4];
	size_t got = 0;
	t_expect_error(cr_image_file_pread(r, 0, 0, buf, sizeof(buf), &got, &err), &err, "not a stream");
	cr_image_reader_free(r);
	free(data);
	cr_error_clear(&err);
}

static void a_stream_is_extracted(void **state)
{
	struct fixture *f = *state;
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	write_streamed(f, &opts);
	stream_check(f, NULL);
	struct cr_error err = CR_ERROR_INIT;
	char *key = t_join(f->dir, "key");
	assert_int_equal(cr_keyfile_create(key, &err), 0);
	struct cr_image_options enc = {.protection = CR_IMAGE_KEYFILE, .key_file = key};
	write_streamed(f, &enc);
	struct cr_image_keys keys = {.key_file = key};
	stream_check(f, &keys);
	free(key);
	cr_error_clear(&err);
}

/* A stream cut or damaged anywhere is refused, and nothing is left. */
static void a_damaged_stream_is_refused(void **state)
{
	struct fixture *f = *state;
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	write_streamed(f, &opts);
	size_t len = 0;
	uint8_t *data = t_read(f->image, &len);
	struct cr_error err = CR_ERROR_INIT;
	struct {
		long at;    /* flip a bit here (from the end when negative) */
		size_t cut; /* or keep this many bytes */
		const char *why;
	} cases[] = {
		{0, 300000, "truncated"},
		{0, len - 40, "truncated"},
		{0, len - 3, "truncated"},
		{-30, 0, "tail checksum"},
		{-5, 0, "truncated or unfinished"},
		{400000, 0, "checksum mismatch"},
		{-60, 0, "checksum mismatch"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *copy = malloc(len + 1);
		memcpy(copy, data, len);
		size_t n = cases[i].cut ? cases[i].cut : len;
		if (!cases[i].cut)
			copy[cases[i].at < 0 ? (long)len + cases[i].at : cases[i].at] ^= 0x40;
		t_expect_error(extract_stream(f, copy, n, NULL, &err), &err, cases[i].why);
		nothing_left(f);
		free(copy);
	}
	/* Data after the tail. */
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, data, len);
	longer[len] = 0;
	t_expect_error(extract_stream(f, longer, len + 1, NULL, &err), &err, "unexpected data after");
	nothing_left(f);
	free(longer);
	free(data);
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plain_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(keyfile_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(damage_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_stream_is_extracted, setup, teardown),
		cmocka_unit_test_setup_teardown(a_damaged_stream_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
