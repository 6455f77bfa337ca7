/* Pieces of the daemon loop shared between its files. */
#ifndef CORRAL_TRANSPORT_DAEMON_INTERNAL_H
#define CORRAL_TRANSPORT_DAEMON_INTERNAL_H

#include "transport/daemon.h"

/* Listening sockets (O_CLOEXEC, non-blocking: a client that gives up
 * between poll and accept must not block the loop; accepted sockets are
 * blocking again). The Unix socket is mode 0600; a stale socket file is
 * replaced, a live one is -EADDRINUSE. */
int cr_daemon_listen_tcp(const char *addr, int *ret_fd, struct cr_error *err);
int cr_daemon_listen_unix(const char *path, int *ret_fd, struct cr_error *err);

#endif
