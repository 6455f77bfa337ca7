/* Where an image goes to and comes from: an fd (file, pipe, socket) or a pair
 * of callbacks (e.g. a transport that adds timeouts). Never seeks. */
#ifndef CORRAL_FORMATS_IMAGE_IO_H
#define CORRAL_FORMATS_IMAGE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* A callback returns bytes moved (> 0; 0 = end of stream for reads) or a
 * negative errno code after filling ERR. */
struct cr_image_io {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct cr_error *err);
	ssize_t (*write)(void *ctx, const void *buf, size_t len, struct cr_error *err);
	void *ctx;
	int fd; /* used by the fd helpers below when read/write are NULL */
	bool fd_is_socket; /* then writes use MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE */
	int timeout_ms;    /* > 0: a read or write that makes no progress this long is -ETIMEDOUT */
};

/* An io over FD (the fd stays the caller's), blocking as long as it takes. */
struct cr_image_io cr_image_io_fd(int fd);

/* The same with a no-progress timeout (pipes and sockets to other hosts). */
struct cr_image_io cr_image_io_fd_timeout(int fd, int timeout_ms);

/* An in-memory image: writes append (growing the buffer), reads consume from
 * POS. Used by tests, the fuzz target and anything that keeps images in RAM. */
struct cr_image_membuf {
	uint8_t *data;
	size_t len, cap, pos;
	size_t max; /* writes beyond this many bytes fail with -EFBIG; 0: no limit */
};

struct cr_image_io cr_image_io_mem(struct cr_image_membuf *mb);
void cr_image_membuf_free(struct cr_image_membuf *mb);

/* Write all LEN bytes. */
int cr_io_write_all(const struct cr_image_io *io, const void *buf, size_t len,
		    struct cr_error *err);

/* Read exactly LEN bytes. Returns 0, or 1 when the stream ended before the
 * first byte (clean end), or -EPIPE-style error "truncated" when it ended
 * part-way; WHAT names the thing being read in that message. */
int cr_io_read_full(const struct cr_image_io *io, void *buf, size_t len, const char *what,
		    struct cr_error *err);

#endif
