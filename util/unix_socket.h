/* Unix sockets named in a directory, and descriptors passed over them.
 * A socket is bound and reached through /proc/self/fd/N/NAME of its
 * directory opened O_PATH, so a directory path longer than sun_path (108
 * bytes) still works. */
#ifndef CORRAL_UTIL_UNIX_SOCKET_H
#define CORRAL_UTIL_UNIX_SOCKET_H

#include <stddef.h>

#include "util/error.h"

/* A stream socket listening as DIR/NAME (FLAGS: SOCK_NONBLOCK or 0; it is
 * close-on-exec), its path in *RET_PATH (heap; NULL: not wanted). */
int cr_unix_listen_at(const char *dir, const char *name, int flags, char **ret_path, int *ret_fd,
		      struct cr_error *err);

/* Connected to DIR/NAME (close-on-exec). -ENOENT or -ECONNREFUSED when
 * nobody listens there (ERR is then left alone). */
int cr_unix_connect_at(const char *dir, const char *name, int *ret_fd, struct cr_error *err);

/* Send FD with LEN (1-64) bytes of DATA over SOCK, in one message. */
int cr_unix_send_fd(int sock, const void *data, size_t len, int fd, struct cr_error *err);

/* Receive LEN bytes into BUF and the descriptor sent with them
 * (close-on-exec), within TIMEOUT_MS. */
int cr_unix_recv_fd(int sock, int timeout_ms, void *buf, size_t len, int *ret_fd, struct cr_error *err);

#endif
