/* Waiting on descriptors with a deadline: nothing in Corral waits forever. */
#ifndef CORRAL_UTIL_FDWAIT_H
#define CORRAL_UTIL_FDWAIT_H

#include <stddef.h>

/* 1 when FD becomes readable (for a pidfd: the process ended) within
 * TIMEOUT_MS (-1: no limit), 0 when the time ran out. */
int cr_fd_wait_readable(int fd, int timeout_ms);

/* Read one line (a child's verdict) from FD into BUF within TIMEOUT_MS; the
 * newline is dropped. Returns 0, "" when the writer closed without a word,
 * or -ETIMEDOUT / -errno. */
int cr_fd_read_line(int fd, int timeout_ms, char *buf, size_t size);

#endif
