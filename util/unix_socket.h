/* Unix sockets named in a directory, and descriptors passed over them.
 * A socket is bound and reached through /proc/self/fd/N/NAME of its
 * directory opened O_PATH, so a directory path longer than sun_path (108
 * bytes) still works. */
#ifndef CORRAL_UTIL_UNIX_SOCKET_H
#define CORRAL_UTIL_UNIX_SOCKET_H

#include <stddef.h>

#include "util/error.h"

/* A stream socket listening as DIR/NAME (FLAGS: SOCK_NONBLOCK or 0; it is
 * close-on-exec), its path in *RET_PATH (heap; NULL: not wanted).
 * -EADDRINUSE when the name is taken (by a listener or a stale socket). */
int cr_unix_listen_at(const char *dir, const char *name, int flags, char **ret_path, int *ret_fd,
		      struct cr_error *err);

/* Connected to DIR/NAME (close-on-exec). -ENOENT or -ECONNREFUSED when
 * nobody listens there (ERR is then left alone). */
int cr_unix_connect_at(const char *dir, const char *name, int *ret_fd, struct cr_error *err);

/* The most bytes a descriptor may carry with it: the kernel queues a
 * message this small on a Unix stream socket as one piece, so the bytes
 * and the descriptor arrive together in one recvmsg. */
#define CR_UNIX_FD_DATA_MAX 1024

/* Send FD with LEN bytes of DATA over SOCK, in one message; -EMSGSIZE
 * unless 1 <= LEN <= CR_UNIX_FD_DATA_MAX; -EPROTO if it went out cut. */
int cr_unix_send_fd(int sock, const void *data, size_t len, int fd, struct cr_error *err);

/* Receive exactly LEN bytes (1 to CR_UNIX_FD_DATA_MAX) into BUF and the one
 * descriptor sent with them (close-on-exec), within TIMEOUT_MS. -EPROTO,
 * nothing kept, when fewer bytes came, no descriptor, or more descriptors
 * than one (the kernel cut them: MSG_CTRUNC). */
int cr_unix_recv_fd(int sock, int timeout_ms, void *buf, size_t len, int *ret_fd, struct cr_error *err);

#endif
