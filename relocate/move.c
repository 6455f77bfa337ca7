/* movewpar, this host's half: pre-flight, freeze and dump, stream, hand-over. */
#define LOG_PREFIX "move: "
#include "relocate/move.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/criu_features.h"
#include "ckpt/frozen.h"
#include "util/scratch.h"
#include "nfs/nfs.h"
#include "ckpt/partition_criu.h"
#include "partition/lifecycle.h"
#include "partition/registry.h"
#include "partition/rootfs_archive.h"
#include "relocate/move_internal.h"
#include "relocate/preflight.h"
#include "transport/client.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/log.h"

#define CONNECT_TIMEOUT_MS 30000
#define COMMIT_TRIES 3
#define COMMIT_RETRY_MS 10000

void cr_move_report_free(struct cr_move_report *r)
{
	free(r->peer_host);
	free(r->ended);
	free(r->mode_why);
	free(r->warning);
	r->peer_host = r->ended = r->mode_why = r->warning = NULL;
}

void cr_move_progress_report(struct move *m, const char *phase)
{
	m->pr.phase = phase;
	m->pr.elapsed_ns = cr_now_ns() - m->t0;
	if (m->req->progress)
		m->req->progress(m->req->progress_ctx, &m->pr);
}

void cr_move_prep_end(struct move *m)
{
	cr_prep_prio_restore(&m->prep_prio);
}

void cr_move_prep_step(struct move *m)
{
	cr_prep_prio_yield(&m->prep_prio, cr_frozen_window_busy());
}

void cr_move_window_enter(struct move *m)
{
	cr_move_prep_end(m);
	cr_move_progress_report(m, "waiting");
	struct cr_error e = CR_ERROR_INIT;
	if (cr_frozen_window_enter(&m->window, CR_FROZEN_WINDOW_WAIT_MS, &e) > 0)
		cr_debug("%s freezes without this host's frozen window: %s", m->req->name, cr_error_msg(&e));
	m->rep->window_wait_ns = m->window.waited_ns;
	cr_error_clear(&e);
	cr_window_boost(&m->window_boost, 0);
}

void cr_move_window_leave(struct move *m)
{
	cr_nice_restore(&m->window_boost);
	cr_frozen_window_leave(&m->window);
}

void cr_move_on_packed(void *ctx, uint64_t in_done, uint64_t in_total, uint64_t out_bytes)
{
	struct move *m = ctx;
	m->pr.in_done = in_done;
	m->pr.in_total = in_total;
	m->pr.sent = out_bytes;
	/* Post-copy streams the state only: its pages follow ("pages"). */
	cr_move_progress_report(m, m->rep->mode == CR_MOVE_POST_COPY ? "state" : "streaming");
}

/* What the peer must have free: disk for the file systems unpacked and for
 * CRIU's images (at most the partition's memory), and memory for its pages. */
static void resources_needed(const struct cr_wpar_config *cfg, bool live, uint64_t *ret_fs, uint64_t *ret_disk,
			     uint64_t *ret_memory)
{
	uint64_t fs = 0, memory = 0;
	if (!cr_partition_nfs_root(cfg) && cfg->directory)
		fs = cr_scratch_tree_bytes(cfg->directory, UINT64_MAX / 2);
	struct cr_cgroup *cg = NULL;
	struct cr_cgroup_stats stats;
	if (live && cr_cgroup_open(cfg->name, &cg, NULL) == 0 && cr_cgroup_stats(cg, &stats, NULL) == 0 &&
	    stats.memory_bytes > 0)
		memory = (uint64_t)stats.memory_bytes;
	cr_cgroup_free(cg);
	*ret_fs = fs;
	*ret_disk = 2 * fs + memory; /* the archive and what it unpacks to */
	*ret_memory = memory;
}

static bool has_nfs(const struct cr_wpar_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cr_nfs_is_nfs(&cfg->mounts[i]))
			return true;
	return false;
}

int cr_move_connect(const struct cr_move_request *req, struct cr_peer **ret, struct cr_error *err)
{
	int r = cr_peer_connect(req->peer, req->timeout_ms > 0 ? req->timeout_ms : CONNECT_TIMEOUT_MS, ret, err);
	return r < 0 ? cr_error_wrap(err, "relocating %s", req->name) : 0;
}

