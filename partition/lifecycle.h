/* The partition lifecycle: create, start, stop, remove (AIX mkwpar,
 * startwpar, stopwpar, rmwpar), and the monitor that follows a running
 * partition (AIX's cor_NAME subsystem). */
#ifndef CORRAL_PARTITION_LIFECYCLE_H
#define CORRAL_PARTITION_LIFECYCLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "partition/registry.h"
#include "partition/state.h"
#include "spec/config.h"
#include "util/error.h"

struct cr_cgroup;

/* Pre-flight of CFG's network entries, before anything changes:
 * cr_net_validate_host (net/net.h), then no address is one of another
 * partition (every spec file; SELF_NAME's own is skipped, may be NULL).
 * -ENODEV, -EINVAL or -EADDRINUSE with a one-line message naming the
 * interface and the address. */
int cr_partition_net_validate(const struct cr_wpar_config *cfg, const char *self_name,
			      struct cr_error *err);

/* mkwpar: validate CFG, fill defaults, create and populate the root part and
 * record the spec. On failure nothing is left behind; a killed mkwpar's
 * leftovers are rolled back by the next command that takes the name's lock
 * (or by lswpar). */
int cr_partition_create(struct cr_wpar_config *cfg, struct cr_error *err);

/* startwpar: D -> T -> A. Launches the monitor (`corral monitor NAME`, via
 * SELF_EXE) and returns when the partition runs or with the reason it does
 * not (then it is Broken, the reason in lswpar and its log). */
int cr_partition_start(const char *name, const char *self_exe, struct cr_error *err);

/* Launch the monitor of NAME (`corral monitor NAME 3 EXTRA...`) and wait for
 * its verdict. The caller holds the partition's lock in *LOCK and has made it
 * Transitional; the lock is released here once the monitor runs (-1 in
 * *LOCK), since the monitor records the outcome under it. */
int cr_partition_launch(const char *name, const char *self_exe, char *const *extra, int *lock,
			struct cr_error *err);

/* The same in two halves, for a monitor that waits before it restores (a
 * relocation prepared ahead, relocate/arrival.h): GO_FD (or -1) is handed
 * to the monitor as descriptor 5; *RET_VERDICT is the pipe its verdict comes
 * on, read (and closed) by cr_partition_launch_await. */
int cr_partition_launch_held(const char *name, const char *self_exe, char *const *extra, int go_fd, int *lock,
			     int *ret_verdict, struct cr_error *err);
int cr_partition_launch_await(int verdict_fd, struct cr_error *err);

struct cr_stop_options {
	bool force;       /* -F: kill at once; also clears Broken */
	int timeout_s;    /* -t: grace before killing; -1 = wait forever (-N) */
};

/* stopwpar: A -> T -> D. */
int cr_partition_stop(const char *name, const struct cr_stop_options *opts, struct cr_error *err);

struct cr_remove_options {
	bool force;    /* -F: stop first, ignore failures, remove Broken ones */
	bool stop;     /* -s: stop first */
	bool preserve; /* -p: keep the file systems for mkwpar -p */
};

/* The NFS stanza of CFG's "/" when its root part lives on NFS, else NULL. */
const struct cr_mount *cr_partition_nfs_root(const struct cr_wpar_config *cfg);

/* rmwpar. Once begun, a removal only goes forward: a killed rmwpar's is
 * carried through by the next command that takes the name's lock. */
int cr_partition_remove(const char *name, const struct cr_remove_options *opts, struct cr_error *err);

/* With NAME's lock held: a killed mkwpar's record (partition/registry_intent.h)
 * is rolled back, a killed rmwpar's carried through; *RET says which. */
int cr_partition_settle_intent(const char *name, enum cr_settled *ret, struct cr_error *err);

/* With NAME's lock held: a Transitional state whose command was killed is
 * ended. A start or restart with no monitor at work is undone (D); a stop
 * is carried through (D) when the monitor is gone, else the partition is
 * Active again (the next stopwpar stops it). */
int cr_partition_settle_transition(const char *name, enum cr_settled *ret, struct cr_error *err);

/* The monitor's body: start the partition's init and follow it until it ends.
 * REPORT_FD (or -1) receives "ok\n" once the partition runs or
 * "error: MESSAGE\n". Returns when the partition has ended. */
int cr_monitor_run(const char *name, int report_fd, struct cr_error *err);

/* Start a partition's processes in CG instead of a new init (restartwpar:
 * a restored tree, restore/restore_launch.c). *RET_INIT gets its init, a
 * child of the monitor; *RET_STATE what to record (Active, or Paused for a
 * tree left frozen). On failure nothing it started may be left in CG. */
typedef int (*cr_monitor_launch_fn)(const struct cr_wpar_config *cfg, struct cr_cgroup *cg,
				    void *ctx, pid_t *ret_init, enum cr_state *ret_state,
				    struct cr_error *err);

/* The monitor's body for a partition whose processes LAUNCH starts, followed
 * as cr_monitor_run follows a new init. A failure while the partition is
 * Transitional records D: nothing is left half-running. */
int cr_monitor_launch(const char *name, cr_monitor_launch_fn launch, void *ctx, int report_fd,
		      struct cr_error *err);

/* For a LAUNCH that fails after its init started: kill everything in CG and
 * reap INIT. */
void cr_monitor_kill_launched(struct cr_cgroup *cg, pid_t init);

/* wparexec: run ARGV in application partition CFG (already validated and
 * registered), in the foreground; *RET_STATUS gets the command's exit code. */
int cr_partition_exec(const struct cr_wpar_config *cfg, char *const *argv, int *ret_status,
		      struct cr_error *err);

/* The path of NAME's log ($ROOT/var/lib/corral/NAME/log). */
int cr_partition_log_path(const char *name, char **ret_path, struct cr_error *err);

/* Append one time-stamped line to NAME's log (best effort). */
void cr_partition_log(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
