/* The CRIU engine: dump and restore process trees through libcriu (RPC to
 * `criu swrk`), and find the criu binary. Only the criu/ folder includes
 * libcriu's <criu.h>; everything else calls this API.
 *
 * Every call runs libcriu in a forked worker process that is the leader of its
 * own process group (so the `criu swrk` it starts is in that group). The
 * caller waits with a deadline; when it passes, the whole group is killed and
 * reaped and the call returns -ETIMEDOUT naming what timed out.
 *
 * CRIU_FAULT: on hosts where hardware breakpoints do not fire, criu needs
 * CRIU_FAULT=130 in its environment. How criu runs here (its binary and
 * CRIU_FAULT) is a struct cr_criu_service that every call is given: the
 * caller gets it from `corral check`'s cached host facts
 * (check/host_facts.h: cr_host_criu_service, which probes when the cache is
 * stale), so this folder needs nothing above it. $CORRAL_CRIU_FAULT, when
 * set (a number; 0 removes CRIU_FAULT), overrides the host facts, and with
 * it the binary is $CORRAL_CRIU or what cr_criu_locate finds.
 *
 * When CRIU fails, the error message carries the last "Error" lines of the
 * CRIU log file so the user sees why. */
#ifndef CORRAL_CRIU_CRIU_H
#define CORRAL_CRIU_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* The oldest CRIU Corral works with. */
#define CR_CRIU_MIN_MAJOR 4
#define CR_CRIU_MIN_MINOR 1

/* CRIU's fault-injection switch FI_NO_BREAKPOINTS: CRIU then single-steps
 * syscalls instead of setting hardware breakpoints. */
#define CR_CRIU_FAULT_VAR "CRIU_FAULT"
#define CR_CRIU_FAULT_NO_BREAKPOINTS "130"
#define CR_CRIU_FAULT_NO_BREAKPOINTS_CODE 130

/* How to start criu on this host. */
struct cr_criu_service {
	char *binary; /* heap: the criu binary */
	int fault;    /* CRIU_FAULT for criu: > 0 set it, 0 remove it, -1 leave it */
};

/* $CORRAL_CRIU_FAULT's override: when it is set (0..65535), 1 with *RET that
 * fault and the criu that cr_criu_locate finds; 0 when it is not set. */
int cr_criu_service_forced(struct cr_criu_service *ret, struct cr_error *err);
void cr_criu_service_free(struct cr_criu_service *s);
#define cleanup_criu_service __attribute__((cleanup(cr_criu_service_free)))

/* Defaults used when an options' timeout_ms is 0. */
#define CR_CRIU_DUMP_TIMEOUT_MS (300 * 1000)
#define CR_CRIU_RESTORE_TIMEOUT_MS (300 * 1000)
#define CR_CRIU_QUERY_TIMEOUT_MS (30 * 1000)

/* Log level when log_level is 0: CRIU's debug level (-v4). */
#define CR_CRIU_LOG_LEVEL_DEFAULT 4

enum cr_criu_netlock {
	CR_CRIU_NETLOCK_DEFAULT = 0, /* CRIU's own default (iptables) */
	CR_CRIU_NETLOCK_IPTABLES,
	CR_CRIU_NETLOCK_NFTABLES,
	CR_CRIU_NETLOCK_SKIP,
};

/* A KEY:VALUE pair (external mount map, veth pair, cgroup root). */
struct cr_criu_kv {
	const char *key;
	const char *value;
};

