/* A partition's groups across hierarchies: naming, opening or creating them
 * (the set-up is in cgroup_create.c), lookup by controller, and attach.
 * The groups are PARENT/NAME in every hierarchy, PARENT being "corral" or
 * $CORRAL_CGROUP_PARENT. */
#include "cgroup/cgroup_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/paths.h"

#define DEFAULT_PARENT "corral"

/* One path component S (LEN bytes) of a cgroup path (util/paths.h says which are). */
static int check_component(const char *what, const char *s, size_t len, struct cr_error *err)
{
	if (cr_path_component_check(s, len, err) < 0)
		return cr_error_wrap(err, "invalid cgroup %s", what);
	return 0;
}

static int check_names(const char *parent, const char *name, struct cr_error *err)
{
	int r = check_component("name", name, name ? strlen(name) : 0, err);
	for (const char *p = parent; r == 0;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		r = check_component("parent", p, len, err);
		if (!e)
			break;
		p = e + 1;
	}
	return r;
}

static void hier_free(struct cg_hier *h)
{
	free(h->mount);
	free(h->dir);
}

void cr_cgroup_free(struct cr_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_hier; i++)
		hier_free(&cg->hier[i]);
	free(cg->hier);
	free(cg->name);
	free(cg->parent);
	free(cg);
}

static void cgroup_freep(struct cr_cgroup **cg)
{
	cr_cgroup_free(*cg);
}

static int add_hier(struct cr_cgroup *cg, const char *mount, unsigned ctrls, bool v2)
{
	struct stat st, other;
	bool have_st = stat(mount, &st) == 0;
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct cg_hier *h = &cg->hier[i];
		/* co-mounted controllers (cpu,cpuacct) share one hierarchy, maybe
		 * under two names (the cpu -> cpu,cpuacct symlink) */
		if (strcmp(h->mount, mount) == 0 ||
		    (have_st && !v2 && !h->v2 && stat(h->mount, &other) == 0 &&
		     other.st_dev == st.st_dev && other.st_ino == st.st_ino)) {
			h->ctrls |= ctrls;
			return 0;
		}
	}
	struct cg_hier *nh = realloc(cg->hier, (cg->n_hier + 1) * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	cg->hier = nh;
	struct cg_hier *h = &nh[cg->n_hier];
	memset(h, 0, sizeof(*h));
	h->mount = strdup(mount);
	if (!h->mount || asprintf(&h->dir, "%s/%s/%s", mount, cg->parent, cg->name) < 0) {
		hier_free(h);
		return -ENOMEM;
	}
	h->ctrls = ctrls;
	h->v2 = v2;
	cg->n_hier++;
	return 0;
}

/* What a cgroup2 group offers: its cgroup.controllers, cpu.stat, and the
 * freezer when cgroup.freeze exists. */
static unsigned v2_group_ctrls(const char *dir)
{
	unsigned mask = CR_CG_CPUACCT | cg_v2_listed(dir);
	if (cg_has(dir, "cgroup.freeze"))
		mask |= CR_CG_FREEZER;
	return mask;
}

static int build_hiers(struct cr_cgroup *cg, const struct cg_mounts *m)
{
	for (int i = 0; i < CG_NCTRL; i++)
		if (m->v1_mount[i] && add_hier(cg, m->v1_mount[i], 1u << i, false) < 0)
			return -ENOMEM;
	if (m->layout.unified_path[0] && add_hier(cg, m->layout.unified_path, 0, true) < 0)
		return -ENOMEM;
	return 0;
}

int cg_open_with(const struct cg_mounts *m, const char *parent, const char *name, bool create,
		 struct cr_cgroup **ret, struct cr_error *err)
{
	int r = check_names(parent, name, err);
	if (r < 0)
		return r;
	__attribute__((cleanup(cgroup_freep))) struct cr_cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg || !(cg->name = strdup(name)) || !(cg->parent = strdup(parent)) ||
	    build_hiers(cg, m) < 0)
		return cr_error_set(err, ENOMEM, "out of memory opening the groups of %s", name);
	cg->layout = m->layout;

	size_t kept = 0;
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct cg_hier *h = &cg->hier[i];
		if (create) {
			r = cg_create_levels(cg, h, err);
			if (r < 0)
				return cr_error_wrap(err, "creating the groups of %s", name);
		} else if (!cg_has(h->dir, ".")) {
			hier_free(h);
			continue;
		}
		if (h->v2)
			h->ctrls |= v2_group_ctrls(h->dir);
		cg->hier[kept++] = *h;
	}
	cg->n_hier = kept;
	if (kept == 0)
		return cr_error_set(err, ENOENT, "partition %s has no cgroup under %s/%s", name,
				    m->layout.mount_root, parent);
	*ret = steal_pointer(&cg);
	return 0;
}

static const char *parent_name(void)
{
	const char *p = getenv("CORRAL_CGROUP_PARENT");
	return p && *p ? p : DEFAULT_PARENT;
}

static int open_or_create(const char *name, bool create, struct cr_cgroup **ret,
			  struct cr_error *err)
{
	struct cg_mounts m;
	int r = cg_mounts_detect(&m, err);
	if (r < 0)
		return r;
	r = cg_open_with(&m, parent_name(), name, create, ret, err);
	cg_mounts_clear(&m);
	return r;
}

int cr_cgroup_create(const char *name, struct cr_cgroup **ret, struct cr_error *err)
{
	return open_or_create(name, true, ret, err);
}

int cr_cgroup_open(const char *name, struct cr_cgroup **ret, struct cr_error *err)
{
	return open_or_create(name, false, ret, err);
}

struct cg_hier *cg_find(const struct cr_cgroup *cg, unsigned bit)
{
	/* v1 hierarchies come first: in the hybrid layout they hold the
	 * controllers, the cgroup2 group only what v1 lacks */
	for (size_t i = 0; i < cg->n_hier; i++)
		if (cg->hier[i].ctrls & bit)
			return &cg->hier[i];
	return NULL;
}

struct cg_hier *cg_task_hier(const struct cr_cgroup *cg)
{
	static const unsigned order[] = {CR_CG_FREEZER, CR_CG_PIDS, CR_CG_MEMORY, CR_CG_CPU};
	if (cg->layout.mode == CR_CGROUP_V2)
		return &cg->hier[0];
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct cg_hier *h = cg_find(cg, order[i]);
		if (h)
			return h;
	}
	return &cg->hier[0];
}

unsigned cr_cgroup_controllers(const struct cr_cgroup *cg)
{
	unsigned mask = 0;
	for (size_t i = 0; i < cg->n_hier; i++)
		mask |= cg->hier[i].ctrls;
	return mask;
}

const char *cr_cgroup_dir(const struct cr_cgroup *cg, unsigned controller)
{
	if (controller == 0) {
		for (size_t i = 0; i < cg->n_hier; i++)
			if (cg->hier[i].v2)
				return cg->hier[i].dir;
		return cg_task_hier(cg)->dir;
	}
	struct cg_hier *h = cg_find(cg, controller);
	return h ? h->dir : NULL;
}

int cr_cgroup_attach(struct cr_cgroup *cg, pid_t pid, struct cr_error *err)
{
	char value[32];
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < cg->n_hier; i++) {
		int r = cg_write(cg->hier[i].dir, "cgroup.procs", value, err);
		if (r < 0)
			return cr_error_wrap(err, "moving pid %d into the groups of %s", (int)pid,
					     cg->name);
	}
	return 0;
}
