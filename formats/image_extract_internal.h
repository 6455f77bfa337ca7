/* The pieces of cr_image_extract_all (image_extract.c) that extracting a
 * streamed image as it arrives (image_stream_extract.c) shares. */
#ifndef CORRAL_FORMATS_IMAGE_EXTRACT_INTERNAL_H
#define CORRAL_FORMATS_IMAGE_EXTRACT_INTERNAL_H

#include "formats/image_reader.h"

/* Open the directory holding PATH's last component under ROOT, creating
 * missing parents (0755), never following a symlink. *RET_LEAF points into
 * PATH. */
int cr_extract_open_parent(int root, const char *path, const char **ret_leaf, struct cr_error *err);

/* Create entry E under ROOT: a directory (0700 until
 * cr_extract_finish_dirs), a symlink, or an empty FILE whose descriptor
 * *RET_FD gets. */
int cr_extract_entry(int root, const struct cr_image_entry *e, int *ret_fd, struct cr_error *err);

/* A FILE's bytes are written: give FD E's mode (no set-id bits) and mtime,
 * and close it. */
int cr_extract_entry_end(int fd, const struct cr_image_entry *e, struct cr_error *err);

/* Every directory of M gets its mode, deepest first. */
int cr_extract_finish_dirs(int root, const struct cr_image_manifest *m, struct cr_error *err);

/* A streamed image read from a stream (image_stream_extract.c): each file's
 * bytes go, as they come, into PENDING (a directory beside ROOT, on the same
 * file system) under its entry number; once the index names them they are
 * moved into ROOT. */
int cr_image_stream_extract_into(struct cr_image_reader *r, int root, const char *pending, struct cr_error *err);

#endif
