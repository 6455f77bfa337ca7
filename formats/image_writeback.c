/* Writes that start the disk's writeback as they go (image_writeback.h). */
#include "formats/image_writeback.h"

#include <fcntl.h>
#include <string.h>

/* Ask for writeback of [FROM, TO) with FLAGS; false when the fd cannot. */
static bool range(int fd, uint64_t from, uint64_t to, unsigned flags)
{
	while (sync_file_range(fd, (off64_t)from, (off64_t)(to - from), flags) < 0)
		if (errno != EINTR)
			return false;
	return true;
}

static ssize_t wb_write(void *ctx, const void *buf, size_t len, struct cr_error *err)
{
	struct cr_image_writeback *wb = ctx;
	int r = cr_io_write_all(&wb->inner, buf, len, err);
	if (r < 0)
		return r;
	wb->written += len;
	if (wb->unsupported || wb->written - wb->started < CR_WRITEBACK_STEP)
		return (ssize_t)len;
	/* Start the new step; waiting for earlier ones is the fsync's job. */
	wb->unsupported = !range(wb->inner.fd, wb->started, wb->written, SYNC_FILE_RANGE_WRITE);
	wb->started = wb->written;
	return (ssize_t)len;
}

struct cr_image_io cr_image_io_fd_writeback(struct cr_image_writeback *wb, int fd)
{
	memset(wb, 0, sizeof(*wb));
	wb->inner = cr_image_io_fd(fd);
	struct cr_image_io io = {.write = wb_write, .ctx = wb, .fd = fd};
	return io;
}
