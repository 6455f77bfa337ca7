/* movewpar, post-copy: freeze, dump everything but the memory contents,
 * stream that, restore there with the memory registered for page faults and
 * resume there, while the pages are served from the frozen copy here (on
 * demand and pushed in the background) through a second corrald connection
 * until the last one arrived; then the copy here ends and the hand-over
 * commits.
 *
 * The dump (cr_frozen_begin with a lazy page socket) runs in this thread (its
 * guardian watches the thread that started it) and returns only once every
 * page was served. Its worker says when the images are complete; a mover
 * thread then streams them, starts the page relay (a third thread: the
 * restore there already faults pages in) and has the peer restore and
 * resume. Until the peer has every page the frozen copy here stays whole:
 * should anything fail, the peer's copy is ended first (its answer says so;
 * without an answer the mover waits out the peer's idle timeout, after which
 * the peer ends it on its own), then the page socket is shut, the dump fails
 * and the partition thaws here. */
#define LOG_PREFIX "move: "
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "criu/criu.h"
#include "ckpt/frozen.h"
#include "ckpt/partition_criu.h"
#include "util/scratch.h"
#include "partition/lifecycle.h"
#include "partition/rootfs_archive.h"
#include "relocate/move_internal.h"
#include "spec/spec_file.h"
#include "transport/client_lazy.h"
#include "transport/page_resume.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/log.h"

#define DEFAULT_IDLE_MS 30000
#define PEER_END_MARGIN_MS 5000 /* beyond the peer's idle timeout */
#define ABORT_TRIES 3
#define PING_EVERY_NS (1000 * 1000 * 1000LL)
#define PAUSE_BEFORE_FREEZE_MS 4000 /* the test fault's: files change meanwhile */

/* Shut a page socket: forks of this process (the CRIU worker, the
 * checkpoint guardian) hold copies, so only a shutdown ends its session. */
static void end_socket(int fd, int how)
{
	if (fd >= 0)
		(void)shutdown(fd, how);
}

/* The next event: 'i' images complete, 'd' the dump returned. */
static char next_event(int fd)
{
	char c = 'd';
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	return c;
}

/* The page relay, on its own connection and thread. */
struct relay_job {
	struct move *m;
	struct cr_peer *p; /* replaced by a resume: under LOCK */
	pthread_mutex_t lock;
	bool stop;         /* the mover gave up: no more resumes */
	int local;
	int idle_ms;
	struct cr_page_relay_stats st;
	bool answered;
	int r;
	struct cr_error err;
	bool done;
};

static void on_pages(void *ctx, const struct cr_page_relay_stats *st);

static int64_t ms_since(int64_t t_ns)
{
	return (cr_now_ns() - t_ns) / 1000000;
}

/* A broken page connection (the peer named no refusal): a new one takes the
 * transfer on, tried for CR_PAGE_RESUME_MS, as long as the peer keeps its
 * copy waiting. Each resume that went through grants a fresh bound. */
static void resume_pages(struct relay_job *rj, struct cr_page_relay *rl, const struct cr_page_relay_opts *o)
{
	const struct cr_move_request *req = rj->m->req;
	int64_t lost = cr_now_ns();
	uint32_t resumes = rj->st.resumes;
	bool told = false;
	while (rj->r < 0 && rj->st.conn_failed && !rj->answered && rl->resumable) {
		if (rj->st.resumes != resumes) { /* it went on, then broke again */
			resumes = rj->st.resumes;
			lost = cr_now_ns();
			told = false;
		}
		if (ms_since(lost) > CR_PAGE_RESUME_MS || __atomic_load_n(&rj->stop, __ATOMIC_ACQUIRE))
			return;
		if (!told) /* once a break, not once a try */
			cr_partition_log(req->name, "post-copy: the page connection to %s broke (%s): resuming it",
					 req->peer, cr_error_msg(&rj->err));
		told = true;
		pthread_mutex_lock(&rj->lock);
		cr_peer_close(rj->p);
		rj->p = NULL;
		pthread_mutex_unlock(&rj->lock);
		struct cr_peer *np = NULL;
		struct cr_error ce = CR_ERROR_INIT;
		if (cr_move_connect(req, &np, &ce) < 0) {
			cr_error_clear(&ce);
			usleep(200 * 1000);
			continue; /* rj->err keeps the break's cause */
		}
		cr_error_clear(&ce);
		pthread_mutex_lock(&rj->lock);
		rj->p = np;
		bool stop = __atomic_load_n(&rj->stop, __ATOMIC_ACQUIRE);
		pthread_mutex_unlock(&rj->lock);
		if (stop)
			return;
		cr_error_clear(&rj->err);
		rj->r = cr_peer_lazy_pages_resume(np, req->name, rj->m->relocation, rl, rj->local, o, &rj->st,
						  &rj->answered, &rj->err);
		if (rj->r < 0 && !rj->st.conn_failed)
			return; /* refused: it has no transfer waiting */
		if (rj->r < 0)
			usleep(200 * 1000);
	}
}

