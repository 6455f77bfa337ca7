/* formats/image_writeback.h: every byte reaches the file in order, writeback
 * is started a whole step at a time, and an fd that cannot (a pipe) still
 * gets all its bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/image_writeback.h"

#define CHUNK (1u << 20)

static void fill(uint8_t *buf, size_t len, uint64_t at)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((at + i) * 2654435761u >> 24);
}

static void file_gets_everything_in_steps(void **state)
{
	(void)state;
	char path[] = "/tmp/corral-test-writeback-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	struct cr_image_writeback wb;
	struct cr_image_io io = cr_image_io_fd_writeback(&wb, fd);
	uint8_t *buf = malloc(CHUNK);
	assert_non_null(buf);
	const unsigned chunks = 2 * CR_WRITEBACK_STEP / CHUNK + 3;
	for (unsigned i = 0; i < chunks; i++) {
		fill(buf, CHUNK, (uint64_t)i * CHUNK);
		assert_int_equal(cr_io_write_all(&io, buf, CHUNK, NULL), 0);
	}
	assert_false(wb.unsupported);
	assert_int_equal(wb.written, (uint64_t)chunks * CHUNK);
	assert_int_equal(wb.started, 2ull * CR_WRITEBACK_STEP);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)chunks * CHUNK);
	uint8_t *want = malloc(CHUNK);
	assert_non_null(want);
	for (unsigned i = 0; i < chunks; i++) {
		assert_int_equal(pread(fd, buf, CHUNK, (off_t)i * CHUNK), CHUNK);
		fill(want, CHUNK, (uint64_t)i * CHUNK);
		assert_memory_equal(buf, want, CHUNK);
	}
	free(want);
	free(buf);
	close(fd);
}

static void pipe_needs_no_writeback(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct cr_image_writeback wb;
	struct cr_image_io io = cr_image_io_fd_writeback(&wb, p[1]);
	/* A step's worth in small writes, read back by this thread as it goes. */
	uint8_t buf[4096], got[4096];
	uint64_t sent = 0;
	while (sent < CR_WRITEBACK_STEP + 4096) {
		fill(buf, sizeof(buf), sent);
		assert_int_equal(cr_io_write_all(&io, buf, sizeof(buf), NULL), 0);
		assert_int_equal(read(p[0], got, sizeof(got)), (ssize_t)sizeof(got));
		assert_memory_equal(got, buf, sizeof(buf));
		sent += sizeof(buf);
	}
	assert_true(wb.unsupported);
	assert_int_equal(wb.written, sent);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_gets_everything_in_steps),
		cmocka_unit_test(pipe_needs_no_writeback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
