/* The streamed image writer (format 2.0): files in CHUNK records as their
 * bytes arrive, an INDEX of entries and chunks at the end, a fixed tail. */
#define LOG_PREFIX "image: "
#include "formats/image_stream_writer.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/compress_adapt.h"
#include "formats/image_compress.h"
#include "formats/image_crc32c.h"
#include "formats/image_writer_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

struct sfile {
	size_t entry;  /* in w->m.entries */
	uint8_t *buf;  /* block_size bytes while open */
	size_t fill;
	bool open;
};

struct cr_image_stream_writer {
	struct cr_image_writer *w; /* header, keys, manifest, entries, output */
	struct cr_frame_state fs;
	struct cr_buf enc;
	uint8_t *rec; /* 4 headroom, CHUNK header, body, 4 tail room */
	size_t bound;
	struct sfile *files;
	size_t n_files, cap_files, n_open;
	struct cr_image_chunk *chunks;
	size_t n_chunks, cap_chunks;
	uint64_t data_bytes;
	bool broken; /* an earlier write failed: the stream is unusable */
	/* Adaptive compression (cr_image_stream_set_backlog): how far behind
	 * the writer is, and what a block costs it (moving averages, ns):
	 * what each speed has cost it (formats/compress_adapt.h). */
	unsigned backlog;
	struct cr_compress_adapt adapt;
};

int cr_image_stream_open(const struct cr_image_io *out, const struct cr_image_options *opts,
			 const struct cr_image_info *info, struct cr_image_stream_writer **ret_writer,
			 struct cr_error *err)
{
	struct cr_image_stream_writer *sw = calloc(1, sizeof(*sw));
	if (!sw)
		return cr_error_set(err, ENOMEM, "out of memory for an image writer");
	int r = cr_image_writer_open(out, opts, info, &sw->w, err);
	if (r == 0) {
		sw->w->h.major = CR_IMAGE_MAJOR_STREAMED;
		sw->w->h.minor = CR_IMAGE_MINOR_STREAMED;
		sw->bound = cr_compress_bound(sw->w->m.block_size);
		sw->rec = malloc(4 + CR_CHUNK_HDR_LEN + sw->bound + 4);
		if (!sw->rec)
			r = cr_error_set(err, ENOMEM, "out of memory for image blocks");
	}
	if (r == 0)
		r = cr_writer_head(sw->w, &sw->fs, &sw->enc, err);
	if (r < 0) {
		cr_image_stream_free(sw);
		return cr_error_wrap(err, "writing the image header");
	}
	*ret_writer = sw;
	return 0;
}

static int usable(const struct cr_image_stream_writer *sw, struct cr_error *err)
{
	if (sw->broken)
		return cr_error_set(err, EIO, "the image stream failed earlier");
	return 0;
}

static struct sfile *file_of(struct cr_image_stream_writer *sw, uint32_t file, struct cr_error *err)
{
	if (file >= sw->n_files || !sw->files[file].open) {
		cr_error_set(err, EINVAL, "image file %u is not open", file);
		return NULL;
	}
	return &sw->files[file];
}

int cr_image_stream_file_open(struct cr_image_stream_writer *sw, const char *image_path, mode_t mode,
			      uint32_t *ret_file, struct cr_error *err)
{
	int r = usable(sw, err);
	if (r < 0)
		return r;
	if (sw->n_files == sw->cap_files) {
		size_t ncap = sw->cap_files ? 2 * sw->cap_files : 64;
		struct sfile *nf = realloc(sw->files, ncap * sizeof(*nf));
		if (!nf)
			return cr_error_set(err, ENOMEM, "out of memory adding %s", image_path);
		sw->files = nf;
		sw->cap_files = ncap;
	}
	struct sfile f = {.entry = sw->w->m.n_entries, .buf = malloc(sw->w->m.block_size), .open = true};
	if (!f.buf)
		return cr_error_set(err, ENOMEM, "out of memory adding %s", image_path);
	struct cr_image_entry e = {.path = (char *)image_path, .type = CR_ENTRY_FILE, .mode = mode & 07777};
	struct cr_wsource none = {.path = NULL, .fd = -1, .data = NULL};
	if ((r = cr_writer_push_entry(sw->w, &e, none, err)) < 0) {
		free(f.buf);
		return r;
	}
	sw->files[sw->n_files] = f;
	sw->n_open++;
	*ret_file = (uint32_t)sw->n_files++;
	return 0;
}

