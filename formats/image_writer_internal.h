/* Writer state shared by image_writer.c (entries), image_writer_tree.c
 * (directory walks) and image_pack.c (the output pipeline). */
#ifndef CORRAL_FORMATS_IMAGE_WRITER_INTERNAL_H
#define CORRAL_FORMATS_IMAGE_WRITER_INTERNAL_H

#include <stdbool.h>

#include "formats/image_frame.h"
#include "formats/image_header.h"
#include "formats/image_manifest.h"
#include "formats/image_writer.h"

/* Where a FILE entry's bytes come from: a path, an fd, or a buffer. */
struct cr_wsource {
	char *path;
	int fd;
	uint8_t *data;
};

struct cr_image_writer {
	struct cr_image_io out;
	struct cr_image_options opts;
	struct cr_image_manifest m;
	struct cr_wsource *src; /* parallel to m.entries */
	size_t cap;
	struct cr_image_header h;
	uint8_t key[CR_STREAM_KEYBYTES];
	uint64_t written;
	bool finished;
};

/* Append entry E (its strings are copied) with source SRC (owned from now on,
 * also on failure). */
int cr_writer_push_entry(struct cr_image_writer *w, const struct cr_image_entry *e,
			 struct cr_wsource src, struct cr_error *err);

void cr_wsource_release(struct cr_wsource *s);

/* Write W's header (its version and protection as set) and its manifest as
 * frame 0, and set FS up for the frames that follow (ENC: scratch). */
int cr_writer_head(struct cr_image_writer *w, struct cr_frame_state *fs, struct cr_buf *enc,
		   struct cr_error *err);

#endif
