/* Freeze and dump a partition; then resume it, keep it paused, end it or
 * undo everything. */
#define LOG_PREFIX "frozen: "
#include "ckpt/frozen.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/criu_features.h"
#include "check/host_facts.h"
#include "ckpt/outsiders.h"
#include "ckpt/partition_criu.h"
#include "ckpt/freeze_settle.h"
#include "criu/criu.h"
#include "net/net_ckpt.h"
#include "partition/lifecycle.h"
#include "stream/capture.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fault.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/workdir.h"

#define LOCK_TIMEOUT_MS 10000
#define FREEZE_TIMEOUT_MS 10000
#define OUTSIDER_ROUNDS 3
#define DUMP_LOG "dump.log"
#define DUMP_LOG_LEVEL 3
#define STREAM_DRAIN_MS 30000 /* after a dump, for CRIU's last image bytes */
#define AHEAD_READY_MS 2000   /* criu swrk's start, before the freeze: 10-35 ms here */
/* A worker started ahead waits for its go through the freeze's longest
 * wait, and then some; should the go not come, it ends with its swrk. */
#define AHEAD_BOUND_MS (OUTSIDER_ROUNDS * FREEZE_TIMEOUT_MS + 30000)

/* Processes in the partition that its init did not start: an error naming
 * them, or with -F, ended (and named in f->ended). WHEN qualifies them in
 * the error ("" or " (they joined while it was frozen)"). */
static int handle_outsiders(const struct cr_freeze_request *req, struct cr_frozen *f, const char *when,
			    struct cr_error *err)
{
	struct cr_outsider *out = NULL;
	size_t n = 0;
	int r = cr_outsiders_find(req->name, f->w.state.init_pid, f->cg, &out, &n, err);
	if (r < 0 || n == 0)
		return r;
	cleanup_free char *list = cr_outsiders_describe(out, n);
	if (!req->force) {
		r = cr_error_set(err, EBUSY, "%s has processes that will not survive a %s%s: %s; end them or use -F",
				 req->name, req->operation, when, list ? list : "(out of memory)");
	} else {
		r = cr_outsiders_end(out, n, err);
		if (r == 0) {
			cr_partition_log(req->name, "%s -F ended: %s", req->operation, list ? list : "?");
			char *all = NULL;
			if (f->ended && list && asprintf(&all, "%s; %s", f->ended, list) >= 0) {
				free(f->ended);
				f->ended = all;
			} else if (!f->ended) {
				f->ended = steal_pointer(&list);
			}
		}
	}
	cr_outsiders_free(out, n);
	return r;
}

/* The partition must be checkpointable, Active, and hold nothing from outside
 * (unless -F, which ends those processes and says which). */
static int check_ready(const struct cr_freeze_request *req, struct cr_frozen *f, struct cr_error *err)
{
	const struct cr_wpar *w = &f->w;
	if (!w->config.checkpointable && w->config.type != CR_TYPE_SYSTEM)
		return cr_error_set(err, EPERM,
				    "%s is not checkpointable: an application partition must be started with wparexec -c",
				    req->name);
	if (!w->config.checkpointable)
		return cr_error_set(err, EPERM, "%s is not checkpointable: create it with mkwpar -c (or chwpar -c while stopped)",
				    req->name);
	/* Its wparexec waits here: only chkptwpar tells it where the job went. */
	if (w->config.type != CR_TYPE_SYSTEM && strcmp(req->operation, "checkpoint") != 0)
		return cr_error_set(err, EOPNOTSUPP,
				    "%s is a wparexec -c job: it cannot be moved; use chkptwpar -k and restartwpar", req->name);
	if (w->state.state != CR_STATE_ACTIVE)
		return cr_error_set(err, EINVAL, "%s is %s: only an Active partition can be checkpointed", req->name,
				    cr_state_name(w->state.state));
	return handle_outsiders(req, f, "", err);
}

static uint64_t tree_bytes(const char *dir)
{
	cleanup_dir DIR *d = opendir(dir);
	uint64_t total = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	return total;
}

/* What the dump's work directory will hold: CRIU's images (at most the
 * partition's memory; nothing when they stream into the image file) and what
 * the caller adds (WORK_EXTRA: a relocation's archive of its private file
 * systems, which relocate/move.c has measured already). */
static uint64_t work_contents(const struct cr_frozen *f, uint64_t work_extra, bool streamed)
{
	struct cr_cgroup_stats st;
	uint64_t mem = 0;
	if (!streamed && f->cg && cr_cgroup_stats(f->cg, &st, NULL) == 0 && st.memory_bytes > 0)
		mem = (uint64_t)st.memory_bytes;
	return mem + work_extra;
}