static int push_chunk(struct cr_image_stream_writer *sw, struct cr_image_chunk c, struct cr_error *err)
{
	if (sw->n_chunks == sw->cap_chunks) {
		size_t ncap = sw->cap_chunks ? 2 * sw->cap_chunks : 1024;
		struct cr_image_chunk *nc = realloc(sw->chunks, ncap * sizeof(*nc));
		if (!nc)
			return cr_error_set(err, ENOMEM, "out of memory for the image index");
		sw->chunks = nc;
		sw->cap_chunks = ncap;
	}
	sw->chunks[sw->n_chunks++] = c;
	return 0;
}

/* Seal and write one frame of the stream; a failure breaks the stream. */
static int emit(struct cr_image_stream_writer *sw, uint8_t *plain, size_t len, bool final, struct cr_error *err)
{
	size_t flen = 0;
	int r = cr_frame_emit(&sw->fs, plain, len, final, &sw->enc, &sw->w->out, &flen, err);
	if (r < 0) {
		sw->broken = true;
		return r;
	}
	sw->w->written += flen;
	return 0;
}

static int flush_block(struct cr_image_stream_writer *sw, struct sfile *f, struct cr_error *err)
{
	struct cr_image_entry *e = &sw->w->m.entries[f->entry];
	struct cr_image_chunk c = {
		.entry = (uint32_t)f->entry, .offset = sw->w->written, .frame = sw->fs.index, .prev = sw->fs.chain};
	int r = push_chunk(sw, c, err);
	if (r < 0)
		return r;
	uint8_t *p = sw->rec + 4;
	p[0] = CR_REC_CHUNK;
	cr_put_le32(p + 1, (uint32_t)f->entry);
	unsigned level = cr_adapt_choose(&sw->adapt, sw->backlog);
	int64_t t0 = cr_now_ns();
	size_t body = cr_data_body_encode(f->buf, f->fill, p + 5, sw->bound, cr_adapt_speed(level));
	int64_t t1 = cr_now_ns();
	if ((r = emit(sw, p, 5 + body, false, err)) < 0)
		return cr_error_wrap(err, "writing %s", e->path);
	cr_adapt_note(&sw->adapt, level, f->fill, body, t1 - t0, cr_now_ns() - t1);
	e->size += f->fill;
	sw->data_bytes += f->fill;
	f->fill = 0;
	const struct cr_image_options *o = &sw->w->opts;
	if (o->progress)
		o->progress(o->progress_ctx, sw->data_bytes, 0, sw->w->written);
	return 0;
}

int cr_image_stream_file_write(struct cr_image_stream_writer *sw, uint32_t file, const void *data, size_t len,
			       struct cr_error *err)
{
	int r = usable(sw, err);
	struct sfile *f = r < 0 ? NULL : file_of(sw, file, err);
	if (!f)
		return r < 0 ? r : -EINVAL;
	const uint8_t *p = data;
	size_t bs = sw->w->m.block_size;
	while (len > 0) {
		size_t n = bs - f->fill < len ? bs - f->fill : len;
		memcpy(f->buf + f->fill, p, n);
		f->fill += n;
		p += n;
		len -= n;
		if (f->fill == bs && (r = flush_block(sw, f, err)) < 0)
			return r;
	}
	return 0;
}

int cr_image_stream_file_close(struct cr_image_stream_writer *sw, uint32_t file, struct cr_error *err)
{
	int r = usable(sw, err);
	struct sfile *f = r < 0 ? NULL : file_of(sw, file, err);
	if (!f)
		return r < 0 ? r : -EINVAL;
	if (f->fill > 0 && (r = flush_block(sw, f, err)) < 0)
		return r;
	free(f->buf);
	f->buf = NULL;
	f->open = false;
	sw->n_open--;
	return 0;
}

int cr_image_stream_add_buffer(struct cr_image_stream_writer *sw, const char *image_path, const void *data,
			       size_t len, mode_t mode, struct cr_error *err)
{
	uint32_t file = 0;
	int r = cr_image_stream_file_open(sw, image_path, mode, &file, err);
	if (r == 0)
		r = cr_image_stream_file_write(sw, file, data, len, err);
	if (r == 0)
		r = cr_image_stream_file_close(sw, file, err);
	return r;
}

