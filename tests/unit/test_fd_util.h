/* Whole writes and reads on a descriptor for the unit tests (header only:
 * each test is its own program); a short count fails the test. */
#ifndef CORRAL_TESTS_TEST_FD_UTIL_H
#define CORRAL_TESTS_TEST_FD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static inline void t_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static inline void t_read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

#endif
