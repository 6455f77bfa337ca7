/* chkptwpar: freeze, dump, write the image, then resume, end or pause. */
#define LOG_PREFIX "checkpoint: "
#include "ckpt/checkpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/criu.h"
#include "ckpt/guardian.h"
#include "ckpt/outsiders.h"
#include "ckpt/partition_criu.h"
#include "formats/spec.h"
#include "partition/cgroup.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/log.h"

#define LOCK_TIMEOUT_MS 10000
#define FREEZE_TIMEOUT_MS 10000
#define DUMP_LOG "dump.log"

void cr_checkpoint_report_free(struct cr_checkpoint_report *r)
{
	free(r->ended);
	r->ended = NULL;
}

/* The partition must be checkpointable, Active, and hold nothing from outside
 * (unless -F, which ends those processes and says which). */
static int check_ready(const struct cr_checkpoint_request *req, struct cr_wpar *w, struct cr_cgroup *cg,
		       struct cr_checkpoint_report *rep, struct cr_error *err)
{
	if (!w->config.checkpointable)
		return cr_error_set(err, EPERM, "%s is not checkpointable: create it with mkwpar -c (or chwpar -c while stopped)",
				    req->name);
	if (w->config.type != CR_TYPE_SYSTEM)
		return cr_error_set(err, EOPNOTSUPP,
				    "%s is an application partition: their checkpoint is not available in this build",
				    req->name);
	if (w->state.state != CR_STATE_ACTIVE)
		return cr_error_set(err, EINVAL, "%s is %s: only an Active partition can be checkpointed", req->name,
				    cr_state_name(w->state.state));
	struct cr_outsider *out = NULL;
	size_t n = 0;
	int r = cr_outsiders_find(req->name, w->state.init_pid, cg, &out, &n, err);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	cleanup_free char *list = cr_outsiders_describe(out, n);
	if (!req->force) {
		r = cr_error_set(err, EBUSY,
				 "%s has processes that will not survive a checkpoint: %s; end them or use -F",
				 req->name, list ? list : "(out of memory)");
	} else {
		r = cr_outsiders_end(out, n, err);
		if (r == 0) {
			cr_partition_log(req->name, "checkpoint -F ended: %s", list ? list : "?");
			rep->ended = steal_pointer(&list);
		}
	}
	cr_outsiders_free(out, n);
	return r;
}

static int64_t tree_bytes(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	int64_t total = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += st.st_size;
	}
	return total;
}

