/* The CRIU options a partition is dumped and restored with: one place, so a
 * checkpoint and its restart always agree. */
#ifndef CORRAL_CKPT_PARTITION_CRIU_H
#define CORRAL_CKPT_PARTITION_CRIU_H

#include "criu/criu.h"
#include "spec/config.h"

/* A file a partition unlinked while it keeps it open goes into the image up
 * to this size (CRIU's own limit is 1 MiB: a log file or a temporary file
 * deleted after opening would make the checkpoint fail). */
#define CR_GHOST_LIMIT (256u << 20)

/* Fill RET for CFG with images in IMAGES_DIR, CRIU's log as LOG_NAME there. */
void cr_partition_criu_common(const struct cr_wpar_config *cfg, const char *images_dir,
			      const char *log_name, struct cr_criu_common *ret);

#endif
