/* Control groups for partitions, on cgroup v1, v2 and the hybrid layout.
 * The only code that touches /sys/fs/cgroup. Each partition gets a group named
 * corral/NAME in every hierarchy it uses. */
#ifndef CORRAL_CGROUP_H
#define CORRAL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/config.h"
#include "util/error.h"

enum cr_cgroup_mode {
	CR_CGROUP_V1,     /* only v1 hierarchies */
	CR_CGROUP_V2,     /* the unified hierarchy at the cgroup root */
	CR_CGROUP_HYBRID, /* v1 controllers plus a (usually empty) cgroup2 */
};

enum cr_cgroup_controller {
	CR_CG_CPU = 1 << 0,
	CR_CG_CPUACCT = 1 << 1,
	CR_CG_CPUSET = 1 << 2,
	CR_CG_MEMORY = 1 << 3,
	CR_CG_PIDS = 1 << 4,
	CR_CG_FREEZER = 1 << 5, /* v1 freezer controller, or v2 cgroup.freeze */
	CR_CG_IO = 1 << 6,      /* v1 blkio, v2 io */
	CR_CG_DEVICES = 1 << 7,
};

struct cr_cgroup_layout {
	enum cr_cgroup_mode mode;
	char mount_root[256];    /* usually /sys/fs/cgroup */
	char unified_path[256];  /* cgroup2 mount point, "" if none */
	unsigned v1_controllers; /* controllers on v1 hierarchies */
	unsigned v2_controllers; /* controllers usable on cgroup2 */
};

/* Find out how cgroups are laid out on this host. */
int cr_cgroup_layout_detect(struct cr_cgroup_layout *ret, struct cr_error *err);

/* "v1", "v2" or "hybrid". */
const char *cr_cgroup_mode_name(enum cr_cgroup_mode mode);

/* Comma-separated names of the controllers in MASK ("cpu,memory,pids"). */
void cr_cgroup_controllers_str(unsigned mask, char *buf, size_t size);

struct cr_cgroup; /* a partition's groups across hierarchies */

/* Create (or reuse) corral/NAME everywhere it is needed. */
int cr_cgroup_create(const char *name, struct cr_cgroup **ret, struct cr_error *err);
/* Open existing groups; -ENOENT if there are none. */
int cr_cgroup_open(const char *name, struct cr_cgroup **ret, struct cr_error *err);
void cr_cgroup_free(struct cr_cgroup *cg);

/* Move PID into every group of CG. */
int cr_cgroup_attach(struct cr_cgroup *cg, pid_t pid, struct cr_error *err);

/* Apply resource controls; works on a running partition (chwpar). An unset
 * value resets that control to unlimited / default. */
int cr_cgroup_apply(struct cr_cgroup *cg, const struct cr_resources *res, struct cr_error *err);

/* Freeze every task and wait until frozen (or time out: -ETIMEDOUT, thawed again). */
int cr_cgroup_freeze(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err);
int cr_cgroup_thaw(struct cr_cgroup *cg, struct cr_error *err);
/* 1 if frozen, 0 if not. */
int cr_cgroup_is_frozen(struct cr_cgroup *cg, struct cr_error *err);

/* The pids in CG (heap array). */
int cr_cgroup_pids(struct cr_cgroup *cg, pid_t **ret_pids, size_t *ret_n, struct cr_error *err);

/* Send SIG to every task (thaws first for SIGKILL). SIGKILL uses cgroup.kill
 * where there is one, else freeze / kill / thaw rounds for up to 2 s. */
int cr_cgroup_kill_all(struct cr_cgroup *cg, int sig, struct cr_error *err);

/* Kill what is left, wait up to TIMEOUT_MS for it to go, remove the groups.
 * Groups already removed are fine; on -ETIMEDOUT the groups are kept. */
int cr_cgroup_destroy(struct cr_cgroup *cg, int timeout_ms, struct cr_error *err);

struct cr_cgroup_stats {
	int64_t memory_bytes;  /* -1 if unknown */
	int64_t nprocs;        /* tasks now */
	int64_t cpu_usage_ns;  /* -1 if unknown */
};
int cr_cgroup_stats(struct cr_cgroup *cg, struct cr_cgroup_stats *ret, struct cr_error *err);

/* Controllers usable in CG's groups (a mask of CR_CG_* values). */
unsigned cr_cgroup_controllers(const struct cr_cgroup *cg);

/* The group directory serving CONTROLLER (one CR_CG_* value), NULL if none.
 * For 0: the cgroup2 group when there is one (for cgroup namespaces and
 * CLONE_INTO_CGROUP), else the v1 group whose cgroup.procs lists the tasks. */
const char *cr_cgroup_dir(const struct cr_cgroup *cg, unsigned controller);

#endif