static void *relay_thread(void *arg)
{
	struct relay_job *rj = arg;
	const struct cr_page_relay_opts o = {.idle_ms = rj->idle_ms, .progress = on_pages, .ctx = rj->m};
	struct cr_page_relay *rl = malloc(sizeof(*rl));
	if (!rl) {
		rj->r = cr_error_set(&rj->err, ENOMEM, "out of memory");
	} else {
		cr_page_relay_init(rl, true, rj->m->req->push_cap, cr_peer_resumes_pages(rj->p));
		if (rj->m->peer_lazy_any_order) /* its criu takes a fault's answer first */
			cr_page_relay_prioritize(rl);
		rj->r = cr_peer_lazy_pages(rj->p, rj->m->req->name, rj->m->relocation, rl, rj->local, &o, &rj->st,
					   &rj->answered, &rj->err);
		resume_pages(rj, rl, &o);
		cr_page_relay_release(rl);
		free(rl);
	}
	__atomic_store_n(&rj->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Stop the relay thread: no more resumes, its connection shut. */
static void relay_stop(struct relay_job *rj)
{
	pthread_mutex_lock(&rj->lock);
	__atomic_store_n(&rj->stop, true, __ATOMIC_RELEASE);
	cr_peer_shutdown(rj->p);
	pthread_mutex_unlock(&rj->lock);
}

/* The lazy phase's progress: pages answered against the partition's memory
 * (the cgroup's count: an estimate of the pages to come). */
static void on_pages(void *ctx, const struct cr_page_relay_stats *st)
{
	struct move *m = ctx;
	uint64_t done = (st->pages.demand_pages + st->pages.pushed_pages) * CR_PAGE_WIRE_PAGE;
	m->pr.in_done = done < m->memory_bytes ? done : m->memory_bytes;
	m->pr.in_total = m->memory_bytes;
	m->pr.sent = st->to_peer;
	m->pr.pages_demand = st->pages.demand_pages;
	m->pr.pages_pushed = st->pages.pushed_pages;
	cr_move_progress_report(m, "pages");
}

/* Nothing of the partition may run there once it resumes here: ask the peer
 * to end its copy on a fresh connection; without its word, wait until its
 * idle timeout has ended it. */
static void end_peer_copy(struct move *m, struct cr_peer **p, int idle_ms)
{
	for (int i = 0; i < ABORT_TRIES; i++) {
		struct cr_error e = CR_ERROR_INIT;
		cr_peer_close(*p);
		*p = NULL;
		int r = cr_move_connect(m->req, p, &e);
		if (r == 0)
			r = cr_peer_abort(*p, m->req->name, &e);
		cr_error_clear(&e);
		if (r == 0)
			return;
		usleep(500 * 1000);
	}
	int wait_ms = (idle_ms > DEFAULT_IDLE_MS ? idle_ms : DEFAULT_IDLE_MS) + PEER_END_MARGIN_MS;
	cr_partition_log(m->req->name, "post-copy: %s does not answer: waiting %d ms for it to end its copy", m->req->peer,
			 wait_ms);
	struct timespec t = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

/* The state: archive the file systems (unless the early archive made while
 * CRIU dumped can be used), stream them with the images. */
static int send_state(struct move *m, struct cr_peer **p, struct cr_frozen *f, const struct cr_move_archive *early,
		      char **tar, struct cr_error *err)
{
	int r;
	m->rep->carried_fs = !cr_partition_nfs_root(&f->w.config);
	if (m->rep->carried_fs && cr_move_archive_usable(early, f->images)) {
		if (!(*tar = strdup(early->tar)))
			return cr_error_set(err, ENOMEM, "out of memory");
		m->rep->archive_ns = 0; /* made during the dump: none of it after */
	} else if (m->rep->carried_fs) {
		cr_move_progress_report(m, "archiving");
		if (asprintf(tar, "%s/%s", f->work, CR_IMAGE_ROOTFS_ENTRY) < 0) {
			*tar = NULL;
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		int64_t t = cr_now_ns();
		if ((r = early->precopied ? cr_move_archive_make(early, *tar, err)
					  : cr_rootfs_archive_create(f->w.config.directory, *tar, err)) < 0)
			return r;
		m->rep->archive_ns = cr_now_ns() - t;
	}
	m->rep->content_bytes = cr_scratch_tree_bytes(f->images, UINT64_MAX / 2) + cr_move_file_size(*tar);
	return cr_move_stream(m, *p, &f->w.config, f->images, *tar, err);
}

/* A peer of 1.2 makes ready all of the restore that needs no image (the
 * partition defined, its cgroups, its monitor waiting) before this host
 * freezes: its answer is waited for here, so that none of it takes a CPU
 * from the dump (two hosts on one machine share them; a busy peer too). A
 * refusal is logged: the Restore does it all. NFS file systems are checked
 * and mounted at the Restore, as before. */
/* Pre-copy unless $CORRAL_FS_PRECOPY is 0 (the benchmarks' comparison). */
static bool precopy_wanted(void)
{
	const char *v = getenv("CORRAL_FS_PRECOPY");
	return !(v && strcmp(v, "0") == 0);
}

/* A peer of 1.4 also takes the file systems' level-0 archive (EARLY's,
 * made now while the partition runs) and unpacks it before answering: the
 * archive made while frozen is then only what changed since. Without it
 * (an older peer, too large an archive, a failure here) the image carries
 * them whole, as before. */
static int prepare_arrival(struct move *m, struct cr_peer *p, const struct cr_wpar_config *cfg,
			   struct cr_move_archive *early, struct cr_error *err)
{
	cleanup_free char *spec = NULL, *fs_data = NULL;
	struct cr_fs_archive fs = {NULL, 0};
	int r = cr_spec_write(cfg, &spec, err);
	cr_move_prep_step(m); /* the level-0 archive, then its unpack there */
	if (r == 0 && early->directory && cr_peer_takes_fs_archive(p) && precopy_wanted()) {
		struct cr_error ae = CR_ERROR_INIT;
		if (cr_move_archive_ahead(early, &fs_data, &fs.len, &ae) == 0)
			fs.data = fs_data;
		else
			cr_debug("no pre-copy of the file systems: %s", cr_error_msg(&ae));
		cr_error_clear(&ae);
	}
	if (r == 0)
		r = cr_peer_prepare_arrival_begin(p, m->req->name, spec, m->relocation,
						  m->memory_bytes + m->fs_bytes, fs.data ? &fs : NULL, err);
	if (r == 0)
		r = cr_peer_collect(p, err);
	if (r == 0 && fs.data) {
		early->precopied = true;
		cr_debug("file systems pre-copied: %zu bytes archived in %lld ms", fs.len,
			 (long long)(early->ahead_ns / 1000000));
		if (cr_fault_injected(CR_FAULT_PAUSE_BEFORE_FREEZE))
			usleep(PAUSE_BEFORE_FREEZE_MS * 1000);
	}
	return r;
}

/* The mover thread: everything between the images and the last page. */
struct mover {
	struct move *m;
	struct cr_peer **p;
	struct cr_frozen *f;
	int events;      /* read end: 'f' frozen, 'i' images complete, 'd' the dump returned */
	int local;       /* our end of the page socket */
	int idle_ms;
	int r;
	struct cr_error err;
	bool restored_there; /* running there: the hand-over follows the pages */
	char *tar;
	struct cr_peer *pages; /* the pages' connection, made before the freeze */
	struct cr_move_archive early; /* the file systems, archived during the dump */
	int64_t t_images;            /* when the images were complete */
	struct cr_nice boost;        /* this thread's, in the window (util/prio.h) */
};

/* Stream, relay and restore; 0 once every page is there. On failure the
 * copy there has been ended (or waited out) before this returns. */
static int move_pages(struct mover *mv, struct cr_error *err)
{
	struct move *m = mv->m;
	const struct cr_move_request *req = m->req;
	struct cr_frozen *f = mv->f;
	struct relay_job rj = {.m = m, .local = mv->local, .idle_ms = mv->idle_ms, .err = CR_ERROR_INIT,
			       .lock = PTHREAD_MUTEX_INITIALIZER};
	pthread_t relay_th;
	bool relaying = false, restore_answered = false;
	m->rep->freeze_ns = f->freeze_ns;
	m->rep->dump_ns = mv->t_images - f->t_freeze - f->freeze_ns;
	m->rep->ended = f->ended ? strdup(f->ended) : NULL;
	memcpy(m->criu_version, f->criu_version, sizeof(m->criu_version));
	m->tmpfs_plain_tar = f->tmpfs_plain_tar;
	int r = send_state(m, mv->p, f, &mv->early, &mv->tar, err);
	if (r < 0)
		goto fail;
	/* A peer of 1.2 takes the Restore right behind the image; the image's
	 * verdict (unpacked there) comes before the pages' relay starts, since
	 * LazyPages needs the image there. */
	bool pipelined = cr_peer_pipelines(*mv->p);
	int64_t t_restore = cr_now_ns();
	if (pipelined && ((r = cr_peer_restore_lazy_begin(*mv->p, req->name, m->nfs_mark, m->relocation, err)) < 0 ||
			  (r = cr_peer_collect_first(*mv->p, err)) < 0))
		goto fail;
	if (!cr_move_slot_on())
		cr_move_window_leave(m); /* this host's share is done: the restore is the peer's */
	/* The pages' relay first: the restore there faults pages in. It is the
	 * background push: at this thread's usual priority, which it inherits. */
	cr_nice_restore(&mv->boost);
	rj.p = steal_pointer(&mv->pages);
	if ((r = pthread_create(&relay_th, NULL, relay_thread, &rj)) != 0) {
		errno = r;
		r = cr_error_errno(err, "relocating %s: cannot start the page relay", req->name);
		goto fail;
	}
	relaying = true;
	m->pr.in_total = 0;
	cr_move_progress_report(m, "restoring");
	if (!pipelined)
		t_restore = cr_now_ns();
	r = pipelined ? cr_peer_collect(*mv->p, err) : cr_peer_restore_lazy(*mv->p, req->name, m->nfs_mark, m->relocation, err);
	if (r < 0) {
		restore_answered = err->code != ETIMEDOUT && err->code != ECONNRESET && err->code != EPIPE &&
				   err->code != ENOTCONN;
		goto fail;
	}
	mv->restored_there = true;
	int64_t t_resume = cr_now_ns();
	m->rep->restore_ns = t_resume - t_restore;
	m->rep->downtime_ns = t_resume - f->t_freeze;
	cr_move_progress_report(m, "pages");
	/* The slot: running there, the next move of this host may freeze (after
	 * "pages" is reported: a log shows this window's end before its freeze). */
	cr_move_window_leave(m);
	/* The Restore's connection carries the Commit after the last page:
	 * keep it from the peer's idle timeout meanwhile. */
	int64_t last_ping = cr_now_ns();
	while (!__atomic_load_n(&rj.done, __ATOMIC_ACQUIRE)) {
		usleep(10 * 1000);
		if (cr_now_ns() - last_ping > PING_EVERY_NS) {
			struct cr_error pe = CR_ERROR_INIT;
			(void)cr_peer_ping(*mv->p, &pe); /* a broken one is replaced for the Commit */
			cr_error_clear(&pe);
			last_ping = cr_now_ns();
		}
	}
	pthread_join(relay_th, NULL);
	relaying = false;
	m->rep->lazy_window_ns = cr_now_ns() - t_resume;
	m->rep->page_bytes = rj.st.to_peer; /* this side answers, the peer asks */
	m->rep->page_request_bytes = rj.st.from_peer;
	m->rep->page_msgs = rj.st.msgs_to_peer;
	m->rep->pages_demand = rj.st.pages.demand_pages;
	m->rep->pages_pushed = rj.st.pages.pushed_pages;
	m->rep->push_requests = rj.st.pages.pushed_requests;
	m->rep->push_max_pages = rj.st.pages.max_push_pages;
	m->rep->page_resumes = rj.st.resumes;
	m->rep->sent_bytes += rj.st.from_peer + rj.st.to_peer;
	if ((r = rj.r) < 0) {
		cr_error_set(err, rj.err.code ? rj.err.code : EIO, "%s", cr_error_msg(&rj.err));
		if (!rj.answered)
			end_peer_copy(m, mv->p, mv->idle_ms);
		mv->restored_there = false; /* ended there (it said so, or it was waited out) */
		goto out;
	}
	goto out;
fail:
	/* A Restore that was not answered may have left it running there. */
	if (relaying && !restore_answered) {
		end_peer_copy(m, mv->p, mv->idle_ms);
	} else if (*mv->p) {
		struct cr_error ae = CR_ERROR_INIT;
		(void)cr_peer_abort(*mv->p, req->name, &ae);
		cr_error_clear(&ae);
	}
out:
	if (relaying) {
		relay_stop(&rj);
		pthread_join(relay_th, NULL);
	}
	cr_peer_close(rj.p);
	cr_error_clear(&rj.err);
	return r < 0 ? r : 0;
}

static void *mover_thread(void *arg)
{
	struct mover *mv = arg;
	char e = next_event(mv->events);
	/* Frozen: the archive, the state's sending and the Restore's go are
	 * the window's work (util/prio.h). */
	cr_window_boost(&mv->boost, 0);
	if (e == 'f') { /* frozen: the archive needs nothing from the dump */
		struct cr_error ae = CR_ERROR_INIT;
		if (mv->early.directory && cr_move_archive_early(&mv->early, &ae) < 0)
			cr_debug("archiving during the dump failed, again after it: %s", cr_error_msg(&ae));
		cr_error_clear(&ae);
		e = next_event(mv->events);
	}
	if (e != 'i') { /* the dump failed first */
		cr_nice_restore(&mv->boost);
		mv->r = 1;
		return NULL;
	}
	mv->t_images = cr_now_ns();
	mv->r = move_pages(mv, &mv->err);
	cr_nice_restore(&mv->boost);
	if (mv->r < 0)
		end_socket(mv->local, SHUT_RDWR); /* the dump fails: it thaws here */
	return NULL;
}

int cr_move_postcopy(struct move *m, struct cr_peer **p, const struct cr_wpar_config *cfg, struct cr_error *err)
{
	const struct cr_move_request *req = m->req;
	int sp[2] = {-1, -1}, ev[2] = {-1, -1};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return cr_error_errno(err, "relocating %s: cannot make the page socket", req->name);
	if (pipe2(ev, O_CLOEXEC) < 0) {
		int r = cr_error_errno(err, "relocating %s: cannot make a pipe", req->name);
		close(sp[0]);
		close(sp[1]);
		return r;
	}
	struct cr_frozen f;
	memset(&f, 0, sizeof(f));
	struct mover mv = {.m = m, .p = p, .f = &f, .events = ev[0], .local = sp[0],
			   .idle_ms = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_IDLE_MS, .err = CR_ERROR_INIT};
	/* The dump lasts until the last page is served: its deadline grows with
	 * the memory (at least 1 MiB/s on top of CRIU's usual bound). Killed at
	 * its deadline, it would let the copy here thaw while the copy there
	 * runs until its lazy-pages notices. A stalled relay ends it sooner. */
	int64_t dump_ms = (int64_t)CR_CRIU_DUMP_TIMEOUT_MS + (int64_t)(m->memory_bytes >> 20) * 1000;
	struct cr_freeze_request fr = {.name = req->name, .operation = "relocation", .force = req->force,
				       .timeout_ms = dump_ms > INT32_MAX ? INT32_MAX : (int)dump_ms,
				       .work_extra = m->fs_bytes, .lazy_ps_fd = sp[1], .images_ready_fd = ev[1],
				       .frozen_fd = ev[1], .restorers_tmpfs_tar = m->peer_tmpfs_tar};
	/* Both connections are made before the freeze: their hand-shakes stay
	 * out of the downtime. A lazy dump is short (no page is written), well
	 * within the peer's idle timeout. The pages' connection is made once
	 * the peer has answered PrepareArrival: it carries nothing before the
	 * freeze, and the peer's unpack ahead (seconds under load) must not
	 * count against its idle timeout. */
	cr_peer_close(*p);
	*p = NULL;
	int r = cr_move_connect(req, p, err);
	/* The archive is made while CRIU dumps: what it needs is copied now. */
	if (r == 0 && !cr_partition_nfs_root(cfg) && cfg->directory) {
		struct cr_error ae = CR_ERROR_INIT;
		if (cr_move_archive_prepare(&mv.early, req->name, cfg->directory, m->fs_bytes, &ae) < 0)
			cr_move_archive_drop(&mv.early); /* archived after the dump, as before */
		cr_error_clear(&ae);
	}
	if (r == 0 && !m->nfs_mark)
		r = prepare_arrival(m, *p, cfg, &mv.early, err);
	if (r == 0)
		r = cr_move_connect(req, &mv.pages, err);
	if (r < 0) {
		cr_error_wrap(err, "relocation of %s to %s failed, it goes on here", req->name, req->peer);
		goto close_all;
	}
	pthread_t th;
	cr_move_prep_end(m); /* the mover works inside the downtime: not at the preparation's priority */
	r = pthread_create(&th, NULL, mover_thread, &mv);
	if (r != 0) {
		errno = r;
		r = cr_error_errno(err, "relocating %s: cannot start the mover", req->name);
		goto close_all;
	}
	cr_move_window_enter(m);
	cr_move_progress_report(m, "freezing");
	struct cr_error derr = CR_ERROR_INIT;
	int dr = cr_frozen_begin(&fr, &f, &derr);
	/* The page server's session is over: the relay sees its end. */
	end_socket(sp[1], SHUT_WR);
	ssize_t ignored = write(ev[1], "d", 1);
	(void)ignored;
	pthread_join(th, NULL);
	if (dr < 0) { /* thawed here (cr_frozen_begin undid it) */
		if (mv.r < 0)
			cr_error_set(err, mv.err.code, "%s", cr_error_msg(&mv.err));
		else
			cr_error_set(err, derr.code, "%s", cr_error_msg(&derr));
		if (mv.restored_there) { /* the dump failed on its own: the copy there goes */
			struct cr_error ae = CR_ERROR_INIT;
			if (cr_peer_abort(*p, req->name, &ae) < 0)
				end_peer_copy(m, p, mv.idle_ms);
			cr_error_clear(&ae);
		}
		r = -err->code;
		goto done;
	}
	if (mv.r < 0) { /* every page was served, yet the peer did not confirm: it ended its copy */
		cr_error_set(err, mv.err.code, "%s", cr_error_msg(&mv.err));
		cr_frozen_undo(&f, err);
		cr_frozen_release(&f);
		r = -err->code;
		goto done;
	}
	cr_move_progress_report(m, "handing over");
	int64_t t = cr_now_ns();
	/* The commit gate (a fleet's ownership fence) has the last word. */
	bool gated = !req->commit_gate || (r = req->commit_gate(req->commit_gate_ctx, req->name, req->peer, err)) == 0;
	if (!gated || (r = cr_move_hand_over(m, &f, err)) < 0) {
		/* Still whole here: the copy there goes, this one thaws. */
		struct cr_error ae = CR_ERROR_INIT;
		if (cr_peer_abort(*p, req->name, &ae) < 0)
			end_peer_copy(m, p, mv.idle_ms);
		cr_error_clear(&ae);
		cr_frozen_undo(&f, err);
		cr_frozen_release(&f);
		goto done;
	}
	cr_move_forget_here(&f.w.config);
	r = cr_move_commit(m, p, err);
	if (r == 0)
		m->rep->handover_ns = cr_now_ns() - t;
	cr_frozen_release(&f);
	cr_error_clear(&derr);
	cr_error_clear(&mv.err);
	free(mv.tar);
	goto close_all;
done:
	cr_error_clear(&derr);
	cr_error_clear(&mv.err);
	free(mv.tar);
	cr_error_wrap(err, "relocation of %s to %s failed, it goes on here", req->name, req->peer);
	r = -err->code;
close_all:
	cr_move_archive_drop(&mv.early);
	cr_peer_close(mv.pages);
	close(sp[0]);
	close(sp[1]);
	close(ev[0]);
	close(ev[1]);
	return r < 0 ? r : 0;
}
