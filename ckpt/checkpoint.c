/* chkptwpar: freeze, dump, write the image, then resume, end or pause. */
#define LOG_PREFIX "checkpoint: "
#include "ckpt/checkpoint.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "check/criu_features.h"
#include "ckpt/frozen.h"
#include "ckpt/partition_criu.h"
#include "formats/image_stream_writer.h"
#include "formats/image_writeback.h"
#include "spec/spec_file.h"
#include "net/net_ckpt.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"

#define LOCK_TIMEOUT_MS 10000
#define STREAM_LOOSE_MAX (256u << 20) /* CRIU's log and stats, kept beside its streamed images */

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
	int r = cr_partition_image_write(&f->w.config, f->images, NULL, f->criu_version[0] ? f->criu_version : NULL,
					 cr_criu_needs_of_dump(f->tmpfs_plain_tar), &io, &req->image, ret_bytes, err);
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

/* Streamed: the image file CRIU's files flow into during the dump. */
struct streamed {
	const struct cr_checkpoint_request *req;
	char *tmp;
	int fd;
	struct cr_image_writeback wb;
	struct cr_image_io io;
	struct cr_image_stream_writer *sw;
};

/* frozen.h's open_stream: the header and manifest are written now. */
static int open_stream(void *arg, const struct cr_frozen *f, struct cr_image_stream_writer **ret_sw,
		       struct cr_error *err)
{
	struct streamed *s = arg;
	cleanup_free char *spec = NULL;
	if (asprintf(&s->tmp, "%s.tmp.%d", s->req->output, (int)getpid()) < 0) {
		s->tmp = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0)
		return cr_error_errno(err, "cannot create the image %s", s->tmp);
	s->io = cr_image_io_fd_writeback(&s->wb, s->fd);
	int r = cr_spec_write(&f->w.config, &spec, err);
	struct cr_image_info info = {.partition = f->name, .spec_text = spec,
				     .criu_version = f->criu_version[0] ? f->criu_version : NULL,
				     .criu_needs = cr_criu_needs_of_dump(f->tmpfs_plain_tar)};
	if (r == 0)
		r = cr_image_stream_open(&s->io, &s->req->image, &info, &s->sw, err);
	if (r < 0)
		return cr_error_wrap(err, "writing the image %s", s->req->output);
	*ret_sw = s->sw;
	return 0;
}

/* What CRIU left in the work directory itself (its log, stats-dump) goes in
 * too, then the index; the image is made durable and takes its name. */
static int finish_stream(struct streamed *s, struct cr_frozen *f, uint64_t *ret_bytes, struct cr_error *err)
{
	int r = cr_frozen_stream_done(f, err);
	if (r < 0)
		return cr_error_wrap(err, "writing the image %s", s->req->output);
	cleanup_dir DIR *d = opendir(f->images);
	struct dirent *de;
	r = d ? 0 : cr_error_errno(err, "cannot read %s", f->images);
	while (r == 0 && (de = readdir(d))) {
		struct stat st;
		cleanup_free char *data = NULL, *path = NULL;
		size_t len = 0;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (asprintf(&path, "%s/%s", f->images, de->d_name) < 0 ||
		    asprintf(&data, "%s/%s", CR_IMAGE_CRIU_DIR, de->d_name) < 0) {
			r = cr_error_set(err, ENOMEM, "out of memory");
			break;
		}
		cleanup_free char *entry = steal_pointer(&data);
		if ((r = cr_read_file(path, STREAM_LOOSE_MAX, &data, &len, err)) == 0)
			r = cr_image_stream_add_buffer(s->sw, entry, data, len, st.st_mode, err);
	}
	if (r == 0)
		r = cr_image_stream_finish(s->sw, err);
	if (r == 0 && fsync(s->fd) < 0)
		r = cr_error_errno(err, "cannot write the image %s", s->tmp);
	if (r == 0 && rename(s->tmp, s->req->output) < 0)
		r = cr_error_errno(err, "cannot write the image %s", s->req->output);
	if (r < 0)
		return cr_error_wrap(err, "writing the image %s", s->req->output);
	*ret_bytes = cr_image_stream_bytes_written(s->sw);
	free(s->tmp); /* renamed: nothing to remove */
	s->tmp = NULL;
	return 0;
}

static void streamed_release(struct streamed *s)
{
	cr_image_stream_free(s->sw);
	if (s->fd >= 0)
		close(s->fd);
	if (s->tmp)
		unlink(s->tmp);
	free(s->tmp);
}

int cr_partition_checkpoint(const struct cr_checkpoint_request *req, struct cr_checkpoint_report *ret,
			    struct cr_error *err)
{
	struct streamed sd = {.req = req, .fd = -1};
	struct cr_freeze_request freq = {
		.name = req->name, .operation = "checkpoint", .force = req->force, .timeout_ms = req->timeout_ms,
		.log_copy = req->log_copy,
		/* Restored by this host's CRIU (cr_frozen_begin asks it): an image
		 * carried elsewhere records what its restore needs. */
		.restorers_tmpfs_tar = true};
	freq.open_stream = open_stream;
	freq.stream_arg = &sd;
	struct cr_frozen f;
	struct cr_checkpoint_report rep = {0};
	int r = cr_frozen_begin(&freq, &f, err);
	if (r < 0) {
		streamed_release(&sd);
		return r;
	}
	rep.freeze_ns = f.freeze_ns;
	rep.dump_ns = f.dump_ns;
	rep.criu_bytes = f.criu_bytes;
	/* A snapshot: the image is made from CRIU's files, not from the tree,
	 * so the partition goes on at once instead of waiting for the packing. */
	if (req->after == CR_AFTER_RESUME && (r = cr_frozen_resume(&f, &rep.frozen_ns, err)) < 0)
		goto out;
	int64_t t_pack = cr_now_ns();
	if ((r = sd.sw ? finish_stream(&sd, &f, &rep.image_bytes, err) : write_image(req, &f, &rep.image_bytes, err)) <
	    0) {
		cr_frozen_copy_log(&f, req->log_copy);
		cr_frozen_undo(&f, err);
		goto out;
	}
	rep.pack_ns = cr_now_ns() - t_pack;
	rep.criu_bytes = f.criu_bytes; /* final once streamed */
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
	streamed_release(&sd);
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
