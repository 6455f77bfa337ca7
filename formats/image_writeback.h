/* Writing an image file that must be on the disk before it counts (the
 * caller fsyncs it at the end): the kernel is asked to start writing back
 * every CR_WRITEBACK_STEP bytes while the image is still being packed, so the
 * disk works alongside the packer and the final fsync finds little left to
 * do (measured here for 260 MiB on ext4: that fsync took 60-140 ms instead of
 * 230-280 ms). Nothing waits for the disk before the fsync: waiting for each
 * step stalled the packer more than it saved. Where the fd is no disk file
 * (tmpfs: the requests do nothing; a pipe: the first one fails) plain writes
 * remain. */
#ifndef CORRAL_FORMATS_IMAGE_WRITEBACK_H
#define CORRAL_FORMATS_IMAGE_WRITEBACK_H

#include <stdint.h>

#include "formats/image_io.h"

#define CR_WRITEBACK_STEP (8u << 20)

struct cr_image_writeback {
	struct cr_image_io inner;
	uint64_t written; /* bytes written through it */
	uint64_t started; /* bytes whose writeback has been started */
	bool unsupported; /* sync_file_range said no: plain writes from then on */
};

/* An io writing to FD (the fd stays the caller's) through WB, which must
 * outlive the io. */
struct cr_image_io cr_image_io_fd_writeback(struct cr_image_writeback *wb, int fd);

#endif
