/* Reader state shared by image_reader.c (set-up) and image_unpack.c (data). */
#ifndef CORRAL_FORMATS_IMAGE_READER_INTERNAL_H
#define CORRAL_FORMATS_IMAGE_READER_INTERNAL_H

#include "formats/image_frame.h"
#include "formats/image_header.h"
#include "formats/image_reader.h"

struct cr_image_reader {
	struct cr_image_io in;
	struct cr_image_header h;
	struct cr_frame_state fs;
	struct cr_image_manifest m;
	struct cr_buf frame, plain;
	uint8_t key[CR_STREAM_KEYBYTES];
	bool consumed;
	bool allow_trailing;
	bool sequential; /* format 2.x from a stream: one pass (image_stream_read.c) */
	/* Format 2.x (image_seek.c): the trailer checked at open, and each FILE
	 * entry's chunks in order (chunk_of[first[e] .. first[e + 1]]). */
	struct cr_image_trailer trailer;
	size_t *first;
	uint32_t *chunk_of;
	/* cr_image_file_pread's last decoded block. */
	uint8_t *block;
	size_t block_entry;
	uint64_t block_no;
	bool block_valid;
};

/* Format 2.x, from cr_image_reader_open: find the index through the tail,
 * check it, the trailer and the end of the file, and fill the manifest's
 * entries. The input must be a file (read with pread). */
int cr_image_index_load(struct cr_image_reader *r, struct cr_error *err);

/* Format 2.x: take the INDEX record (PLAIN, LEN bytes, type byte first)
 * into the manifest read at open, whose entries it becomes. */
int cr_image_index_take(struct cr_image_reader *r, const uint8_t *plain, size_t len, bool final,
			struct cr_error *err);

/* Format 2.x read from a stream (image_stream_read.c): ON_CHUNK gets each
 * FILE entry's bytes in order, chunk by chunk, by entry number as they
 * come; the entries (their names) are known once the pass has returned. */
struct cr_stream_sink {
	int (*on_chunk)(void *ctx, uint32_t entry, const void *data, size_t len, struct cr_error *err);
	void *ctx;
};
/* Read every frame to the tail in one pass, checking it all (see
 * cr_image_reader_read_all); SINK may be NULL. */
int cr_image_stream_pass(struct cr_image_reader *r, const struct cr_stream_sink *sink, struct cr_error *err);

/* Format 2.x: cr_image_reader_read_all by random access. */
int cr_image_read_all_indexed(struct cr_image_reader *r, const struct cr_image_visitor *v,
			      struct cr_image_trailer *ret_trailer, struct cr_error *err);

#endif
