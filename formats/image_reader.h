/* Reading a checkpoint image from any stream without seeking: open reads the
 * header and manifest; one pass over the data then verifies every block and
 * the trailer (cr_image_verify), extracts (cr_image_extract_all), or hands
 * the entries to a visitor. Every error names what is wrong and where. */
#ifndef CORRAL_FORMATS_IMAGE_READER_H
#define CORRAL_FORMATS_IMAGE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/image_io.h"
#include "formats/image_keys.h"
#include "formats/image_manifest.h"
#include "util/error.h"

struct cr_image_reader;

/* Read the header and the manifest from IN. KEYS may be NULL for plain images. */
int cr_image_reader_open(const struct cr_image_io *in, const struct cr_image_keys *keys,
			 struct cr_image_reader **ret_reader, struct cr_error *err);

/* The manifest (valid until cr_image_reader_free); major/minor/protection set. */
const struct cr_image_manifest *cr_image_reader_manifest(const struct cr_image_reader *r);

/* By default the stream must end right after the trailer (a file). A
 * transport that keeps the connection open turns that check off. */
void cr_image_reader_allow_trailing_data(struct cr_image_reader *r);

/* Called in manifest order; on_data gets a FILE's bytes in order, in blocks. */
struct cr_image_visitor {
	int (*on_entry)(void *ctx, const struct cr_image_entry *e, struct cr_error *err);
	int (*on_data)(void *ctx, const struct cr_image_entry *e, const void *data, size_t len,
		       struct cr_error *err);
	int (*on_entry_end)(void *ctx, const struct cr_image_entry *e, struct cr_error *err);
	void *ctx;
};

/* Read all data and the trailer once (NULL callbacks are skipped), checking
 * every block. RET_TRAILER may be NULL. WORKERS: decompression threads, 0:
 * one per online CPU. */
int cr_image_reader_read_all(struct cr_image_reader *r, const struct cr_image_visitor *v,
			     unsigned workers, struct cr_image_trailer *ret_trailer,
			     struct cr_error *err);

/* Check every block and the trailer, keeping nothing. */
int cr_image_verify(struct cr_image_reader *r, struct cr_image_trailer *ret_trailer,
		    struct cr_error *err);

/* Extract into DIR, which must not exist: everything goes to a temporary
 * directory beside it that is renamed to DIR at the end, or removed on error. */
int cr_image_extract_all(struct cr_image_reader *r, const char *dir, struct cr_error *err);

/* Extract into DIR, which exists (made empty by the caller, who removes it
 * on error): directories the image names there already are used as they
 * are (a process may already hold one open), files must be new. */
int cr_image_extract_into(struct cr_image_reader *r, const char *dir, struct cr_error *err);

/* Format 2.x only (a file): copy LEN bytes of FILE entry number ENTRY from
 * byte OFF into BUF, decompressing the chunks that hold them; *RET_GOT is
 * less than LEN only at the end of the file. Any number of calls, any
 * order; every chunk read is checked. */
int cr_image_file_pread(struct cr_image_reader *r, size_t entry, uint64_t off, void *buf, size_t len,
			size_t *ret_got, struct cr_error *err);

/* Format 2.x, plain images: check the CRC of every chunk (no decompression,
 * a fraction of reading them), so that damage in a file nobody reads is
 * found too; with SKIP (else NULL), not the chunks of the entries for which
 * SKIP(CTX, entry) is true (read whole already, every chunk checked then).
 * Encrypted chunks are authenticated as they are read. */
int cr_image_check_frames(struct cr_image_reader *r, bool (*skip)(void *ctx, size_t entry), void *ctx,
			  struct cr_error *err);

void cr_image_reader_free(struct cr_image_reader *r);

static inline void cr_image_reader_freep(struct cr_image_reader **r)
{
	cr_image_reader_free(*r);
}
#define cleanup_image_reader __attribute__((cleanup(cr_image_reader_freep)))

#endif