/* The work directory (util/workdir.h): on a tmpfs with room for the
 * images, else in the partition's state directory. */
static int make_work_dir(struct cr_frozen *f, uint64_t work_extra, bool streamed, struct cr_error *err)
{
	cleanup_free char *dir = NULL, *owner = NULL;
	int r = cr_state_dir(f->name, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(&owner, "%s-checkpoint", f->name) < 0) {
		owner = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	/* We hold the partition's lock: no other run of ours is alive. */
	struct cr_workdir_request wr = {.owner = owner,
					.owned_by = CR_WORKDIR_LOCKED,
					.fallback = dir,
					.contents = work_contents(f, work_extra, streamed)};
	struct cr_workdir w;
	if ((r = cr_workdir_make(&wr, &w, err)) < 0)
		return r;
	f->work = w.path;
	cr_debug("work directory %s", f->work);
	if (asprintf(&f->images, "%s/%s", f->work, CR_IMAGE_CRIU_DIR) < 0) {
		f->images = NULL;
		return cr_error_set(err, ENOMEM, "out of memory");
	}
	if (mkdir(f->images, 0700) < 0)
		return cr_error_errno(err, "cannot make %s", f->images);
	return 0;
}

/* CRIU's log level for the dump: $CORRAL_CRIU_LOG_LEVEL (1 to 4; 4 is
 * CRIU's debug level, for a dump that fails) else DUMP_LOG_LEVEL. */
static int dump_log_level(void)
{
	const char *v = getenv("CORRAL_CRIU_LOG_LEVEL");
	char *end = NULL;
	errno = 0;
	long level = v ? strtol(v, &end, 10) : 0;
	return v && !errno && end != v && !*end && level >= 1 && level <= 4 ? (int)level : DUMP_LOG_LEVEL;
}

/* In the CRIU worker, when CRIU seizes the tree itself: thawed right before
 * it seizes (a stopped task is seized only where the freezer does not hold
 * it), frozen again once it has dumped while the tasks are still seized, so
 * the tree stays frozen afterwards as in the freezer path. */
static int seize_hook(const char *stage, void *arg)
{
	struct cr_frozen *f = arg;
	struct cr_error err = CR_ERROR_INIT;
	int r = 0;
	if (strcmp(stage, "pre-dump") == 0)
		r = cr_cgroup_thaw(f->cg, &err);
	else if (strcmp(stage, "post-dump") == 0)
		r = cr_cgroup_freeze(f->cg, FREEZE_TIMEOUT_MS, &err);
	if (r < 0)
		cr_debug("%s: %s", stage, cr_error_msg(&err));
	cr_error_clear(&err);
	return r < 0 ? 1 : 0;
}

/* Freeze where CRIU can seize every task (freeze_settle.h), with no process
 * from outside: one that joined since check_ready (a clogin just starting)
 * would be seized too and never hand itself back. Bounded: -F ends them and
 * freezes again, at most OUTSIDER_ROUNDS times. */
static int freeze_alone(const struct cr_freeze_request *req, struct cr_frozen *f, struct cr_error *err)
{
	for (int round = 1;; round++) {
		int r = cr_freeze_settled(f->cg, FREEZE_TIMEOUT_MS, &f->stopped, err);
		if (r < 0)
			return r;
		struct cr_outsider *out = NULL;
		size_t n = 0;
		r = cr_outsiders_find(req->name, f->w.state.init_pid, f->cg, &out, &n, err);
		cr_outsiders_free(out, n);
		if (r == 0 && n == 0)
			return 0;
		struct cr_error ignored = CR_ERROR_INIT;
		cr_cgroup_thaw(f->cg, &ignored); /* a frozen task cannot die */
		cr_error_clear(&ignored);
		if (r < 0)
			return r;
		if ((r = handle_outsiders(req, f, " (they joined while it was freezing)", err)) < 0)
			return r;
		if (round == OUTSIDER_ROUNDS)
			return cr_error_set(err, EBUSY, "%s: processes from outside kept joining it while it was freezing (%d rounds)",
					    req->name, round);
	}
}

/* The dump's options, but for what the freeze decides (a stopped task:
 * dump()). STREAM: CRIU's files go through the capture into the image. */
static void dump_opts(const struct cr_freeze_request *req, struct cr_frozen *f, bool stream)
{
	struct cr_criu_dump_opts *o = &f->dump_opts;
	*o = (struct cr_criu_dump_opts){.pid = f->w.state.init_pid, .leave_running = true};
	cr_partition_criu_common(&f->w.config, f->images, DUMP_LOG, &o->common);
	o->common.service = &f->criu;
	o->lock_network_until_thaw = cr_net_lock_until_thaw;
	o->common.timeout_ms = req->timeout_ms;
	/* CRIU's info level: its errors, the run id that names an nftables lock,
	 * one line per step. Its debug level (4) writes a line for every 256
	 * pages and a few per mapping: 10,000 lines for 512 MiB, which cost the
	 * frozen partition up to a tenth of the dump here. */
	o->common.log_level = dump_log_level();
	o->common.tmpfs_plain_tar = f->tmpfs_plain_tar;
	o->common.stream = stream;
	o->freeze_cgroup = cr_cgroup_dir(f->cg, CR_CG_FREEZER);
	o->lazy_ps_fd = req->lazy_ps_fd;
	o->images_ready_fd = req->images_ready_fd;
}

/* Before the freeze: the dump's worker and its `criu swrk`, so that their
 * exec and start stay out of the frozen window. Best effort: without them
 * the dump starts its own criu as before. */
static void start_ahead(struct cr_frozen *f)
{
	if (!cr_criu_ahead_wanted())
		return;
	struct cr_error e = CR_ERROR_INIT;
	if (cr_criu_dump_ahead(&f->dump_opts, AHEAD_BOUND_MS, &f->ahead, &e) < 0) {
		f->ahead = NULL;
		cr_debug("%s: criu starts inside the window: %s", f->name, cr_error_msg(&e));
	}
	cr_error_clear(&e);
}

/* Right before the freeze: swrk's start is behind it (bounded: one that
 * starts late still takes the request; a worker that ended is replaced by
 * the dump's own). */
static void ahead_ready(struct cr_frozen *f)
{
	pid_t swrk = 0;
	struct cr_error e = CR_ERROR_INIT;
	if (f->ahead && cr_criu_ahead_ready(&f->ahead, AHEAD_READY_MS, &swrk, &e) < 0)
		cr_debug("%s: %s", f->name, cr_error_msg(&e));
	cr_error_clear(&e);
}

static int run_dump(struct cr_frozen *f, struct cr_error *err)
{
	struct cr_criu_ahead *a = f->ahead;
	f->ahead = NULL;
	return a ? cr_criu_dump_go(a, err) : cr_criu_dump(&f->dump_opts, err);
}

/* Dump into the work directory. The tree stays frozen afterwards. */
static int dump(struct cr_frozen *f, struct cr_error *err)
{
	struct cr_criu_dump_opts *o = &f->dump_opts;
	if (f->stopped > 0) {
		/* A stopped task: CRIU seizes the tree itself (freeze_settle.h),
		 * with hooks the worker started ahead was not given. */
		cr_debug("pid %d is stopped: criu seizes the tree task by task", (int)f->stopped);
		cr_criu_ahead_cancel(f->ahead);
		f->ahead = NULL;
		o->criu_seizes = true;
		o->hook = seize_hook;
		o->hook_arg = f;
	}
	if (!f->stream)
		return run_dump(f, err);
	/* Streamed: CRIU's files go through the capture into the image. */
	struct cr_capture *cap = NULL;
	int r = cr_capture_start(f->images, CR_IMAGE_CRIU_DIR, f->stream, &cap, err);
	if (r < 0)
		return r;
	/* A worker started ahead never had the capture's socket. */
	o->common.worker_close_fd = f->ahead ? 0 : cr_capture_listen_fd(cap);
	r = run_dump(f, err);
	/* Once every byte CRIU wrote is here the partition may run again: what
	 * is still queued goes into the image meanwhile (cr_frozen_stream_done). */
	struct cr_error cerr = CR_ERROR_INIT;
	int c = r == 0 ? cr_capture_taken(cap, STREAM_DRAIN_MS, &cerr) : 0;
	if (r == 0 && c == 0) {
		f->capture = cap;
		return 0;
	}
	if (r == 0)
		r = cr_error_set(err, cerr.code, "streaming criu's images: %s", cr_error_msg(&cerr));
	cr_error_clear(&cerr);
	cr_capture_free(cap);
	return r;
}

int cr_frozen_stream_done(struct cr_frozen *f, struct cr_error *err)
{
	if (!f->capture)
		return 0;
	int r = cr_capture_finish(f->capture, true, STREAM_DRAIN_MS, err);
	f->criu_bytes = cr_capture_bytes(f->capture);
	cr_capture_free(f->capture);
	f->capture = NULL;
	return r < 0 ? cr_error_wrap(err, "streaming criu's images") : 0;
}

/* Streamed unless $CORRAL_CHECKPOINT_STREAM is 0 (then CRIU's images are
 * staged in the work directory and packed after the dump, format 1.0: the
 * benchmarks' comparison, and a way around a streaming fault). */
static bool stream_wanted(void)
{
	const char *v = getenv("CORRAL_CHECKPOINT_STREAM");
	return !(v && strcmp(v, "0") == 0);
}

/* What the dump needs of this host, from its cached facts read once
 * (probing only when the cache is stale): how criu runs (F->criu), its
 * version (F->criu_version, left empty when unknown: the facts know it for
 * the binary in use, their key holds its path, size and mtime, so no criu is
 * started for it), whether it streams (*RET_STREAMS), and the form of the
 * tmpfs (F->tmpfs_plain_tar, check/criu_features.h). */
static int read_host(const struct cr_freeze_request *req, struct cr_frozen *f, bool *ret_streams,
		     struct cr_error *err)
{
	struct cr_host_facts facts;
	int r = cr_host_facts_get(false, &facts, err);
	if (r < 0)
		return cr_error_wrap(err, "reading this host's facts");
	r = cr_host_criu_service_of(&facts, &f->criu, err);
	if (r == 0 && facts.criu_version)
		snprintf(f->criu_version, sizeof(f->criu_version), "%s", facts.criu_version);
	*ret_streams = cr_host_criu_streams_of(&facts);
	f->tmpfs_plain_tar = cr_dump_tmpfs_plain(&facts, req->restorers_tmpfs_tar);
	cr_host_facts_free(&facts);
	return r;
}

int cr_frozen_begin(const struct cr_freeze_request *req, struct cr_frozen *f, struct cr_error *err)
{
	memset(f, 0, sizeof(*f));
	f->name = req->name;
	f->operation = req->operation;
	f->lock = -1;
	cleanup_free char *log_path = NULL;
	bool stream = false;
	int r = cr_registry_lock_load(req->name, LOCK_TIMEOUT_MS, &f->lock, &f->w, err);
	if (r < 0) {
		f->lock = -1;
		cr_config_init(&f->w.config);
		cr_state_init(&f->w.state);
		return r;
	}
	if ((r = cr_cgroup_open(req->name, &f->cg, err)) < 0 && f->w.state.state == CR_STATE_ACTIVE)
		goto fail;
	if ((r = check_ready(req, f, err)) < 0)
		goto fail;
	/* Asked only of a partition ready to be dumped: a refused command
	 * leaves no host-facts cache behind. */
	bool criu_streams = false;
	if ((r = read_host(req, f, &criu_streams, err)) < 0)
		goto fail;
	stream = req->open_stream && stream_wanted() && criu_streams;
	if ((r = make_work_dir(f, req->work_extra, stream, err)) < 0)
		goto fail;
	if (asprintf(&log_path, "%s/%s", f->images, DUMP_LOG) < 0) {
		log_path = NULL;
		r = cr_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = cr_guardian_start(req->name, f->w.state.init_pid, log_path, &f->guardian, err)) < 0)
		goto fail;
	dump_opts(req, f, stream);
	start_ahead(f);

	if (stream && (r = req->open_stream(req->stream_arg, f, &f->stream, err)) < 0)
		goto fail;
	ahead_ready(f);

	/* A -> F: the cgroup freezer stops every task at once. */
	cr_partition_log(req->name, "%s: freezing", req->operation);
	if ((r = cr_state_transition(req->name, &f->w.state, CR_STATE_FROZEN, req->operation, err)) < 0)
		goto undo;
	if (cr_fault_injected(CR_FAULT_FAIL_FREEZE)) {
		r = cr_error_set(err, EIO, "%s could not be frozen (test fault %s)", req->name,
				 cr_fault_name(CR_FAULT_FAIL_FREEZE));
		goto undo;
	}
	f->t_freeze = cr_now_ns();
	if ((r = freeze_alone(req, f, err)) < 0)
		goto undo;
	f->frozen = true;
	int64_t t_frozen = cr_now_ns();
	cr_debug("%s FROZEN at %lld ms since boot", req->name, (long long)cr_boottime_ms());
	f->freeze_ns = t_frozen - f->t_freeze;
	if (req->frozen_fd > 0 && f->stopped <= 0) {
		ssize_t ignored = write(req->frozen_fd, "f", 1);
		(void)ignored;
	}

	/* F -> P: CRIU dumps the tree, which stays frozen. */
	if ((r = dump(f, err)) < 0)
		goto undo;
	f->dump_ns = cr_now_ns() - t_frozen;
	if ((r = cr_state_transition(req->name, &f->w.state, CR_STATE_PAUSED, req->operation, err)) < 0)
		goto undo;
	f->criu_bytes = f->capture ? cr_capture_bytes(f->capture) : tree_bytes(f->images);
	return 0;
undo:
	cr_frozen_copy_log(f, req->log_copy);
	cr_frozen_undo(f, err);
fail:
	cr_frozen_release(f);
	return r;
}