int cr_image_stream_add_file(struct cr_image_stream_writer *sw, const char *image_path, const char *src_path,
			     struct cr_error *err)
{
	cleanup_close int fd = open(src_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cr_error_errno(err, "cannot read %s", src_path);
	cleanup_free uint8_t *buf = malloc(sw->w->m.block_size);
	uint32_t file = 0;
	int r = buf ? cr_image_stream_file_open(sw, image_path, st.st_mode, &file, err)
		    : cr_error_set(err, ENOMEM, "out of memory adding %s", image_path);
	for (ssize_t n = 1; r == 0 && n != 0;) {
		n = read(fd, buf, sw->w->m.block_size);
		if (n < 0 && errno != EINTR)
			r = cr_error_errno(err, "cannot read %s", src_path);
		else if (n > 0)
			r = cr_image_stream_file_write(sw, file, buf, (size_t)n, err);
	}
	return r == 0 ? cr_image_stream_file_close(sw, file, err) : r;
}

int cr_image_stream_add_dir(struct cr_image_stream_writer *sw, const char *image_path, mode_t mode,
			    struct cr_error *err)
{
	return cr_image_writer_add_dir(sw->w, image_path, mode, err);
}

size_t cr_image_stream_open_files(const struct cr_image_stream_writer *sw)
{
	return sw->n_open;
}

/* The INDEX record: a manifest of the entries and the chunks. */
static int write_index(struct cr_image_stream_writer *sw, struct cr_error *err)
{
	struct cr_image_manifest idx = {.block_size = sw->w->m.block_size,
					.entries = sw->w->m.entries,
					.n_entries = sw->w->m.n_entries,
					.chunks = sw->chunks,
					.n_chunks = sw->n_chunks};
	cleanup_free uint8_t *pb = NULL;
	size_t pb_len = 0;
	int r = cr_image_manifest_check(&idx, err);
	if (r == 0)
		r = cr_image_manifest_pack(&idx, &pb, &pb_len, err);
	if (r < 0)
		return r;
	cleanup_free uint8_t *rec = malloc(4 + 1 + pb_len + 4);
	if (!rec)
		return cr_error_set(err, ENOMEM, "out of memory writing the image index");
	rec[4] = CR_REC_INDEX;
	memcpy(rec + 5, pb, pb_len);
	return emit(sw, rec + 4, 1 + pb_len, false, err);
}

static int write_trailer(struct cr_image_stream_writer *sw, struct cr_error *err)
{
	uint8_t rec[4 + 1 + 64 + 4];
	size_t len = 0;
	struct cr_image_trailer t = {
		.entry_count = sw->w->m.n_entries, .data_bytes = sw->data_bytes, .block_count = sw->n_chunks};
	int r = cr_image_trailer_pack(&t, rec + 5, 64, &len, err);
	if (r < 0)
		return r;
	rec[4] = CR_REC_TRAILER;
	return emit(sw, rec + 4, 1 + len, true, err);
}

int cr_image_stream_finish(struct cr_image_stream_writer *sw, struct cr_error *err)
{
	int r = usable(sw, err);
	if (r < 0)
		return r;
	if (sw->n_open > 0)
		return cr_error_set(err, EINVAL, "%zu image files are still open", sw->n_open);
	uint8_t tail[CR_IMAGE_TAIL_LEN];
	uint64_t off = sw->w->written, frame = sw->fs.index;
	cr_put_le32(tail, (uint32_t)off);
	cr_put_le32(tail + 4, (uint32_t)(off >> 32));
	cr_put_le32(tail + 8, (uint32_t)frame);
	cr_put_le32(tail + 12, (uint32_t)(frame >> 32));
	cr_put_le32(tail + 16, sw->fs.chain);
	cr_put_le32(tail + 20, cr_crc32c(0, tail, 20));
	memcpy(tail + 24, CR_IMAGE_TAIL_MAGIC, 8);
	if ((r = write_index(sw, err)) < 0 || (r = write_trailer(sw, err)) < 0)
		return cr_error_wrap(err, "writing the image index");
	if ((r = cr_io_write_all(&sw->w->out, tail, sizeof(tail), err)) < 0) {
		sw->broken = true;
		return cr_error_wrap(err, "writing the image tail");
	}
	sw->w->written += sizeof(tail);
	sw->broken = true; /* written: nothing may follow */
	cr_debug("streamed %llu bytes, %zu chunks", (unsigned long long)sw->w->written, sw->n_chunks);
	return 0;
}

uint64_t cr_image_stream_bytes_written(const struct cr_image_stream_writer *sw)
{
	return sw->w->written;
}

uint64_t cr_image_stream_bytes_in(const struct cr_image_stream_writer *sw)
{
	return sw->data_bytes;
}

void cr_image_stream_free(struct cr_image_stream_writer *sw)
{
	if (!sw)
		return;
	for (size_t i = 0; i < sw->n_files; i++)
		free(sw->files[i].buf);
	free(sw->files);
	free(sw->chunks);
	free(sw->rec);
	cr_buf_free(&sw->enc);
	cr_image_writer_free(sw->w);
	free(sw);
}

void cr_image_stream_set_backlog(struct cr_image_stream_writer *sw, unsigned percent)
{
	sw->backlog = percent > 100 ? 100 : percent;
}

void cr_image_stream_speeds(const struct cr_image_stream_writer *sw, uint64_t ret_blocks[4])
{
	memcpy(ret_blocks, sw->adapt.blocks, sizeof(sw->adapt.blocks));
}
