/* Internals shared by the cgroup/cgroup_*.c files (not a public API).
 * Unit tests include it to build groups on a fake tree in a temporary
 * directory, which exercises the file writes without root. */
#ifndef CORRAL_CGROUP_INTERNAL_H
#define CORRAL_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

#define CG_NCTRL 8 /* the CR_CG_* bits are 1 << 0 .. 1 << 7 */
#define CG_ALL_CTRLS ((1u << CG_NCTRL) - 1)

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* Where the hierarchies are: the public layout plus the mount point of each
 * v1 controller (co-mounted controllers share one). */
struct cg_mounts {
	struct cr_cgroup_layout layout;
	char *v1_mount[CG_NCTRL]; /* indexed by bit number, NULL when absent */
};

/* One hierarchy in which the partition has a group. */
struct cg_hier {
	char *mount;    /* the hierarchy's root directory */
	char *dir;      /* the partition's group: MOUNT/PARENT/NAME */
	unsigned ctrls; /* CR_CG_* served by this group */
	bool v2;        /* a cgroup2 hierarchy */
};

struct cr_cgroup {
	char *name;
	char *parent; /* "corral" or $CORRAL_CGROUP_PARENT, relative to each mount */
	struct cr_cgroup_layout layout;
	struct cg_hier *hier;
	size_t n_hier;
};

/* cgroup_layout.c */
int cg_mounts_detect(struct cg_mounts *ret, struct cr_error *err);
void cg_mounts_clear(struct cg_mounts *m);
/* The kernel's name for controller BIT (a single CR_CG_* value). */
const char *cg_ctrl_name(unsigned bit, bool v2);
/* Parse a space-separated v2 controller list ("cpu io memory pids"). */
unsigned cg_parse_v2_list(const char *list);
/* Record in M the v1 mounts below ROOT of the ENABLED controllers that the
 * /proc/self/mountinfo TEXT shows (TEXT is cut into lines in place). */
int cg_scan_mountinfo(struct cg_mounts *m, char *text, const char *root, unsigned enabled);
/* The controllers in DIR/cgroup.controllers, 0 if unreadable. */
unsigned cg_v2_listed(const char *dir);

/* cgroup.c */
/* Build the groups of NAME under PARENT in the hierarchies of M, creating
 * them when CREATE (else -ENOENT when none exists). */
int cg_open_with(const struct cg_mounts *m, const char *parent, const char *name, bool create,
		 struct cr_cgroup **ret, struct cr_error *err);
/* cgroup_create.c: mkdir H's group of CG with each level's set-up. */
int cg_create_levels(const struct cr_cgroup *cg, const struct cg_hier *h, struct cr_error *err);
/* The group serving controller BIT, or NULL. */
struct cg_hier *cg_find(const struct cr_cgroup *cg, unsigned bit);
/* The group whose cgroup.procs lists the partition's tasks. */
struct cg_hier *cg_task_hier(const struct cr_cgroup *cg);

/* cgroup_fs.c: small file operations on DIR/FILE. */
int cg_write(const char *dir, const char *file, const char *value, struct cr_error *err);
int cg_read(const char *dir, const char *file, char **ret, struct cr_error *err);
int cg_read_i64(const char *dir, const char *file, int64_t *ret, struct cr_error *err);
/* The value of KEY in a "key value" file (cpu.stat, cgroup.events). */
int cg_read_key(const char *dir, const char *file, const char *key, int64_t *ret,
		struct cr_error *err);
bool cg_has(const char *dir, const char *file);
/* Every pid in DIR/cgroup.procs and in the groups below DIR. */
int cg_list_pids(const char *dir, pid_t **ret_pids, size_t *ret_n, struct cr_error *err);
/* rmdir DIR and the groups below it, deepest first; a missing DIR is fine. */
int cg_rmdir_tree(const char *dir, struct cr_error *err);
void cg_sleep_ms(int ms);

/* cgroup_resources.c: the translation of struct cr_resources. */
struct cg_host {
	long ncpu;            /* online CPUs */
	int64_t ram;          /* bytes of physical memory */
	const char *all_cpus; /* v1: the parent's cpuset.cpus, to reset rset */
};

struct cg_setting {
	unsigned ctrl;     /* the CR_CG_* controller owning FILE */
	const char *file;  /* "memory.max" */
	const char *value; /* points into NUM or at the resources' strings */
	bool required;     /* a limit was asked for: a missing file is an error */
	char num[32];
};

#define CG_MAX_SETTINGS 12

/* Compute the control-file values for RES on a v1 or v2 group. */
int cg_plan(const struct cr_resources *res, bool v2, const struct cg_host *host,
	    struct cg_setting out[CG_MAX_SETTINGS], size_t *ret_n, struct cr_error *err);

#endif