/* Options that dump and restore share. Only images_dir is required. */
struct cr_criu_common {
	/* How to run criu here; NULL only with $CORRAL_CRIU_FAULT set. */
	const struct cr_criu_service *service;
	const char *images_dir; /* directory of the CRIU images (must exist) */
	const char *work_dir;   /* where the log goes; NULL: images_dir */
	const char *log_file;   /* a plain file name in work_dir; NULL: dump.log / restore.log */
	/* On failure the log is copied to $ROOT/var/log/corral/KEEP_LOG_AS.<log>
	 * (the work directory usually goes with the failure); NULL: not kept. */
	const char *keep_log_as;
	int log_level;          /* 1..4; 0: CR_CRIU_LOG_LEVEL_DEFAULT; >= 3 with nftables */
	const char *root;       /* --root: the partition's root directory; NULL: none */
	int timeout_ms;         /* deadline of the whole call; 0: the default for the call */
	bool tcp_established;
	bool shell_job;
	bool file_locks;
	bool ext_unix_sk;
	bool link_remap;
	unsigned ghost_limit;   /* largest file unlinked while open kept in the images; 0: CRIU's 1 MiB */
	/* --ext-mount-map auto --enable-external-sharing --enable-external-masters */
	bool ext_mount_map_auto;
	bool manage_cgroups_ignore; /* --manage-cgroups=ignore */
	enum cr_criu_netlock network_lock;
	/* With network_lock NFTABLES, when criu lifts its lock a lock of the
	 * caller's takes over (the lock_network* hook of the dump or restore
	 * options, which must then be set: net/net_ckpt.h). Dump (leave_running,
	 * freeze_cgroup): it lasts until the cgroup thaws. Restore: until the
	 * caller lifts it (cr_net_resumed), so a restored tree kept Paused is as
	 * silent as a frozen one and can be ended without a word to its peers. */
	bool hold_network_lock;
	/* --empty-ns net: CRIU neither dumps the links, addresses, routes,
	 * rules and firewall of the tree's network namespace nor restores them
	 * (its sockets and its network lock it still does). On restore the
	 * root gets an empty namespace, which setup_network fills. */
	bool empty_netns;
	const struct cr_criu_kv *ext_mounts; /* --ext-mount-map KEY:VALUE */
	size_t n_ext_mounts;
	const char *const *externals; /* --external ARG ("mnt[KEY]:VAL", "dev[...]"...) */
	size_t n_externals;
	const char *const *skip_mounts; /* --skip-mnt PATH */
	size_t n_skip_mounts;
	/* --stream: CRIU writes (dump) or reads (restore) every image file
	 * through a streamer listening in images_dir (stream/capture.h,
	 * stream/serve.h); needs a CRIU whose RPC takes the option
	 * (cr_criu_features.stream). */
	bool stream;
	/* Dump: --tmpfs-plain-tar, each tmpfs as a plain tmpfs-dev-N.tar
	 * (scripts/criu-patches/0009). Only a CRIU whose feature check answers
	 * tmpfs_plain_tar restores that: set it only when every CRIU that will
	 * restore the dump has it (cr_criu_features.tmpfs_plain_tar). */
	bool tmpfs_plain_tar;
	/* > 0: a descriptor of the caller the worker closes at once (the
	 * streamer's listening socket: were the caller killed, criu must find
	 * nobody there rather than a socket nobody serves). */
	int worker_close_fd;
};

struct cr_criu_dump_opts {
	struct cr_criu_common common;
	pid_t pid;                 /* root of the tree to dump */
	bool leave_running;        /* keep the tree running after a successful dump */
	const char *freeze_cgroup; /* --freeze-cgroup: a freezer cgroup holding the tree */
	/* CRIU seizes the tree task by task (PTRACE_SEIZE of running tasks)
	 * instead of through freeze_cgroup, which is then only what the
	 * network lock's keeper watches. For a tree holding a stopped task:
	 * seizing a stopped task that the cgroup freezer holds never returns.
	 * HOOK (in the worker) is called with "pre-dump" right before CRIU
	 * seizes and "post-dump" once it has dumped, the tasks still seized;
	 * non-zero fails the dump (CRIU then resumes the tasks). */
	bool criu_seizes;
	int (*hook)(const char *stage, void *arg);
	void *hook_arg;
	/* Post-copy (> 0: set): dump everything but the memory contents, then
	 * serve the pages as CRIU's lazy page server over LAZY_PS_FD, a
	 * connected socket of the caller (criu gets it as --ps-socket; nothing
	 * listens). The call returns once every page was served (or the
	 * transfer failed: CRIU then resumes the tasks). IMAGES_READY_FD (> 0)
	 * gets one byte and is closed the moment the images are complete and
	 * the page server is about to start. */
	int lazy_ps_fd;
	int images_ready_fd;
	/* With common.hold_network_lock, called in the worker when criu is about
	 * to lift its network lock: lock PID's network until FREEZE_CGROUP thaws,
	 * watching from when DONE_FD reaches its end (cr_net_lock_until_thaw). */
	int (*lock_network_until_thaw)(pid_t pid, const char *freeze_cgroup, int done_fd,
				       struct cr_error *err);
};

/* Dump the tree rooted at O->pid into O->common.images_dir. When CRIU fails
 * it resumes the tasks itself. When the call times out, criu is killed: the
 * kernel detaches the frozen tasks and they run on (seen even mid parasite
 * injection), and with network_lock NFTABLES the lock table criu left in the
 * tree's network namespace is removed (the message says so). */
int cr_criu_dump(const struct cr_criu_dump_opts *o, struct cr_error *err);

/* A dump whose worker and `criu swrk` start ahead of it, before the freeze:
 * the exec, library loads and criu's start then stay out of the frozen
 * window. cr_criu_dump_ahead starts them for O as it is now: what the worker
 * hands criu must exist (the directories, lazy_ps_fd, images_ready_fd) and
 * CRIU_CONFIG_FILE is written before swrk starts; O and what it points to
 * must outlive the go. Should no go come within BOUND_MS, or this process
 * die, the worker and its swrk end. cr_criu_ahead_ready waits at most
 * TIMEOUT_MS until swrk waits for its request (its pid; -ETIMEDOUT: it
 * starts late, the call still works; another error: the worker ended, *AP
 * is cancelled and NULL). cr_criu_dump_go runs the dump as
 * cr_criu_dump would from then; cr_criu_ahead_cancel kills the worker and
 * swrk (NULL: nothing). Each of the two frees A. */
