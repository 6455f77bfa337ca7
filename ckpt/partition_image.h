/* A partition's image: its spec in the manifest, CRIU's images under
 * "criu/" and, for a relocation, its file systems as "rootfs.tar". */
#ifndef CORRAL_CKPT_PARTITION_IMAGE_H
#define CORRAL_CKPT_PARTITION_IMAGE_H

#include <stdint.h>

#include "formats/image_writer.h"
#include "spec/config.h"
#include "util/error.h"

#define CR_IMAGE_ROOTFS_ENTRY "rootfs.tar"
#define CR_IMAGE_CRIU_DIR "criu"

/* Write CFG's image to OUT: CRIU_DIR's images when not NULL, ROOTFS_TAR when
 * not NULL; CRIU_VERSION (the dump's, "4.1.1", or NULL) goes in the manifest.
 * *RET_BYTES gets the image's size. */
int cr_partition_image_write(const struct cr_wpar_config *cfg, const char *criu_dir, const char *rootfs_tar,
			     const char *criu_version, const char *criu_needs, const struct cr_image_io *out, const struct cr_image_options *opts,
			     uint64_t *ret_bytes, struct cr_error *err);

#endif
