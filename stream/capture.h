/* Corral as CRIU's image streamer during a dump: a thread listens on
 * <images dir>/streamer-capture.sock, takes each image file CRIU opens as a
 * pipe and feeds its bytes, as they come, into a streamed image
 * (formats/image_stream_writer.h) under PREFIX/. Every open file is drained
 * at once (CRIU writes several together), so nothing is staged. */
#ifndef CORRAL_STREAM_CAPTURE_H
#define CORRAL_STREAM_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/image_stream_writer.h"
#include "util/error.h"

struct cr_capture;

/* Listen in IMAGES_DIR and start the thread. SW is used by the thread alone
 * until cr_capture_finish returns. */
int cr_capture_start(const char *images_dir, const char *prefix, struct cr_image_stream_writer *sw,
		     struct cr_capture **ret_capture, struct cr_error *err);

/* CRIU's dump has succeeded: wait, at most TIMEOUT_MS, until CRIU closed
 * every file and the socket, so that every byte it wrote is here (some may
 * still be on their way into the image: stream/capture_queue.h). The
 * partition may run again from here on. Then cr_capture_finish. */
int cr_capture_taken(struct cr_capture *c, int timeout_ms, struct cr_error *err);

/* CRIU's dump has ended (DUMP_OK: it succeeded). On success wait, at most
 * TIMEOUT_MS, until CRIU closed every file and the socket and everything
 * went into the image, then stop the thread: 0 when every file was taken in
 * whole. On failure stop at once. An error of the thread (the image could
 * not be written...) is returned here. */
int cr_capture_finish(struct cr_capture *c, bool dump_ok, int timeout_ms, struct cr_error *err);

/* The listening socket, for a process forked now to close (see
 * cr_criu_common.worker_close_fd). */
int cr_capture_listen_fd(const struct cr_capture *c);

/* Bytes of CRIU's files taken in so far. */
uint64_t cr_capture_bytes(const struct cr_capture *c);

/* Image files CRIU handed over. */
uint64_t cr_capture_files(const struct cr_capture *c);

/* Stop the thread if it runs (as a failed dump), remove the socket, free. */
void cr_capture_free(struct cr_capture *c);

#endif
