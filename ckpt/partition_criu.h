/* The CRIU options a partition is dumped and restored with: one place, so a
 * checkpoint and its restart always agree. */
#ifndef CORRAL_CKPT_PARTITION_CRIU_H
#define CORRAL_CKPT_PARTITION_CRIU_H

#include "ckpt/criu.h"
#include "partition/config.h"

/* Fill RET for CFG with images in IMAGES_DIR, CRIU's log as LOG_NAME there. */
void cr_partition_criu_common(const struct cr_wpar_config *cfg, const char *images_dir,
			      const char *log_name, struct cr_criu_common *ret);

/* Nanoseconds on the monotonic clock. */
int64_t cr_now_ns(void);

#endif
