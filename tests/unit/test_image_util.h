/* Helpers shared by the image unit tests (header only: each test_image_*.c
 * is its own program). */
#ifndef CORRAL_TESTS_TEST_IMAGE_UTIL_H
#define CORRAL_TESTS_TEST_IMAGE_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/image_reader.h"
#include "formats/image_writer.h"
#include "util/fsutil.h"

static inline char *t_mkdtemp(void)
{
	char *p = strdup("/tmp/crimg-test-XXXXXX");
	assert_non_null(p);
	assert_non_null(mkdtemp(p));
	return p;
}

static inline char *t_join(const char *a, const char *b)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", a, b) > 0);
	return p;
}

static inline void t_write(const char *dir, const char *rel, const void *data, size_t len,
			   mode_t mode)
{
	char *p = t_join(dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(p);
}

static inline uint8_t *t_read(const char *path, size_t *ret_len)
{
	char *data = NULL;
	size_t len = 0;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_read_file(path, 1u << 30, &data, &len, &err) < 0)
		fail_msg("%s", cr_error_msg(&err));
	*ret_len = len;
	return (uint8_t *)data;
}

static inline void t_rm_rf(const char *path)
{
	struct cr_error err = CR_ERROR_INIT;
	cr_rm_rf(path, &err);
	cr_error_clear(&err);
}

/* Half the 4 KiB pages pseudo-random, half repetitive (like process memory). */
static inline void t_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < len; i++) {
		if ((i / 4096) % 2) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		} else {
			buf[i] = (uint8_t)(i % 7);
		}
	}
}

static inline void t_expect_error(int r, const struct cr_error *err, const char *needle)
{
	if (r >= 0)
		fail_msg("expected an error containing \"%s\", got success", needle);
	if (!err->msg || !strstr(err->msg, needle))
		fail_msg("expected an error containing \"%s\", got \"%s\"", needle,
			 cr_error_msg(err));
}

/* Open MB from the start and verify all of it. */
static inline int t_verify_mem(struct cr_image_membuf *mb, const struct cr_image_keys *keys,
			       struct cr_error *err)
{
	mb->pos = 0;
	struct cr_image_io io = cr_image_io_mem(mb);
	struct cr_image_reader *r = NULL;
	int ret = cr_image_reader_open(&io, keys, &r, err);
	if (ret == 0)
		ret = cr_image_reader_read_all(r, NULL, 1, NULL, err); /* one worker: cheap to start */
	cr_image_reader_free(r);
	return ret;
}

#endif
