/* Writing a checkpoint image to any stream (file, pipe, socket) without
 * seeking. Collect the entries, then cr_image_writer_finish() writes header,
 * manifest (listing every entry), the data in LZ4 blocks compressed on every
 * core, and the trailer. On error the stream is incomplete: a reader reports
 * it truncated; delete a partly written file. */
#ifndef CORRAL_FORMATS_IMAGE_WRITER_H
#define CORRAL_FORMATS_IMAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "formats/image_format.h"
#include "formats/image_io.h"
#include "util/error.h"

struct cr_image_options {
	enum cr_image_protection protection;
	const char *key_file;        /* CR_IMAGE_KEYFILE: shared key file */
	const uint8_t *recipient_pk; /* CR_IMAGE_SEALED: 32-byte X25519 public key */
	unsigned workers;            /* compression threads; 0: one per online CPU */
	/* Called by finish after each block is written: file bytes packed so far
	 * and in all, and image bytes written so far. */
	void (*progress)(void *ctx, uint64_t in_done, uint64_t in_total, uint64_t out_bytes);
	void *progress_ctx;
};

/* Manifest facts from the caller. NULL strings are left out, except the host
 * facts: NULL hostname/kernel/arch/cpu_features are probed on this host
 * ("" for cpu_features means none). Times 0: created = now, checkpoint unset. */
struct cr_image_info {
	const char *partition;
	const char *spec_text;
	const char *criu_version;
	const char *hostname, *kernel, *arch;
	const char *cpu_features; /* space-separated */
	const char *criu_needs;   /* space-separated CRIU features its restore needs, or NULL */
	int64_t created_ns, checkpoint_ns;
};

struct cr_image_writer;

/* Prepare a writer to OUT (an fd, see cr_image_io_fd, or callbacks); checks
 * the keys at once. Nothing is written before cr_image_writer_finish. */
int cr_image_writer_open(const struct cr_image_io *out, const struct cr_image_options *opts,
			 const struct cr_image_info *info, struct cr_image_writer **ret_writer,
			 struct cr_error *err);

/* Add the regular file SRC_PATH as IMAGE_PATH (its mode, size and mtime are
 * taken now; it must not change before finish). */
int cr_image_writer_add_file(struct cr_image_writer *w, const char *image_path,
			     const char *src_path, struct cr_error *err);

/* Same from an open regular file FD (duplicated; read with pread from 0). */
int cr_image_writer_add_fd(struct cr_image_writer *w, const char *image_path, int fd,
			   struct cr_error *err);

/* Add LEN bytes of DATA (copied) as a file, e.g. a partition's state. */
int cr_image_writer_add_buffer(struct cr_image_writer *w, const char *image_path,
			       const void *data, size_t len, mode_t mode, struct cr_error *err);

/* Add a directory entry (parents of files are otherwise implied). */
int cr_image_writer_add_dir(struct cr_image_writer *w, const char *image_path, mode_t mode,
			    struct cr_error *err);

/* Add a symlink entry; TARGET must stay inside the image (relative, and no
 * ".." climbing above the root). */
int cr_image_writer_add_symlink(struct cr_image_writer *w, const char *image_path,
				const char *target, struct cr_error *err);

/* Add DIRPATH recursively (files, directories, symlinks that stay inside)
 * under PREFIX ("" or NULL: at the image root), in sorted order. */
int cr_image_writer_add_dir_tree(struct cr_image_writer *w, const char *prefix,
				 const char *dirpath, struct cr_error *err);

/* Write the whole image. Call once. */
int cr_image_writer_finish(struct cr_image_writer *w, struct cr_error *err);

/* Bytes written by finish so far. */
uint64_t cr_image_writer_bytes_written(const struct cr_image_writer *w);

void cr_image_writer_free(struct cr_image_writer *w);

static inline void cr_image_writer_freep(struct cr_image_writer **w)
{
	cr_image_writer_free(*w);
}
#define cleanup_image_writer __attribute__((cleanup(cr_image_writer_freep)))

#endif
