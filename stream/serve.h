/* Corral as CRIU's image streamer during a restore: a thread listens on
 * <images dir>/streamer-serve.sock and serves each image file CRIU asks for
 * (inventory.img first, then any, several at once) straight from a streamed
 * image (format 2.x) by random access, decompressing block by block into
 * CRIU's pipe: nothing is extracted anywhere. */
#ifndef CORRAL_STREAM_SERVE_H
#define CORRAL_STREAM_SERVE_H

#include "formats/image_reader.h"
#include "util/error.h"

struct cr_serve;

/* Listen in IMAGES_DIR and start the thread, which serves the entries under
 * PREFIX/ of R (opened on a file). R belongs to the thread until
 * cr_serve_finish returns. */
int cr_serve_start(const char *images_dir, const char *prefix, struct cr_image_reader *r,
		   struct cr_serve **ret_serve, struct cr_error *err);

/* The restore has ended: stop the thread. 0, or the first error the thread
 * met (a damaged block: CRIU then failed too, this says why). */
int cr_serve_finish(struct cr_serve *s, struct cr_error *err);

/* Files served whole. */
unsigned cr_serve_files(const struct cr_serve *s);

/* Whether entry ENTRY of the image was served to its end (every block of it
 * read and checked on the way): S is a struct cr_serve, ready for
 * cr_image_check_frames's SKIP. Safe while the thread runs. */
bool cr_serve_whole(void *s, size_t entry);

/* Stop the thread if it runs, remove the socket, free. */
void cr_serve_free(struct cr_serve *s);

#endif