struct cr_criu_ahead;
/* Unless $CORRAL_CRIU_AHEAD is 0 (criu then starts inside the window, as
 * before: the benchmarks' comparison). */
bool cr_criu_ahead_wanted(void);
int cr_criu_dump_ahead(const struct cr_criu_dump_opts *o, int bound_ms, struct cr_criu_ahead **ret,
		       struct cr_error *err);
int cr_criu_ahead_ready(struct cr_criu_ahead **ap, int timeout_ms, pid_t *ret_swrk, struct cr_error *err);
int cr_criu_dump_go(struct cr_criu_ahead *a, struct cr_error *err);
void cr_criu_ahead_cancel(struct cr_criu_ahead *a);

/* After a dump of PID was cut short (its criu killed): remove the nftables
 * network lock ("inet CRIU-<run id>") that the criu run logged in LOG_PATH
 * left in PID's network namespace. cr_criu_dump does this itself on its own
 * timeouts. 1 when removed, 0 when there was none (or the namespace is
 * gone), negative when it could not be removed (no nft program...). */
int cr_criu_nft_unlock(pid_t pid, const char *log_path, struct cr_error *err);

/* A descriptor of the caller handed to the restored tree as
 * --inherit-fd fd[FD]:KEY. FD need not be inheritable; it is made so in the
 * worker only. */
struct cr_criu_inherit_fd {
	int fd;
	const char *key;
};

struct cr_criu_restore_opts {
	struct cr_criu_common common;
	/* The restored root becomes a child of the worker (criu_restore_child)
	 * rather than of criu; either way it is reparented when the worker
	 * exits: to the caller when the caller set PR_SET_CHILD_SUBREAPER,
	 * else to init. CRIU always restores detached through RPC. */
	bool restore_sibling;
	const struct cr_criu_inherit_fd *inherit_fds;
	size_t n_inherit_fds;
	const struct cr_criu_kv *veth_pairs; /* --veth-pair IN=OUT */
	size_t n_veth_pairs;
	const struct cr_criu_kv *cg_roots; /* --cgroup-root CTRL:PATH (CTRL may be NULL) */
	size_t n_cg_roots;
	/* Post-copy: memory is registered for page faults and served by a
	 * `criu lazy-pages` that already listens in the work directory. */
	bool lazy_pages;
	/* With common.hold_network_lock, called in the worker when criu is about
	 * to lift its network lock: lock the network of the restored root PID
	 * (cr_net_lock). */
	int (*lock_network)(pid_t pid, struct cr_error *err);
	/* With common.empty_netns, called in the worker once criu has made the
	 * restored root PID's namespaces (the network one empty, under criu's
	 * network lock when it has one), before any socket of the tree is
	 * restored: make its links, addresses and routes. An error fails the
	 * restore with its message. */
	int (*setup_network)(pid_t pid, void *arg, struct cr_error *err);
	void *setup_network_arg;
	/* When set, called in the worker once every task is restored and none
	 * runs restored code yet (criu's "post-restore"): an error makes criu
	 * kill the tree and fail the restore with its message. */
	int (*post_restore)(void *arg, struct cr_error *err);
	void *post_restore_arg;
};

/* Restore the tree in O->common.images_dir. *RET_PID is the restored root's
 * pid as seen from the caller's pid namespace; the root has its dumped session
 * and process group back (it is not in the worker's group). Images holding a
 * mount namespace need common.root (criu 4.1 crashes without it). When the
 * call times out, the tree criu had started is killed with the worker. */
int cr_criu_restore(const struct cr_criu_restore_opts *o, pid_t *ret_pid, struct cr_error *err);

/* A restore whose worker and `criu swrk` start ahead of its go (a restore
 * held until its images are there): as cr_criu_dump_ahead, with O as for
 * cr_criu_restore but O->lazy_pages a guess (swrk reads that at its start),
 * O->post_restore what the go may ask for, no stream (the go asks) and no
 * restore_sibling. cr_criu_restore_go: LATE says what the images need; when
 * their lazy_pages is not the guess, the worker and swrk are ended and the
 * restore starts its own criu. Both free A (cr_criu_ahead_cancel too). */
struct cr_criu_restore_late {
	bool lazy_pages;
	bool stream;
	bool post_restore;
};
int cr_criu_restore_ahead(const struct cr_criu_restore_opts *o, int bound_ms, struct cr_criu_ahead **ret,
			  struct cr_error *err);
int cr_criu_restore_go(struct cr_criu_ahead *a, const struct cr_criu_restore_late *late, pid_t *ret_pid,
		       struct cr_error *err);