void cr_frozen_copy_log(const struct cr_frozen *f, const char *dest)
{
	cleanup_free char *src = NULL;
	cleanup_free char *data = NULL;
	size_t len;
	if (!dest || !f->images || asprintf(&src, "%s/%s", f->images, DUMP_LOG) < 0)
		return;
	if (cr_read_file(src, 256 << 20, &data, &len, NULL) == 0)
		cr_write_file_atomic(dest, data, len, 0600, NULL);
}

int cr_frozen_resume(struct cr_frozen *f, int64_t *ret_frozen_ns, struct cr_error *err)
{
	int r = cr_cgroup_thaw(f->cg, err);
	if (r < 0) {
		cr_frozen_undo(f, err);
		return r;
	}
	f->frozen = false;
	if (ret_frozen_ns)
		*ret_frozen_ns = cr_now_ns() - f->t_freeze;
	return cr_state_transition(f->name, &f->w.state, CR_STATE_ACTIVE, "none", err);
}

void cr_frozen_keep(struct cr_frozen *f)
{
	f->frozen = false; /* on purpose: Paused is where it stays */
}

void cr_frozen_disarm(struct cr_frozen *f)
{
	cr_guardian_release(&f->guardian);
}

int cr_frozen_end(struct cr_frozen *f, struct cr_error *err)
{
	/* Hand the lock back and stop the guardian first: stopping takes the lock,
	 * and a guardian must not thaw a copy that is meant to end. */
	if (f->lock >= 0) {
		close(f->lock);
		f->lock = -1;
	}
	cr_guardian_release(&f->guardian);
	f->frozen = false;
	/* Its peers live on with the copy restored from the image: the dying
	 * sockets here must not say goodbye to them. */
	if (f->w.config.type == CR_TYPE_SYSTEM && f->w.config.n_netifs > 0) {
		struct cr_error seal_err = CR_ERROR_INIT;
		if (cr_net_seal(f->w.state.init_pid, &seal_err) < 0)
			cr_partition_log(f->name, "cannot seal its network before it ends: %s", cr_error_msg(&seal_err));
		cr_error_clear(&seal_err);
	}
	if (cr_fault_injected(CR_FAULT_END_COPY))
		return cr_error_set(err, EIO, "%s could not be stopped (test fault %s)", f->name,
				    cr_fault_name(CR_FAULT_END_COPY));
	struct cr_stop_options stop = {.force = true, .timeout_s = 0};
	return cr_partition_stop(f->name, &stop, err);
}

