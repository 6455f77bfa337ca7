/* What the capture and serve streamers share: the socket CRIU connects to
 * (listening, then its one connection), the thread that serves it and the
 * pipe that tells the thread to stop. */
#ifndef CORRAL_STREAM_STREAMER_THREAD_H
#define CORRAL_STREAM_STREAMER_THREAD_H

#include <pthread.h>
#include <stdbool.h>

#include "stream/streamer_proto.h"
#include "util/error.h"

struct cr_streamer {
	int listen_fd, conn_fd;
	int stop[2]; /* cr_streamer_stop writes one byte to stop[1] */
	char *sock_path;
	struct cr_streamer_in in;
	pthread_t thread;
	bool running;
	int result; /* the thread's own outcome, ERR its message */
	struct cr_error err;
};

/* Listen on DIR/SOCK and run FN(ARG) in a thread; T must be zeroed. */
int cr_streamer_start(struct cr_streamer *t, const char *dir, const char *sock, void *(*fn)(void *), void *arg,
		      struct cr_error *err);

/* The descriptor the thread polls for CRIU: the listener until CRIU came,
 * then the connection until CRIU closed it, then -1. */
int cr_streamer_socket_fd(const struct cr_streamer *t);

/* That descriptor is ready: accept CRIU, or receive what it sent into t->in. */
int cr_streamer_socket_ready(struct cr_streamer *t, struct cr_error *err);

/* Send WHY to the thread and wait for it: its result (its error in ERR). */
int cr_streamer_stop(struct cr_streamer *t, char why, struct cr_error *err);

/* Stop the thread if it runs (with 'f'), close everything, remove the socket. */
void cr_streamer_release(struct cr_streamer *t);

#endif
