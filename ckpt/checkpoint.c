/* chkptwpar: freeze, dump, write the image, then resume, end or pause. */
#define LOG_PREFIX "checkpoint: "
#include "ckpt/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "ckpt/frozen.h"
#include "ckpt/partition_criu.h"
#include "formats/image_writeback.h"
#include "net/net_ckpt.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define LOCK_TIMEOUT_MS 10000

void cr_checkpoint_report_free(struct cr_checkpoint_report *r)
{
	free(r->ended);
	r->ended = NULL;
}

/* Write the image to OUTPUT atomically: a temporary file beside it, fsync, rename.
 * The disk writes the image back while it is packed (formats/image_writeback.h):
 * the fsync that must come before the partition resumes or ends then waits
 * for the last few MiB, not for all of it. */
static int write_image(const struct cr_checkpoint_request *req, struct cr_frozen *f, uint64_t *ret_bytes,
		       struct cr_error *err)
{
	cleanup_free char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp.%d", req->output, (int)getpid()) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot create the image %s", tmp);
	struct cr_image_writeback wb;
	struct cr_image_io io = cr_image_io_fd_writeback(&wb, fd);
	int r = cr_partition_image_write(&f->w.config, f->images, NULL, f->criu_version[0] ? f->criu_version : NULL, &io, &req->image, ret_bytes,
					 err);
	if (r == 0 && fsync(fd) < 0)
		r = cr_error_errno(err, "cannot write the image %s", tmp);
	if (r == 0 && rename(tmp, req->output) < 0)
		r = cr_error_errno(err, "cannot write the image %s", req->output);
	if (r < 0) {
		unlink(tmp);
		return cr_error_wrap(err, "writing the image %s", req->output);
	}
	return 0;
}

int cr_partition_checkpoint(const struct cr_checkpoint_request *req, struct cr_checkpoint_report *ret,
			    struct cr_error *err)
{
	struct cr_freeze_request freq = {
		.name = req->name, .operation = "checkpoint", .force = req->force, .timeout_ms = req->timeout_ms,
		.log_copy = req->log_copy};
	struct cr_frozen f;
	struct cr_checkpoint_report rep = {0};
	int r = cr_frozen_begin(&freq, &f, err);
	if (r < 0)
		return r;
	rep.freeze_ns = f.freeze_ns;
	rep.dump_ns = f.dump_ns;
	rep.criu_bytes = f.criu_bytes;
	/* A snapshot: the image is made from CRIU's files, not from the tree,
	 * so the partition goes on at once instead of waiting for the packing. */
	if (req->after == CR_AFTER_RESUME && (r = cr_frozen_resume(&f, &rep.frozen_ns, err)) < 0)
		goto out;
	int64_t t_pack = cr_now_ns();
	if ((r = write_image(req, &f, &rep.image_bytes, err)) < 0) {
		cr_frozen_copy_log(&f, req->log_copy);
		cr_frozen_undo(&f, err);
		goto out;
	}
	rep.pack_ns = cr_now_ns() - t_pack;
	cr_frozen_copy_log(&f, req->log_copy);

	/* The image is safe: now pause or end the partition (or it goes on). */
	if (req->after == CR_AFTER_PAUSE) {
		cr_frozen_keep(&f);
		cr_partition_log(req->name, "checkpointed; left Paused");
	} else if (req->after == CR_AFTER_RESUME) {
		cr_partition_log(req->name, "checkpointed (frozen %lld ms)", (long long)(rep.frozen_ns / 1000000));
	} else {
		cr_partition_log(req->name, "checkpointed; ending the partition (-k)");
		r = cr_frozen_end(&f, err);
	}
out:
	rep.ended = steal_pointer(&f.ended);
	cr_frozen_release(&f);
	if (r == 0)
		*ret = rep;
	else
		cr_checkpoint_report_free(&rep);
	return r;
}

int cr_partition_resume(const char *name, struct cr_error *err)
{
	cleanup_close int lock = -1;
	struct cr_wpar w;
	int r = cr_registry_lock_load(name, LOCK_TIMEOUT_MS, &lock, &w, err);
	if (r < 0)
		return r;
	struct cr_cgroup *cg = NULL;
	if (w.state.state != CR_STATE_PAUSED) {
		r = cr_error_set(err, EINVAL, "%s is %s: only a Paused partition can be resumed", name,
				 cr_state_name(w.state.state));
		goto out;
	}
	if ((r = cr_cgroup_open(name, &cg, err)) < 0 || (r = cr_cgroup_thaw(cg, err)) < 0)
		goto out;
	(void)cr_net_resumed(&w.config, w.state.init_pid, NULL); /* unlock, announce */
	r = cr_state_transition(name, &w.state, CR_STATE_ACTIVE, "none", err);
	cr_partition_log(name, "resumed");
out:
	cr_cgroup_free(cg);
	cr_wpar_free(&w);
	return r;
}