/* Commit, once more on a fresh connection if the first one broke. */
int cr_move_commit(struct move *m, struct cr_peer **p, struct cr_error *err)
{
	if (cr_fault_injected(CR_FAULT_LOSE_COMMIT)) /* the Commit never arrives */
		return cr_error_set(err, ECONNRESET, "%s has ended here and waits Paused on %s, but the hand-over "
				    "was not confirmed (test fault lose-commit)", m->req->name, m->req->peer);
	int r = cr_peer_commit(*p, m->req->name, m->relocation, err);
	/* A link that is down a few seconds (the route gone: each try fails at
	 * once) does not lose the hand-over: tries go on for COMMIT_RETRY_MS. */
	int64_t until = cr_now_ns() + (int64_t)COMMIT_RETRY_MS * 1000000;
	for (int tries = 1; r < 0 && (tries < COMMIT_TRIES || cr_now_ns() < until); tries++) {
		cr_debug("relocation commit failed (%s), asking again", cr_error_msg(err));
		cr_error_clear(err);
		cr_peer_close(*p);
		*p = NULL;
		usleep(500 * 1000);
		if ((r = cr_move_connect(m->req, p, err)) == 0)
			r = cr_peer_commit(*p, m->req->name, m->relocation, err);
	}
	if (r < 0)
		return cr_error_wrap(err, "%s has ended here and waits Paused on %s, but the hand-over was not "
				     "confirmed: %s settles it on its own once its connection ends (else run resumewpar %s there)",
				     m->req->name, m->req->peer, m->req->peer, m->req->name);
	cr_departure_settled(&m->departure);
	return 0;
}

int cr_move_hand_over(struct move *m, struct cr_frozen *f, struct cr_error *err)
{
	cr_frozen_disarm(f);
	int r = cr_departure_decide(&m->departure, true, err);
	if (r < 0)
		return r;
	/* The copy there runs: the move has succeeded whatever happens here,
	 * but the user hears of a copy here that did not end. */
	struct cr_error e = CR_ERROR_INIT;
	if (cr_frozen_end(f, &e) < 0) {
		cr_partition_log(m->req->name, "handed over to %s, but ending the copy here failed: %s", m->req->peer,
				 cr_error_msg(&e));
		char host[HOST_NAME_MAX + 1] = "this host";
		(void)gethostname(host, sizeof(host));
		host[HOST_NAME_MAX] = '\0';
		free(m->rep->warning);
		if (asprintf(&m->rep->warning, "%s runs on %s now, but its old copy on %s was not ended (%s): check "
			     "that nothing of it is left there", m->req->name, m->req->peer, host, cr_error_msg(&e)) < 0)
			m->rep->warning = NULL;
	}
	cr_error_clear(&e);
	return 0;
}

/* After the commit the peer owns it: forget it here (its file systems too,
 * unless they are the NFS exports the peer now uses). */
void cr_move_forget_here(const struct cr_wpar_config *cfg)
{
	struct cr_remove_options rm = {.force = true, .preserve = cr_partition_nfs_root(cfg) != NULL};
	struct cr_error e = CR_ERROR_INIT;
	if (cr_partition_remove(cfg->name, &rm, &e) < 0)
		cr_debug("%s relocated, but removing it here failed: %s", cfg->name, cr_error_msg(&e));
	cr_error_clear(&e);
	/* An NFS root leaves its mount point, empty once unmounted: it would be
	 * in the way of a move back. */
	if (rm.preserve && cfg->directory)
		(void)rmdir(cfg->directory);
}

int cr_move_stream(struct move *m, struct cr_peer *p, const struct cr_wpar_config *cfg, const char *criu_dir,
		   const char *rootfs_tar, struct cr_error *err)
{
	int64_t t = cr_now_ns();
	int r = cr_peer_image_begin(p, m->req->name, m->rep->content_bytes, true, err);
	if (r < 0)
		return r;
	struct cr_image_io io = cr_peer_image_io(p);
	/* The connection is encrypted and authenticated: the image needs no
	 * second layer of it on the way. */
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN, .progress = cr_move_on_packed, .progress_ctx = m};
	uint64_t written = 0;
	if ((r = cr_partition_image_write(cfg, criu_dir, rootfs_tar, m->criu_version[0] ? m->criu_version : NULL,
					  cr_criu_needs_of_dump(m->tmpfs_plain_tar), &io,
					  &opts, &written, err)) < 0 ||
	    (r = cr_peer_image_end(p, &m->rep->sent_bytes, err)) < 0)
		return r;
	m->rep->stream_ns = cr_now_ns() - t;
	return 0;
}