void cr_frozen_undo(struct cr_frozen *f, const struct cr_error *why)
{
	/* Nothing is lost: thaw, and the partition goes on as it was. */
	if (f->cg) {
		struct cr_error ignored = CR_ERROR_INIT;
		cr_cgroup_thaw(f->cg, &ignored);
		cr_error_clear(&ignored);
	}
	f->frozen = false;
	if (f->lock >= 0 && f->w.state.state != CR_STATE_ACTIVE)
		cr_state_transition(f->name, &f->w.state, CR_STATE_ACTIVE, "none", NULL);
	cr_partition_log(f->name, "%s failed, partition left Active: %s", f->operation,
			 why ? cr_error_msg(why) : "?");
}

void cr_frozen_release(struct cr_frozen *f)
{
	cr_criu_ahead_cancel(f->ahead); /* a failure before the dump */
	f->ahead = NULL;
	cr_capture_free(f->capture); /* a failure before cr_frozen_stream_done */
	f->capture = NULL;
	cr_guardian_release(&f->guardian);
	if (f->work)
		cr_rm_rf(f->work, NULL);
	free(f->work);
	free(f->images);
	free(f->ended);
	f->work = f->images = f->ended = NULL;
	cr_cgroup_free(f->cg);
	f->cg = NULL;
	cr_wpar_free(&f->w);
	cr_criu_service_free(&f->criu);
	if (f->lock >= 0)
		close(f->lock);
	f->lock = -1;
}
