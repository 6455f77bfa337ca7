/* Restoring a partition's process tree from CRIU images, and restartwpar. */
#ifndef CORRAL_RESTORE_RESTORE_H
#define CORRAL_RESTORE_RESTORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "formats/image_keys.h"
#include "spec/config.h"
#include "util/error.h"

/* Restore the tree of CFG from IMAGES_DIR into cgroup CG. The restored init
 * ends up a child of the caller, which must be a child subreaper (the
 * monitor). *RET_INIT is its host pid. With GO_FD (else -1) everything
 * before CRIU's restore is made at once (the restorer in its cgroup, CRIU's
 * service), then the restorer sends a byte on GO_FD (a socket: ready) and
 * waits for one (the images are there: a relocation prepared ahead); its
 * end instead fails the restore. CRIU's worker and swrk are then started
 * before the wait (criu.h: cr_criu_restore_ahead), LAZY their guess of
 * whether the images will ask for lazy pages (swrk reads that at its
 * start; a wrong guess only starts another when the go comes). */
int cr_restore_tree(const struct cr_wpar_config *cfg, struct cr_cgroup *cg, const char *images_dir, int go_fd,
		    bool lazy, pid_t *ret_init, struct cr_error *err);

/* Post-copy: a file of this name in the images directory makes
 * cr_restore_tree restore lazily (its memory served by a `criu lazy-pages`
 * already listening there, transport/server_lazy.c). */
#define CR_RESTORE_LAZY_MARK "corral-lazy"
bool cr_restore_is_lazy(const char *images_dir);

/* Whether a streamer serves IMAGES_DIR's files (its socket is there,
 * stream/serve.h): CRIU then reads them all from it. */
bool cr_restore_is_streamed(const char *images_dir);

/* What CRIU does not restore faithfully, mended on the frozen restored tree in
 * CG: expired periodic timerfds come back disarmed (ckpt/timerfd_rearm.h). */
int cr_restore_fixups(struct cr_cgroup *cg, struct cr_error *err);

/* The monitor's body for restartwpar (`corral monitor NAME FD --restore
 * IMAGES_DIR [--paused] [--lazy] [--go GO_FD]`): restore the partition from
 * the CRIU images in IMAGES_DIR instead of starting a new init; with PAUSED
 * it is left frozen (P); with GO_FD (else -1) CRIU starts once a byte comes
 * on it (cr_restore_tree, LAZY its guess). A failed restore records D:
 * nothing is left half-running. */
int cr_monitor_restore(const char *name, const char *images_dir, bool paused, bool lazy, int go_fd, int report_fd,
		       struct cr_error *err);

struct cr_restart_request {
	const char *name;      /* NULL: the partition named in the image */
	const char *image;     /* the image file */
	bool paused;           /* -p: leave it Paused */
	struct cr_image_keys keys;
	const char *self_exe;  /* the corral binary, for the monitor */
};

/* restartwpar: restore the partition in IMAGE on this host. When it is not
 * defined here it is defined from the image's spec (its file systems must be
 * visible). A failed restart leaves nothing running and the image untouched. */
int cr_partition_restart(const struct cr_restart_request *req, struct cr_error *err);

/* The second half of a restart, from an unpacked image: define NAME from
 * SPEC_TEXT when this host does not know it (its base directory replaced by
 * DIRECTORY when that is not NULL), mount its NFS file systems and restore
 * it from the CRIU images in IMAGES_DIR (PAUSED: left Paused), or with
 * START start it afresh. *RET_DEFINED_HERE says whether it was defined here
 * (a failure undefines it again). */
struct cr_restart_unpacked {
	const char *name;
	const char *spec_text;
	const char *images_dir;
	const char *directory;
	bool paused;
	bool start;
	const char *self_exe;
	const char *origin; /* for the log: the image, "relocation from HOST" */
	bool lazy;          /* held for a post-copy arrival: CRIU's swrk, started ahead, restores lazily */
	bool fs_later;      /* its file systems come later (cr_partition_restart_held): not looked for */
};

int cr_partition_restart_unpacked(const struct cr_restart_unpacked *req, bool *ret_defined_here,
				  struct cr_error *err);

/* The same, prepared ahead of its images: everything up to CRIU's restore
 * is made now (defined, Transitional, NFS mounted, the monitor started with
 * its cgroups and their limits, CRIU's restorer in them) and the restore
 * waits for a byte on GO_FD (one end of a socket pair, handed to the
 * monitor, which says on it when it waits; the caller keeps the other end:
 * closing it without a byte makes the monitor give up and record Defined). *RET_VERDICT: where the monitor's
 * verdict comes, read by cr_partition_launch_await (partition/lifecycle.h). */
int cr_partition_restart_held(const struct cr_restart_unpacked *req, int go_fd, int *ret_verdict,
			      bool *ret_defined_here, struct cr_error *err);

/* The same with its socket and verdict kept in a hold (restore/restart_hold.c),
 * returned once the monitor's restorer says it waits (bounded; a monitor
 * that cannot run makes it fail, with nothing left: Defined again, and
 * undefined when it was defined here). cr_restart_hold_go lets CRIU restore
 * and returns the monitor's verdict; cr_restart_hold_cancel gives it up
 * (the monitor removes its cgroups and records Defined; nothing when not
 * held). The definition stays to the caller either way. */
struct cr_restart_hold {
	char *name; /* NULL: nothing held */
	int go;     /* our end of the restorer's socket */
	int verdict;
};
#define CR_RESTART_HOLD_INIT {NULL, -1, -1}
int cr_partition_restart_hold(const struct cr_restart_unpacked *req, struct cr_restart_hold *ret,
			      bool *ret_defined_here, struct cr_error *err);
int cr_restart_hold_go(struct cr_restart_hold *h, struct cr_error *err);
/* The same, and once CRIU has restored every task (none runs yet) CHECK(ARG)
 * says whether the tree may run: an error has it killed and is the
 * restart's. */
int cr_restart_hold_go_checked(struct cr_restart_hold *h, int (*check)(void *arg, struct cr_error *err), void *arg,
			       struct cr_error *err);
void cr_restart_hold_cancel(struct cr_restart_hold *h);

/* Forget the definition of NAME (Defined): its spec and state. */
void cr_partition_undefine(const char *name);

#endif
