/* Writing an image while its files are still being produced (format 2.0,
 * docs/image-format.md): CRIU streaming its images, several open at once.
 * Open writes the header and the manifest (partition facts, no entries);
 * each file's bytes become CHUNK records as they arrive (a block of
 * block_size, compressed and sealed like a DATA record, tagged with the
 * file's entry number), so nothing is staged; finish writes the INDEX (every
 * entry with its final size, and where each chunk lies), the trailer and the
 * tail that locates the index. A reader restores any file by random access.
 * Memory: one block per open file. Not thread-safe: one thread drives it. */
#ifndef CORRAL_FORMATS_IMAGE_STREAM_WRITER_H
#define CORRAL_FORMATS_IMAGE_STREAM_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "formats/image_writer.h"
#include "util/error.h"

struct cr_image_stream_writer;

/* Write the header and manifest to OUT now (see cr_image_writer_open for
 * OPTS and INFO; progress gets in_total 0). */
int cr_image_stream_open(const struct cr_image_io *out, const struct cr_image_options *opts,
			 const struct cr_image_info *info, struct cr_image_stream_writer **ret_writer,
			 struct cr_error *err);

/* Start the file IMAGE_PATH (mode MODE); *RET_FILE names it below. */
int cr_image_stream_file_open(struct cr_image_stream_writer *sw, const char *image_path, mode_t mode,
			      uint32_t *ret_file, struct cr_error *err);

/* Append LEN bytes to FILE (full blocks are written out at once). */
int cr_image_stream_file_write(struct cr_image_stream_writer *sw, uint32_t file, const void *data, size_t len,
			       struct cr_error *err);

/* FILE is complete: its last partial block is written out. */
int cr_image_stream_file_close(struct cr_image_stream_writer *sw, uint32_t file, struct cr_error *err);

/* A whole file from memory, or a directory entry. */
int cr_image_stream_add_buffer(struct cr_image_stream_writer *sw, const char *image_path, const void *data,
			       size_t len, mode_t mode, struct cr_error *err);
/* The whole regular file SRC_PATH (read to its end) as IMAGE_PATH. */
int cr_image_stream_add_file(struct cr_image_stream_writer *sw, const char *image_path, const char *src_path,
			     struct cr_error *err);
int cr_image_stream_add_dir(struct cr_image_stream_writer *sw, const char *image_path, mode_t mode,
			    struct cr_error *err);

/* How far behind its producer the writer is, 0-100 (a capture queue's
 * fill). Above half, each block is compressed at the speed that has
 * cost the writer least per byte, output included (formats/compress_adapt.h):
 * a dump the writer cannot keep up with waits less, at the price of a larger
 * image. Readers do not care: only the codec of each block changes. */
void cr_image_stream_set_backlog(struct cr_image_stream_writer *sw, unsigned percent);

/* Blocks written so far at each speed: best, faster, fastest, stored. */
void cr_image_stream_speeds(const struct cr_image_stream_writer *sw, uint64_t ret_blocks[4]);

/* Files still open. */
size_t cr_image_stream_open_files(const struct cr_image_stream_writer *sw);

/* Write the index, trailer and tail; every file must be closed. After any
 * error the image is incomplete (a reader says so): delete it. */
int cr_image_stream_finish(struct cr_image_stream_writer *sw, struct cr_error *err);

/* Bytes written so far, and raw file bytes taken in so far. */
uint64_t cr_image_stream_bytes_written(const struct cr_image_stream_writer *sw);
uint64_t cr_image_stream_bytes_in(const struct cr_image_stream_writer *sw);

void cr_image_stream_free(struct cr_image_stream_writer *sw);

static inline void cr_image_stream_freep(struct cr_image_stream_writer **sw)
{
	cr_image_stream_free(*sw);
}
#define cleanup_image_stream __attribute__((cleanup(cr_image_stream_freep)))

#endif
