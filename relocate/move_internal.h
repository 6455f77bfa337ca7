/* Pieces shared by the live and the static relocation. */
#ifndef CORRAL_RELOCATE_MOVE_INTERNAL_H
#define CORRAL_RELOCATE_MOVE_INTERNAL_H

#include "ckpt/frozen.h"
#include "formats/image_stream_writer.h"
#include "partition/registry.h"
#include "relocate/departure.h"
#include "relocate/frozen_window.h"
#include "relocate/move.h"
#include "relocate/move_slot.h"
#include "transport/client.h"

#define CR_RELOCATION_ID_LEN 32 /* hex digits */

struct move {
	const struct cr_move_request *req;
	struct cr_move_report *rep;
	int64_t t0;
	struct cr_move_progress pr;
	char *nfs_mark; /* the token on the partition's NFS exports, or NULL */
	char criu_version[32]; /* of the dump, for the manifest; "" when none */
	bool peer_tmpfs_tar;   /* the peer's CRIU restores a plain tmpfs tar (its Hello) */
	bool peer_lazy_any_order; /* the peer's criu lazy-pages takes answers in any order (its Hello) */
	bool tmpfs_plain_tar;  /* the dump carries it so: the manifest says its restore needs it */
	uint64_t fs_bytes;     /* its private file systems, archived into the image */
	uint64_t memory_bytes; /* its memory (the cgroup's count), for the pages' progress */
	/* This relocation's id, sent with Restore and Commit: the peer answers
	 * a repeated Commit of a relocation it committed as done. */
	char relocation[CR_RELOCATION_ID_LEN + 1];
	struct cr_frozen_window window; /* this host's, held from the freeze to running there */
	struct cr_prep_prio prep_prio;  /* yields from the pre-flight to the window (move_slot.h) */
	struct cr_nice window_boost;    /* the freezing thread's, in the window (util/prio.h) */
	struct cr_departure departure;  /* the decision, as the destination may ask it */
};

/* Wait for this host's frozen window (relocate/frozen_window.h) just before
 * the freeze (or stop); past its bound the move goes on without it. The
 * preparation's priority is given back first (cr_move_prep_end), then the
 * calling thread is boosted for the window (util/prio.h) until
 * cr_move_window_leave, whichever thread calls it. */
void cr_move_window_enter(struct move *m);
/* Give the window back once the partition runs again (there, or here
 * after a failure); nothing when not held. */
void cr_move_window_leave(struct move *m);
/* A step of the preparation begins: this thread yields while another move
 * of this host is frozen, else runs at its usual priority (move_slot.h). */
void cr_move_prep_step(struct move *m);
/* The preparation is over: this thread's usual priority back, before the
 * frozen window or a thread that works inside it starts. */
void cr_move_prep_end(struct move *m);

/* Decide the mode of a live move (M->req->mode, the probes of this host and
 * of the peer P): M->rep->mode and mode_why; -EOPNOTSUPP when post-copy was
 * asked for and cannot run. */
int cr_move_choose_mode(struct move *m, struct cr_peer *p, struct cr_error *err);

/* The live move, post-copy (relocate/move_postcopy.c). */
int cr_move_postcopy(struct move *m, struct cr_peer **p, const struct cr_wpar_config *cfg, struct cr_error *err);

/* Tell the caller's progress callback we are in PHASE. */
void cr_move_progress_report(struct move *m, const char *phase);
/* The image writer's progress callback (CTX: the move). */
void cr_move_on_packed(void *ctx, uint64_t in_done, uint64_t in_total, uint64_t out_bytes);

int cr_move_connect(const struct cr_move_request *req, struct cr_peer **ret, struct cr_error *err);

/* Stream CFG's image (CRIU_DIR and ROOTFS_TAR, each may be NULL) into P,
 * which unpacks it as it arrives. A peer of protocol 1.2 is not waited for:
 * the next call on P (the Restore) reads the image's verdict first. */
