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
};

#endif
