/* movewpar --static: stop here, carry the file systems and the definition,
 * start there. On any failure before the peer took it, it starts here again. */
#define LOG_PREFIX "move: "
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/partition_criu.h"
#include "ckpt/partition_image.h"
#include "partition/lifecycle.h"
#include "partition/rootfs_archive.h"
#include "relocate/move_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/workdir.h"

#define STOP_GRACE_S 60

/* The work directory of the archive (util/workdir.h): in the partition's
 * state directory (the archive's size is not known before it is made),
 * named for this process. */
static int make_work(const char *name, char **ret_work, char **ret_tar, struct cr_error *err)
{
	cleanup_free char *dir = NULL, *owner = NULL;
	int r = cr_state_dir(name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(&owner, "%s-move", name) < 0) {
		owner = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	struct cr_workdir_request wr = {.owner = owner, .owned_by = CR_WORKDIR_PROCESS, .fallback = dir, .disk_only = true};
	struct cr_workdir w;
	if ((r = cr_workdir_make(&wr, &w, err)) < 0)
		return r;
	*ret_work = w.path;
	if (asprintf(ret_tar, "%s/%s", *ret_work, CR_IMAGE_ROOTFS_ENTRY) < 0) {
		*ret_tar = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int cr_move_static(struct move *m, struct cr_peer **p, const struct cr_wpar *w, struct cr_error *err)
{
	const struct cr_move_request *req = m->req;
	const struct cr_wpar_config *cfg = &w->config;
	cleanup_free char *work = NULL, *tar = NULL;
	bool was_active = w->state.state == CR_STATE_ACTIVE;
	if (was_active)
		cr_move_window_enter(m);
	int64_t t_stop = cr_now_ns();
	int r = make_work(req->name, &work, &tar, err);
	if (r < 0)
		goto out;
	if (was_active) {
		cr_move_progress_report(m, "stopping");
		struct cr_stop_options stop = {.force = false, .timeout_s = STOP_GRACE_S};
		if ((r = cr_partition_stop(req->name, &stop, err)) < 0)
			goto out;
	}
	m->rep->carried_fs = !cr_partition_nfs_root(cfg);
	if (m->rep->carried_fs) {
		cr_move_progress_report(m, "archiving");
		if ((r = cr_rootfs_archive_create(cfg->directory, tar, err)) < 0)
			goto undo;
	}
	m->rep->content_bytes = m->rep->carried_fs ? cr_move_file_size(tar) : 0;
	if ((r = cr_move_stream(m, *p, cfg, NULL, m->rep->carried_fs ? tar : NULL, err)) < 0)
		goto undo;
	cr_move_progress_report(m, "starting");
	int64_t t = cr_now_ns();
	if ((r = cr_peer_restore(*p, req->name, true, m->nfs_mark, m->relocation, err)) < 0)
		goto undo;
	m->rep->restore_ns = cr_now_ns() - t;
	if (req->commit_gate && (r = req->commit_gate(req->commit_gate_ctx, req->name, req->peer, err)) < 0)
		goto undo;
	cr_move_progress_report(m, "handing over");
	if ((r = cr_departure_decide(&m->departure, true, err)) < 0)
		goto undo;
	cr_move_forget_here(cfg);
	r = cr_move_commit(m, p, err);
	cr_move_window_leave(m);
	if (r < 0)
		goto out;
	m->rep->downtime_ns = was_active ? cr_now_ns() - t_stop : 0;
	goto out;
undo:
	if (*p) {
		struct cr_error e = CR_ERROR_INIT;
		(void)cr_peer_abort(*p, req->name, &e);
		cr_error_clear(&e);
	}
	bool restarted = !was_active;
	cr_nice_restore(&m->window_boost); /* the partition started here must not inherit it */
	if (was_active && req->self_exe) {
		struct cr_error e = CR_ERROR_INIT;
		restarted = cr_partition_start(req->name, req->self_exe, &e) == 0;
		if (!restarted)
			cr_partition_log(req->name, "static move failed, and starting it here again failed: %s",
					 cr_error_msg(&e));
		cr_error_clear(&e);
	}
	cr_error_wrap(err, "static move of %s to %s failed, %s", req->name, req->peer,
		      restarted ? "it stays here" : "it stays here but did not start again (see its log)");
out:
	if (work)
		cr_rm_rf(work, NULL);
	return r;
}
