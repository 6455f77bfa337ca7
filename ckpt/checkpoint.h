/* Checkpoint of a partition (chkptwpar) and the end of a pause (resumewpar).
 *
 * A -> F (frozen through the cgroup freezer) -> P (dumped by CRIU, still
 * frozen) -> the image is written -> then A again (a snapshot), D (-k) or P
 * (-p). The partition is only ended once its image is safely on disk, and
 * any failure thaws it and leaves it Active. A guardian process does the same
 * if chkptwpar itself is killed midway. */
#ifndef CORRAL_CKPT_CHECKPOINT_H
#define CORRAL_CKPT_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/image_writer.h"
#include "util/error.h"

enum cr_after_checkpoint {
	CR_AFTER_RESUME, /* default: the partition goes on */
	CR_AFTER_KILL,   /* -k: end it once the image is written */
	CR_AFTER_PAUSE,  /* -p: leave it Paused (resumewpar, stopwpar) */
};

struct cr_checkpoint_request {
	const char *name;
	enum cr_after_checkpoint after;
	bool force;           /* -F: end clogin sessions and other outsiders first */
	const char *output;   /* the image file to write */
	const char *log_copy; /* -l: where to keep CRIU's log, or NULL */
	struct cr_image_options image;
	int timeout_ms;       /* of the CRIU dump; 0: the default */
};

struct cr_checkpoint_report {
	int64_t freeze_ns;   /* to freeze the cgroup */
	int64_t dump_ns;     /* CRIU dump */
	int64_t pack_ns;     /* writing the image */
	int64_t frozen_ns;   /* the partition did not run (freeze to thaw) */
	uint64_t image_bytes;
	uint64_t criu_bytes; /* CRIU's images before compression */
	char *ended;         /* processes ended by -F ("pid 12 (clogin of root)"), or NULL */
};

void cr_checkpoint_report_free(struct cr_checkpoint_report *r);

int cr_partition_checkpoint(const struct cr_checkpoint_request *req, struct cr_checkpoint_report *ret,
			    struct cr_error *err);

/* resumewpar: P -> A. */
int cr_partition_resume(const char *name, struct cr_error *err);

#endif
