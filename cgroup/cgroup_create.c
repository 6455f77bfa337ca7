/* Making a partition's group in one hierarchy, level by level, with the
 * set-up each layout needs before a task can join: on v1 a cpuset group
 * copies cpuset.cpus and cpuset.mems from its parent; on cgroup2 each parent
 * enables our controllers in cgroup.subtree_control (one write per
 * controller, so one the host refuses does not stop the others; a control
 * that then lacks its controller is refused by cr_cgroup_apply). */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/log.h"

/* Controllers a partition uses on cgroup2. */
#define V2_WANTED (CR_CG_CPU | CR_CG_CPUSET | CR_CG_MEMORY | CR_CG_PIDS | CR_CG_IO)

/* Copy cpuset.cpus and cpuset.mems from PARENT when empty in DIR: a v1
 * cpuset group takes no task before both are set. */
static int init_cpuset(const char *parent, const char *dir, struct cr_error *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *cur = NULL, *from = NULL;
		int r = cg_read(dir, files[i], &cur, err);
		if (r == 0 && cur[0] == '\0') {
			r = cg_read(parent, files[i], &from, err);
			if (r == 0)
				r = cg_write(dir, files[i], from, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Enable in DIR's subtree_control the controllers we use that DIR has. */
static void enable_subtree(const char *dir)
{
	cleanup_free char *on = NULL;
	unsigned want = cg_v2_listed(dir) & V2_WANTED;
	if (cg_read(dir, "cgroup.subtree_control", &on, NULL) == 0)
		want &= ~cg_parse_v2_list(on);
	for (int i = 0; i < CG_NCTRL; i++) {
		if (!(want & (1u << i)))
			continue;
		char value[32];
		snprintf(value, sizeof(value), "+%s", cg_ctrl_name(1u << i, true));
		struct cr_error e = CR_ERROR_INIT;
		if (cg_write(dir, "cgroup.subtree_control", value, &e) < 0)
			cr_debug("not enabling %s: %s", value, cr_error_msg(&e));
		cr_error_clear(&e);
	}
}

/* mkdir MOUNT/PARENT/NAME level by level with each level's set-up. */
int cg_create_levels(const struct cr_cgroup *cg, const struct cg_hier *h, struct cr_error *err)
{
	cleanup_free char *rel = NULL;
	if (asprintf(&rel, "%s/%s", cg->parent, cg->name) < 0)
		return cr_error_set(err, ENOMEM, "out of memory creating %s", h->dir);
	cleanup_free char *cur = strdup(h->mount);
	if (!cur)
		return cr_error_set(err, ENOMEM, "out of memory creating %s", h->dir);
	if (h->v2)
		enable_subtree(cur);
	char *save = NULL;
	for (char *c = strtok_r(rel, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		char *next = NULL;
		if (asprintf(&next, "%s/%s", cur, c) < 0)
			return cr_error_set(err, ENOMEM, "out of memory creating %s", h->dir);
		cleanup_free char *prev = cur;
		cur = next;
		if (mkdir(cur, 0755) < 0 && errno != EEXIST)
			return cr_error_errno(err, "cannot create group %s", cur);
		if (!h->v2 && (h->ctrls & CR_CG_CPUSET)) {
			int r = init_cpuset(prev, cur, err);
			if (r < 0)
				return r;
		}
		if (h->v2 && strcmp(cur, h->dir) != 0)
			enable_subtree(cur);
	}
	return 0;
}