uint64_t cr_move_file_size(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The file systems' archive, made in F's work directory once CRIU has
 * dumped (NFS roots stay where they are: *RET_TAR NULL). */
static int archive_fs(struct move *m, const struct cr_frozen *f, char **ret_tar, struct cr_error *err)
{
	m->rep->carried_fs = !cr_partition_nfs_root(&f->w.config);
	if (!m->rep->carried_fs)
		return 0;
	cr_move_progress_report(m, "archiving");
	cleanup_free char *tar = NULL;
	if (asprintf(&tar, "%s/%s", f->work, CR_IMAGE_ROOTFS_ENTRY) < 0) {
		tar = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	int64_t t = cr_now_ns();
	int r = cr_rootfs_archive_create(f->w.config.directory, tar, err);
	if (r < 0)
		return r;
	m->rep->archive_ns = cr_now_ns() - t;
	*ret_tar = steal_pointer(&tar);
	return 0;
}

static int move_live(struct move *m, struct cr_peer **p, const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const struct cr_move_request *req = m->req;
	/* CRIU's images stream to the peer while CRIU dumps (move_stream.c),
	 * unless this host's CRIU cannot stream: then they are staged and sent
	 * after the dump (format 1.0). */
	struct cr_move_streamed streamed = {.m = m, .p = p};
	/* CRIU keeps its own timeout: -t is the network's. */
	struct cr_freeze_request fr = {.name = req->name,
				       .operation = "relocation",
				       .force = req->force,
				       .work_extra = m->fs_bytes,
				       .open_stream = cr_move_stream_open,
				       .stream_arg = &streamed,
				       .restorers_tmpfs_tar = m->peer_tmpfs_tar};
	struct cr_frozen f;
	cleanup_free char *tar = NULL;
	bool restored_there = false;
	cr_move_window_enter(m);
	cr_move_progress_report(m, "freezing");
	int r = cr_frozen_begin(&fr, &f, err);
	if (r < 0)
		goto stream_broken;
	m->rep->ended = steal_pointer(&f.ended);
	memcpy(m->criu_version, f.criu_version, sizeof(m->criu_version));
	m->tmpfs_plain_tar = f.tmpfs_plain_tar;
	m->rep->freeze_ns = f.freeze_ns;
	m->rep->dump_ns = f.dump_ns;
	/* Streamed, CRIU's last bytes go into the image meanwhile. */
	if ((r = archive_fs(m, &f, &tar, err)) < 0 || (r = cr_frozen_stream_done(&f, err)) < 0)
		goto undo;
	m->rep->content_bytes = f.criu_bytes + cr_move_file_size(tar);
	if (f.stream) {
		m->rep->streamed = true;
		if ((r = cr_move_stream_finish(&streamed, tar, err)) < 0)
			goto undo;
	} else {
		/* A long dump may outlast the peer's idle timeout: a fresh
		 * connection (a few milliseconds) carries the image. */
		cr_peer_close(*p);
		*p = NULL;
		if ((r = cr_move_connect(req, p, err)) < 0 ||
		    (r = cr_move_stream(m, *p, &f.w.config, f.images, tar, err)) < 0)
			goto undo;
	}
	cr_move_window_leave(m); /* this host's share is done: the restore is the peer's */
	cr_move_progress_report(m, "restoring");
	int64_t t = cr_now_ns();
	if ((r = cr_peer_restore(*p, req->name, false, m->nfs_mark, m->relocation, err)) < 0)
		goto undo;
	restored_there = true;
	m->rep->restore_ns = cr_now_ns() - t;
	if (req->commit_gate && (r = req->commit_gate(req->commit_gate_ctx, req->name, req->peer, err)) < 0)
		goto undo;

	/* The hand-over: the copy here ends, then the one there resumes. */
	cr_move_progress_report(m, "handing over");
	t = cr_now_ns();
	if ((r = cr_move_hand_over(m, &f, err)) < 0)
		goto undo;
	/* Forgotten here before the Commit: should the Commit be lost, the peer
	 * asks this host's corrald and finds it gone (transport/server_relocate.c). */
	cr_move_forget_here(cfg);
	r = cr_move_commit(m, p, err);
	if (r == 0) {
		m->rep->handover_ns = cr_now_ns() - t;
		m->rep->downtime_ns = cr_now_ns() - f.t_freeze;
	}
	cr_frozen_release(&f);
	cr_move_stream_release(&streamed);
	return r;
undo:
	/* An image cut off in the middle: only closing the connection ends it
	 * (the peer then drops what it unpacked). */
	if (streamed.begun) {
		cr_peer_close(*p);
		*p = NULL;
	}
	if (*p) {
		struct cr_error e = CR_ERROR_INIT;
		if (cr_peer_abort(*p, req->name, &e) < 0 && restored_there)
			cr_partition_log(req->name, "relocation abort not confirmed by %s: %s", req->peer,
					 cr_error_msg(&e));
		cr_error_clear(&e);
	}
	cr_frozen_undo(&f, err);
	cr_frozen_release(&f);
	cr_move_stream_release(&streamed);
	return cr_error_wrap(err, "relocation of %s to %s failed, it goes on here", req->name, req->peer);
stream_broken:
	/* cr_frozen_begin has undone its part. */
	cr_move_stream_release(&streamed);
	if (!streamed.begun)
		return r;
	cr_peer_close(*p);
	*p = NULL;
	return cr_error_wrap(err, "relocation of %s to %s failed, it goes on here", req->name, req->peer);
}

/* 128 random bits in hex: no two relocations share an id. */
static int relocation_id_new(char out[CR_RELOCATION_ID_LEN + 1], struct cr_error *err)
{
	unsigned char rnd[CR_RELOCATION_ID_LEN / 2];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return cr_error_errno(err, "cannot draw a relocation id");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

int cr_partition_move(const struct cr_move_request *req, struct cr_move_report *rep, struct cr_error *err)
{
	memset(rep, 0, sizeof(*rep));
	struct move m = {.req = req, .rep = rep, .t0 = cr_now_ns(), .window = {.fd = -1},
			 .prep_prio = CR_PREP_PRIO_INIT, .departure = CR_DEPARTURE_INIT};
	struct cr_wpar w;
	int r = relocation_id_new(m.relocation, err);
	if (r < 0)
		return r;
	if ((r = cr_registry_load(req->name, &w, err)) < 0)
		return r;
	cleanup_peer struct cr_peer *p = NULL;
	bool live = !req->static_move;
	if (live && !w.config.checkpointable) {
		r = cr_error_set(err, EPERM, "%s is not checkpointable: create it with mkwpar -c, or move it with --static",
				 req->name);
		goto out;
	}
	if (!live && req->mode == CR_MOVE_POST_COPY) {
		r = cr_error_set(err, EINVAL, "--mode post-copy moves a running partition: --static moves a stopped one");
		goto out;
	}
	if (w.config.type != CR_TYPE_SYSTEM) {
		r = cr_error_set(err, EOPNOTSUPP, "%s is an application partition: only system partitions relocate",
				 req->name);
		goto out;
	}
	if (live && w.state.state != CR_STATE_ACTIVE) {
		r = cr_error_set(err, EINVAL, "%s is %s: only an Active partition relocates live (--static moves it stopped)",
				 req->name, cr_state_name(w.state.state));
		goto out;
	}
	cr_move_progress_report(&m, "pre-flight");
	cr_move_prep_step(&m); /* until the frozen window: it yields to another move's */
	if ((r = cr_move_connect(req, &p, err)) < 0)
		goto out;
	const struct cr_peer_info *hello = cr_peer_hello(p);
	rep->peer_host = hello->hostname ? strdup(hello->hostname) : NULL;
	/* A peer whose Hello does not list it (an older Corral, a CRIU without
	 * 0009) gets CRIU's tar.gz, which every CRIU restores. */
	m.peer_tmpfs_tar = cr_peer_info_has_criu(hello, CR_CRIU_FEATURE_TMPFS_TAR);
	rep->tmpfs_plain_tar = m.peer_tmpfs_tar && cr_host_criu_tmpfs_plain_tar();
	m.peer_lazy_any_order = cr_peer_info_has_criu(hello, CR_CRIU_FEATURE_LAZY_ANY_ORDER);
	rep->faults_first = m.peer_lazy_any_order;
	uint64_t disk = 0, memory = 0;
	resources_needed(&w.config, live, &m.fs_bytes, &disk, &memory);
	/* NFS file systems do not travel: the peer must see the very same ones. */
	if (has_nfs(&w.config) && (r = cr_nfs_mark_write(&w.config, &m.nfs_mark, err)) < 0)
		goto out;
	m.memory_bytes = memory;
	if ((r = cr_relocate_preflight(p, &w.config, live, disk, memory, m.nfs_mark, err)) < 0)
		goto out;
	if (live && (r = cr_move_choose_mode(&m, p, err)) < 0)
		goto out;
	if (req->dry_run)
		goto out;
	/* Recorded before the peer hears of it: asked later, this host can
	 * always say what it decided. */
	if ((r = cr_departure_begin(req->name, m.relocation, req->peer, &m.departure, err)) < 0)
		goto out;
	if (!live)
		r = cr_move_static(&m, &p, &w, err);
	else if (rep->mode == CR_MOVE_POST_COPY)
		r = cr_move_postcopy(&m, &p, &w.config, err);
	else
		r = move_live(&m, &p, &w.config, err);
out:
	cr_departure_release(&m.departure); /* undecided: aborted, it runs here again by now */
	cr_move_window_leave(&m); /* a failed move runs here again by now */
	cr_move_prep_end(&m);
	if (m.nfs_mark) {
		(void)cr_nfs_mark_remove(&w.config, NULL);
		free(m.nfs_mark);
	}
	rep->total_ns = cr_now_ns() - m.t0;
	cr_wpar_free(&w);
	return r;
}