/* Write the image to OUTPUT atomically: a temporary file beside it, fsync, rename. */
static int write_image(const struct cr_checkpoint_request *req, const struct cr_wpar_config *cfg,
		       const char *images_dir, uint64_t *ret_bytes, struct cr_error *err)
{
	cleanup_free char *spec = NULL;
	cleanup_free char *tmp = NULL;
	char criu_version[32] = "";
	int version;
	struct cr_error ignored = CR_ERROR_INIT;
	if (cr_criu_get_version(&version, &ignored) == 0)
		snprintf(criu_version, sizeof(criu_version), "%d.%d.%d", version / 10000, version / 100 % 100,
			 version % 100);
	cr_error_clear(&ignored);
	int r = cr_spec_write(cfg, &spec, err);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s.tmp.%d", req->output, (int)getpid()) < 0)
		return cr_error_set(err, ENOMEM, "out of memory");
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_error_errno(err, "cannot create the image %s", tmp);
	struct cr_image_io io = cr_image_io_fd(fd);
	struct cr_image_info info = {
		.partition = cfg->name,
		.spec_text = spec,
		.criu_version = criu_version[0] ? criu_version : NULL,
	};
	cleanup_image_writer struct cr_image_writer *w = NULL;
	if ((r = cr_image_writer_open(&io, &req->image, &info, &w, err)) < 0 ||
	    (r = cr_image_writer_add_dir_tree(w, "criu", images_dir, err)) < 0 ||
	    (r = cr_image_writer_finish(w, err)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = cr_error_errno(err, "cannot write the image %s", tmp);
		goto fail;
	}
	if (rename(tmp, req->output) < 0) {
		r = cr_error_errno(err, "cannot write the image %s", req->output);
		goto fail;
	}
	*ret_bytes = cr_image_writer_bytes_written(w);
	return 0;
fail:
	unlink(tmp);
	return cr_error_wrap(err, "writing the image %s", req->output);
}

static void copy_log(const char *images_dir, const char *dest)
{
	cleanup_free char *src = NULL;
	cleanup_free char *data = NULL;
	size_t len;
	if (!dest || asprintf(&src, "%s/%s", images_dir, DUMP_LOG) < 0)
		return;
	if (cr_read_file(src, 256 << 20, &data, &len, NULL) == 0)
		cr_write_file_atomic(dest, data, len, 0600, NULL);
}

/* Dump into a fresh work directory. The tree stays frozen afterwards. */
static int dump(const struct cr_checkpoint_request *req, const struct cr_wpar *w, struct cr_cgroup *cg,
		const char *images_dir, struct cr_error *err)
{
	struct cr_criu_dump_opts o = {.pid = w->state.init_pid, .leave_running = true};
	cr_partition_criu_common(&w->config, images_dir, DUMP_LOG, &o.common);
	o.common.timeout_ms = req->timeout_ms;
	o.freeze_cgroup = cr_cgroup_dir(cg, CR_CG_FREEZER);
	return cr_criu_dump(&o, err);
}

int cr_partition_checkpoint(const struct cr_checkpoint_request *req, struct cr_checkpoint_report *ret,
			    struct cr_error *err)
{
	cleanup_close int lock = -1;
	cleanup_free char *dir = NULL;
	cleanup_free char *work = NULL;
	cleanup_free char *images = NULL;
	cleanup_free char *log_path = NULL;
	struct cr_cgroup *cg = NULL;
	struct cr_guardian guardian = {0};
	struct cr_checkpoint_report rep = {0};
	bool frozen = false;
	int64_t t0 = 0, t_frozen = 0;
	struct cr_wpar w;
	int r = cr_registry_lock_load(req->name, LOCK_TIMEOUT_MS, &lock, &w, err);
	if (r < 0)
		return r;
	if ((r = cr_cgroup_open(req->name, &cg, err)) < 0 && w.state.state == CR_STATE_ACTIVE)
		goto out;
	if ((r = check_ready(req, &w, cg, &rep, err)) < 0)
		goto out;
	if ((r = cr_state_dir(req->name, &dir, err)) < 0)
		goto out;
	if (asprintf(&work, "%s/checkpoint.XXXXXX", dir) < 0 || !mkdtemp(work) ||
	    asprintf(&images, "%s/criu", work) < 0 || mkdir(images, 0700) < 0 ||
	    asprintf(&log_path, "%s/%s", images, DUMP_LOG) < 0) {
		r = cr_error_errno(err, "cannot make a work directory in %s", dir);
		goto out;
	}
	if ((r = cr_guardian_start(req->name, w.state.init_pid, log_path, &guardian, err)) < 0)
		goto out;

	/* A -> F: the cgroup freezer stops every task at once. */
	cr_partition_log(req->name, "checkpoint to %s: freezing", req->output);
	if ((r = cr_state_transition(req->name, &w.state, CR_STATE_FROZEN, "checkpoint", err)) < 0)
		goto undo;
	t0 = cr_now_ns();
	if ((r = cr_cgroup_freeze(cg, FREEZE_TIMEOUT_MS, err)) < 0)
		goto undo;
	frozen = true;
	t_frozen = cr_now_ns();
	rep.freeze_ns = t_frozen - t0;

	/* F -> P: CRIU dumps the tree, which stays frozen. */
	if ((r = dump(req, &w, cg, images, err)) < 0)
		goto undo;
	rep.dump_ns = cr_now_ns() - t_frozen;
	if ((r = cr_state_transition(req->name, &w.state, CR_STATE_PAUSED, "checkpoint", err)) < 0)
		goto undo;
	rep.criu_bytes = (uint64_t)tree_bytes(images);
	int64_t t_pack = cr_now_ns();
	if ((r = write_image(req, &w.config, images, &rep.image_bytes, err)) < 0)
		goto undo;
	rep.pack_ns = cr_now_ns() - t_pack;
	copy_log(images, req->log_copy);

	/* The image is safe: now resume, pause or end the partition. */
	if (req->after == CR_AFTER_PAUSE) {
		cr_partition_log(req->name, "checkpointed; left Paused");
	} else if (req->after == CR_AFTER_RESUME) {
		if ((r = cr_cgroup_thaw(cg, err)) < 0)
			goto undo;
		rep.frozen_ns = cr_now_ns() - t0;
		if ((r = cr_state_transition(req->name, &w.state, CR_STATE_ACTIVE, "none", err)) < 0)
			goto out;
		cr_partition_log(req->name, "checkpointed and resumed (frozen %lld ms)",
				 (long long)(rep.frozen_ns / 1000000));
	} else {
		cr_partition_log(req->name, "checkpointed; ending the partition (-k)");
		close(cr_steal_fd(&lock));
		cr_guardian_release(&guardian);
		struct cr_stop_options stop = {.force = true, .timeout_s = 0};
		if ((r = cr_partition_stop(req->name, &stop, err)) < 0)
			goto out;
	}
	r = 0;
	goto out;
undo:
	/* Nothing is lost: thaw, and the partition goes on as it was. */
	copy_log(images ? images : "", req->log_copy);
	if (frozen || cg) {
		struct cr_error ignored = CR_ERROR_INIT;
		cr_cgroup_thaw(cg, &ignored);
		cr_error_clear(&ignored);
	}
	if (w.state.state != CR_STATE_ACTIVE)
		cr_state_transition(req->name, &w.state, CR_STATE_ACTIVE, "none", NULL);
	cr_partition_log(req->name, "checkpoint failed, partition left Active: %s", cr_error_msg(err));
out:
	cr_guardian_release(&guardian);
	if (work)
		cr_rm_rf(work, NULL);
	cr_cgroup_free(cg);
	cr_wpar_free(&w);
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
	r = cr_state_transition(name, &w.state, CR_STATE_ACTIVE, "none", err);
	cr_partition_log(name, "resumed");
out:
	cr_cgroup_free(cg);
	cr_wpar_free(&w);
	return r;
}
