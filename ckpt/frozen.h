/* A partition held frozen and dumped by CRIU: the first half shared by
 * chkptwpar and movewpar.
 *
 * cr_frozen_begin takes the partition's lock, checks it can be checkpointed,
 * starts the guardian (which thaws it should this process die), freezes it
 * (A -> F) and dumps it (F -> P, still frozen). Then the caller writes the
 * image wherever it goes (cr_partition_image_write) and ends with exactly one of:
 *   cr_frozen_resume  thaw, Active again (a snapshot);
 *   cr_frozen_keep    leave it Paused;
 *   cr_frozen_end     end the frozen copy (chkptwpar -k, a relocation's hand-over);
 *   cr_frozen_undo    a failure: thaw, Active again, nothing lost.
 * and always cr_frozen_release. */
#ifndef CORRAL_CKPT_FROZEN_H
#define CORRAL_CKPT_FROZEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "ckpt/guardian.h"
#include "ckpt/partition_image.h"
#include "criu/criu.h"
#include "partition/registry.h"
#include "util/error.h"

struct cr_frozen;
struct cr_image_stream_writer;
struct cr_capture;

struct cr_freeze_request {
	const char *name;
	const char *operation; /* "checkpoint", "relocation": for the log and lswpar */
	bool force;            /* -F: end clogin sessions and other outsiders first */
	int timeout_ms;        /* of the CRIU dump; 0: the default */
	const char *log_copy;  /* where to keep CRIU's log should the dump fail, or NULL */
	uint64_t work_extra;   /* bytes the caller adds to the work directory (a relocation's archive) */
	/* Post-copy (movewpar, > 0: set): see lazy_ps_fd and images_ready_fd in
	 * criu/criu.h. cr_frozen_begin then returns once every page was served. */
	int lazy_ps_fd;
	int images_ready_fd;
	/* Streamed (chkptwpar, a stop-copy movewpar): where the host's CRIU
	 * streams (check/) and $CORRAL_CHECKPOINT_STREAM is not 0, called
	 * once the partition is known and before it freezes, OPEN_STREAM gives
	 * the streamed image CRIU's files go into as CRIU writes them
	 * (stream/capture.h, under "criu/"); nothing is staged in the work
	 * directory. */
	int (*open_stream)(void *arg, const struct cr_frozen *f, struct cr_image_stream_writer **ret_sw,
			   struct cr_error *err);
	void *stream_arg;
	/* > 0: 'f' is written there once the freezer holds the tree, which then
	 * runs no code until the dump ends (not written when CRIU must seize a
	 * stopped tree task by task: it thaws the tree for that). */
	int frozen_fd;
	/* The CRIU of every host that will restore this dump reads a tmpfs
	 * carried as a plain tar (scripts/criu-patches/0009): the dump then
	 * skips gzip when this host's CRIU can (cr_dump_tmpfs_plain). */
	bool restorers_tmpfs_tar;
};

struct cr_frozen {
	const char *name;
	const char *operation;
	struct cr_wpar w;
	int lock;
	struct cr_cgroup *cg;
	struct cr_guardian guardian;
	char *work;         /* a private work directory */
	char *images;       /* CRIU's images, in WORK */
	bool frozen;
	int64_t t_freeze;   /* when the freeze began (cr_now_ns) */
	int64_t freeze_ns, dump_ns;
	uint64_t criu_bytes;
	char *ended;        /* processes -F ended, or NULL */
	pid_t stopped;      /* a task in a group stop when frozen (CRIU seizes the tree itself), or 0 */
	char criu_version[32]; /* the CRIU that dumped it ("4.1.1"), "" when unknown */
	struct cr_criu_service criu; /* how criu runs here: from the host facts read once */
	bool tmpfs_plain_tar;  /* dumped so: its restore needs CR_CRIU_FEATURE_TMPFS_TAR */
	struct cr_image_stream_writer *stream; /* from open_stream, the caller's */
	struct cr_capture *capture; /* streamed: until cr_frozen_stream_done */
	struct cr_criu_dump_opts dump_opts; /* made before the freeze */
	/* The dump's worker and criu swrk, started before the freeze (criu.h:
	 * cr_criu_dump_ahead); NULL once the dump took them or without them. */
	struct cr_criu_ahead *ahead;
};

int cr_frozen_begin(const struct cr_freeze_request *req, struct cr_frozen *f, struct cr_error *err);

/* Streamed: cr_frozen_begin returns once every byte CRIU wrote was taken
 * (the partition may then thaw); wait here until all of it is in F->stream,
 * before writing more into it. CRIU_BYTES is final then. 0 when not
 * streamed. */
int cr_frozen_stream_done(struct cr_frozen *f, struct cr_error *err);

/* Keep a copy of CRIU's dump log at DEST (NULL: nothing). */
void cr_frozen_copy_log(const struct cr_frozen *f, const char *dest);

int cr_frozen_resume(struct cr_frozen *f, int64_t *ret_frozen_ns, struct cr_error *err);
void cr_frozen_keep(struct cr_frozen *f);
int cr_frozen_end(struct cr_frozen *f, struct cr_error *err);
/* Let the guardian go before cr_frozen_end: from now on nothing thaws the
 * copy here should this process die (a relocation about to decide that
 * the copy elsewhere is the one). cr_frozen_undo still thaws it. */
void cr_frozen_disarm(struct cr_frozen *f);
void cr_frozen_undo(struct cr_frozen *f, const struct cr_error *why);
void cr_frozen_release(struct cr_frozen *f);


#endif