int cr_move_stream(struct move *m, struct cr_peer *p, const struct cr_wpar_config *cfg, const char *criu_dir,
		   const char *rootfs_tar, struct cr_error *err);

/* The live move's point of no return, once the copy there is restored:
 * the guardian let go (nothing thaws the copy here any more), "committed"
 * recorded durably (relocate/departure.h), then the frozen copy here ends.
 * Negative, with the copy here whole and frozen for the caller to undo,
 * only when the decision could not be recorded; a copy here that fails to
 * end after it is reported in its log, never thawed. */
int cr_move_hand_over(struct move *m, struct cr_frozen *f, struct cr_error *err);

/* The stop-copy's image streamed to the peer as CRIU writes it
 * (relocate/move_stream.c). cr_move_stream_open is cr_freeze_request's
 * open_stream (ARG: this, with M and P set): a fresh connection, Prepare,
 * then the image's head;
 * after the dump cr_move_stream_finish adds ROOTFS_TAR (or NULL) and ends the
 * image (the peer's verdict: as cr_peer_image_end). While BEGUN the connection is in
 * the middle of an image: on a failure it can only be closed. */
struct cr_move_streamed {
	struct move *m;
	struct cr_peer **p; /* replaced by a fresh connection at the open */
	struct cr_image_io io;
	struct cr_image_stream_writer *sw;
	bool begun;
};
int cr_move_stream_open(void *arg, const struct cr_frozen *f, struct cr_image_stream_writer **ret_sw,
			struct cr_error *err);
int cr_move_stream_finish(struct cr_move_streamed *s, const char *rootfs_tar, struct cr_error *err);
void cr_move_stream_release(struct cr_move_streamed *s);

/* Commit, on a fresh connection if *P broke (then *P is replaced); once
 * confirmed, the departure record goes. */
int cr_move_commit(struct move *m, struct cr_peer **p, struct cr_error *err);

/* After the commit: forget the partition here (and its file systems unless
 * they are on NFS, which the peer now uses). */
void cr_move_forget_here(const struct cr_wpar_config *cfg);

uint64_t cr_move_file_size(const char *path);

/* The private file systems archived while CRIU dumps (relocate/move_archive.c):
 * prepared (strings copied) before the freeze, made by the mover once the
 * tree is frozen, used unless CRIU remapped files, dropped at the end. */
struct cr_move_archive {
	char *name, *directory; /* the partition, its base directory */
	uint64_t bytes;         /* room it needs */
	char *dir, *tar;        /* the mover's directory, the archive in it */
	char *snapshot;         /* the pre-copy's tar snapshot file in DIR */
	bool precopied;         /* the peer unpacked the level-0: archives are level-1 */
	bool done;
	int64_t ns;             /* how long it took */
	int64_t ahead_ns;       /* the level-0, before the freeze */
};
int cr_move_archive_prepare(struct cr_move_archive *a, const char *name, const char *directory, uint64_t bytes,
			    struct cr_error *err);
/* The pre-copy's level-0 (heap, up to CR_PEER_FS_ARCHIVE_MAX bytes) and
 * its snapshot, made while the partition runs; A->precopied is the
 * caller's to set once the peer took it. */
int cr_move_archive_ahead(struct cr_move_archive *a, char **ret_data, size_t *ret_len, struct cr_error *err);
/* Archive the file systems into TAR: whole, or once precopied what changed. */
int cr_move_archive_make(const struct cr_move_archive *a, const char *tar, struct cr_error *err);
int cr_move_archive_early(struct cr_move_archive *a, struct cr_error *err);
bool cr_move_archive_usable(const struct cr_move_archive *a, const char *images_dir);
void cr_move_archive_drop(struct cr_move_archive *a);

/* movewpar --static. */
int cr_move_static(struct move *m, struct cr_peer **p, const struct cr_wpar *w, struct cr_error *err);

#endif