/* The queries and the lazy-pages daemon below take SVC as common.service
 * does. */

/* Post-copy, on the destination: start `criu lazy-pages --page-server
 * --ps-socket PS_FD` for the lazy restore of partition NAME from IMAGES_DIR
 * (also its work directory) under a guard process (*RET_GUARD, a child of
 * the caller in a session of its own; OTHER_FD, the caller's end of the
 * page socket, is closed there). Returns once the daemon listens for
 * the restore. The guard keeps every userfaultfd the daemon receives and,
 * should the daemon end before every page arrived or the guard get SIGTERM,
 * kills every task of NAME's cgroup before the descriptors go: a task of the
 * partition never reads a zero page in place of a missing one. */
int cr_criu_lazy_daemon_start(const struct cr_criu_service *svc, const char *name, const char *images_dir,
			      int ps_fd, int other_fd, pid_t *ret_guard, struct cr_error *err);

/* The same daemon started early, before the images are there (the source
 * not frozen yet): IMAGES_DIR exists and is the directory the images are
 * put in later (the same inode). Needs a criu that reads the images only
 * when the restore connects (scripts/criu-patches/0008): another one ends at
 * once, and cr_criu_lazy_daemon_listening says so. The guard (*RET_GUARD,
 * a child) makes the page socket and offers its other end to the process
 * that will relay the pages (cr_criu_lazy_daemon_claim). Until it is
 * claimed, the guard ends with the caller's process, on SIGTERM, or after
 * CLAIM_MS, taking only the daemon (no task depends on it yet). */
int cr_criu_lazy_daemon_prepare(const struct cr_criu_service *svc, const char *name, const char *images_dir,
				int claim_ms, pid_t *ret_guard, struct cr_error *err);

/* Wait (at most TIMEOUT_MS) until GUARD's daemon listens in IMAGES_DIR; an
 * error when it ended first or did not listen in time (then ended). */
int cr_criu_lazy_daemon_listening(const char *name, const char *images_dir, pid_t guard, int timeout_ms,
				  struct cr_error *err);

/* Take over the daemon prepared in IMAGES_DIR (by another process): 1 with
 * its guard's pid and the relay's end of its page socket, 0 when none is
 * prepared there. From then on cr_criu_lazy_guard_wait of that guard works
 * in this process as for one it started (one per process). */
int cr_criu_lazy_daemon_claim(const char *images_dir, pid_t *ret_guard, int *ret_relay, struct cr_error *err);

/* Wait (at most TIMEOUT_MS, then SIGTERM: the copy is ended) for the guard:
 * 0 when every page arrived, else an error saying the copy was ended. */
int cr_criu_lazy_guard_wait(pid_t guard, int timeout_ms, struct cr_error *err);

/* End GUARD now (SIGTERM: it ends the copy when pages are missing) and wait
 * for it at most TIMEOUT_MS. A claimed guard is not this process's child:
 * its pid may be another process's once it ended, so it is signalled only
 * while its verdict's descriptor says it lives. */
void cr_criu_lazy_guard_stop(pid_t guard, int timeout_ms);

/* The version of the criu binary: major * 10000 + minor * 100 + sublevel. */
int cr_criu_get_version(const struct cr_criu_service *svc, int *ret_version, struct cr_error *err);

/* `criu check` (run by the worker: libcriu's check request does not work with
 * criu 4.1): 0 when CRIU can work on this host, else its output in ERR. */
int cr_criu_check(const struct cr_criu_service *svc, struct cr_error *err);

struct cr_criu_features {
	bool mem_track;  /* soft-dirty tracking: iterative pre-dump */
	bool lazy_pages; /* userfaultfd: post-copy restore */
	bool pidfd_store;
	bool stream; /* dump and restore requests take the stream option */
	bool tmpfs_plain_tar; /* dumps take tmpfs_plain_tar; restores read both forms (0009) */
};

int cr_criu_get_features(const struct cr_criu_service *svc, struct cr_criu_features *ret,
			 struct cr_error *err);

/* The criu binary: $CORRAL_CRIU when set, else the first executable criu on
 * $PATH, else in /usr/local/sbin, /usr/sbin, /sbin, /usr/local/bin, /usr/bin.
 * -ENOENT when there is none. */
int cr_criu_locate(char **ret_path, struct cr_error *err);

struct cr_criu_version {
	int major, minor, sublevel;
};

/* Parse the "Version: 4.1.1" line of `criu --version`. -EINVAL if absent. */
int cr_criu_parse_version(const char *text, struct cr_criu_version *ret, struct cr_error *err);

/* True when V is at least CR_CRIU_MIN_MAJOR.CR_CRIU_MIN_MINOR. */
bool cr_criu_version_ok(const struct cr_criu_version *v);

#endif
