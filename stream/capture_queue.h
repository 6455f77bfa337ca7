/* Between the capture's reader of CRIU's pipes (stream/capture.c) and the
 * streamed image: a bounded queue of CRIU's bytes and a writer thread that
 * feeds them to the image writer (compressing, checksumming, writing). CRIU
 * then waits on its pipes only when CR_CAPTURE_QUEUE_MAX bytes are queued,
 * not whenever a block is being compressed; what is queued when CRIU's dump
 * ends is written after it (a snapshot thaws meanwhile).
 *
 * Once the image cannot be written (a relocation's peer went away, a full
 * disk) the writer drops what comes, so CRIU's dump ends as soon as it would
 * have (an error in the middle of a dump, a pipe closed under it, can leave
 * CRIU stuck curing the tasks), and that first error is the outcome.
 * One reader thread calls open/buffer/write/close; any thread finish. */
#ifndef CORRAL_STREAM_CAPTURE_QUEUE_H
#define CORRAL_STREAM_CAPTURE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/image_stream_writer.h"
#include "util/error.h"

#define CR_CAPTURE_QUEUE_BLOCK (1u << 20)
#define CR_CAPTURE_QUEUE_MAX (32u << 20) /* within issue 18's 64 MiB of extra memory */

struct cr_capture_queue;

/* Start the writer thread; SW is its alone until cr_capture_queue_finish. */
int cr_capture_queue_start(struct cr_image_stream_writer *sw, struct cr_capture_queue **ret, struct cr_error *err);

/* A new file IMAGE_PATH; *RET_FILE names it below. */
int cr_capture_queue_open(struct cr_capture_queue *q, const char *image_path, uint32_t *ret_file,
			  struct cr_error *err);

/* A free buffer of CR_CAPTURE_QUEUE_BLOCK bytes, waiting while the queue is
 * full; NULL when out of memory. Give it back with write or unused. */
uint8_t *cr_capture_queue_buffer(struct cr_capture_queue *q);
void cr_capture_queue_unused(struct cr_capture_queue *q, uint8_t *buf);

/* LEN bytes of FILE in BUF (from cr_capture_queue_buffer, taken over). */
int cr_capture_queue_write(struct cr_capture_queue *q, uint32_t file, uint8_t *buf, size_t len,
			   struct cr_error *err);

/* FILE is complete. */
int cr_capture_queue_close(struct cr_capture_queue *q, uint32_t file, struct cr_error *err);

/* Bytes queued (taken from CRIU) so far. */
uint64_t cr_capture_queue_bytes(const struct cr_capture_queue *q);

/* Wait until everything queued went to the image writer, stop the thread:
 * its outcome (the first error of the image writer). Once only. */
int cr_capture_queue_finish(struct cr_capture_queue *q, struct cr_error *err);

/* Stop the thread if it runs (dropping what is queued) and free. */
void cr_capture_queue_free(struct cr_capture_queue *q);

#endif
