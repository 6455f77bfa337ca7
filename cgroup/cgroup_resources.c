/* The translation of struct cr_resources (the AIX -R controls) into cgroup
 * control files, and cr_cgroup_apply. Each control is written every time, so
 * an unset value resets the file to its default and chwpar can both tighten
 * and lift limits on a running partition.
 *
 *   shares_CPU S        v1 cpu.shares = clamp(S * 1024 / 100, 2, 262144)
 *                       v2 cpu.weight = clamp(S, 1, 10000)
 *                       (S = 100, the usual AIX value, is the Linux default)
 *   CPU hardmax H%      v1 cpu.cfs_period_us = 100000,
 *                          cpu.cfs_quota_us = ncpu * 100000 * H / 100
 *                       v2 cpu.max = "<that quota> 100000"
 *                       (a share of ALL online host CPUs, like AIX)
 *   memory hardmax H%,  the smaller of H% of host RAM and memoryLimit:
 *   memoryLimit B       v1 memory.limit_in_bytes, v2 memory.max
 *   memory softmax S%   v1 memory.soft_limit_in_bytes, v2 memory.high
 *   memory min M%       v2 memory.low (v1 has no protection: ignored)
 *   totalProcesses P,   pids.max = min(P, T): the pids controller counts
 *   totalThreads T      tasks, i.e. threads, so both bound the same number
 *   rset "0-1"          cpuset.cpus (reset: v1 the parent's CPUs, v2 "")
 *
 * Not cgroup controls: procVirtMem is a per-process RLIMIT_AS that the
 * partition's init sets before it execs; CPU min% and softmax% and
 * shares_memory have no Linux equivalent and are accepted but not enforced.
 * "active = no" applies nothing: every control is reset to its default. */
#define LOG_PREFIX "cgroup: "
#include "cgroup/cgroup_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#define CFS_PERIOD_US 100000

struct plan {
	struct cg_setting *out;
	size_t n;
};

static struct cg_setting *add(struct plan *p, unsigned ctrl, const char *file, bool required)
{
	struct cg_setting *s = &p->out[p->n++];
	memset(s, 0, sizeof(*s));
	s->ctrl = ctrl;
	s->file = file;
	s->required = required;
	s->value = s->num;
	return s;
}

static void add_num(struct plan *p, unsigned ctrl, const char *file, bool set, int64_t v,
		    const char *unset_value)
{
	struct cg_setting *s = add(p, ctrl, file, set);
	if (set)
		snprintf(s->num, sizeof(s->num), "%" PRId64, v);
	else
		s->value = unset_value;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static bool is_set(int64_t v)
{
	return v != CR_UNSET;
}

/* A percentage from LOW to 100 (a hard maximum of 0% would stop everything). */
static int check_pct(const char *what, int v, int low, struct cr_error *err)
{
	if (v != CR_UNSET && (v < low || v > 100))
		return cr_error_set(err, EINVAL, "%s must be %d..100%%, not %d", what, low, v);
	return 0;
}

static int check(const struct cr_resources *res, struct cr_error *err)
{
	int r = check_pct("CPU hardmax", res->cpu_hardmax, 1, err);
	if (r == 0)
		r = check_pct("memory hardmax", res->memory_hardmax, 1, err);
	if (r == 0)
		r = check_pct("memory softmax", res->memory_softmax, 0, err);
	if (r == 0)
		r = check_pct("memory min", res->memory_min, 0, err);
	if (r == 0 && res->cpu_shares != CR_UNSET && res->cpu_shares < 1)
		r = cr_error_set(err, EINVAL, "shares_CPU must be positive, not %d",
				 res->cpu_shares);
	if (r == 0 && ((is_set(res->memory_limit) && res->memory_limit < 1) ||
		       (is_set(res->total_processes) && res->total_processes < 1) ||
		       (is_set(res->total_threads) && res->total_threads < 1)))
		r = cr_error_set(err, EINVAL, "negative or zero resource limit");
	if (r == 0 && res->rset && strspn(res->rset, "0123456789,-") != strlen(res->rset))
		r = cr_error_set(err, EINVAL, "rset '%s' is not a CPU list like 0-1,3",
				 res->rset);
	return r;
}

static int64_t pct_of(int64_t total, int pct)
{
	return total / 100 * pct + total % 100 * pct / 100;
}

static void plan_cpu(struct plan *p, const struct cr_resources *res, bool v2,
		     const struct cg_host *host)
{
	bool shares = res->cpu_shares != CR_UNSET;
	if (v2)
		add_num(p, CR_CG_CPU, "cpu.weight", shares, clamp64(res->cpu_shares, 1, 10000),
			"100");
	else
		add_num(p, CR_CG_CPU, "cpu.shares", shares,
			clamp64((int64_t)res->cpu_shares * 1024 / 100, 2, 262144), "1024");

	bool hard = res->cpu_hardmax != CR_UNSET;
	int64_t quota = clamp64((int64_t)host->ncpu * CFS_PERIOD_US * res->cpu_hardmax / 100,
				1000, INT64_MAX / 2);
	if (v2) {
		struct cg_setting *s = add(p, CR_CG_CPU, "cpu.max", hard);
		if (hard)
			snprintf(s->num, sizeof(s->num), "%" PRId64 " %d", quota, CFS_PERIOD_US);
		else
			snprintf(s->num, sizeof(s->num), "max %d", CFS_PERIOD_US);
	} else {
		if (hard) /* else the period stays as it is */
			add_num(p, CR_CG_CPU, "cpu.cfs_period_us", true, CFS_PERIOD_US, NULL);
		add_num(p, CR_CG_CPU, "cpu.cfs_quota_us", hard, quota, "-1");
	}
}

static void plan_memory(struct plan *p, const struct cr_resources *res, bool v2,
			const struct cg_host *host)
{
	int64_t limit = CR_UNSET;
	if (res->memory_hardmax != CR_UNSET)
		limit = pct_of(host->ram, res->memory_hardmax);
	if (is_set(res->memory_limit) && (limit == CR_UNSET || res->memory_limit < limit))
		limit = res->memory_limit;
	const char *unlimited = v2 ? "max" : "-1";
	add_num(p, CR_CG_MEMORY, v2 ? "memory.max" : "memory.limit_in_bytes", limit != CR_UNSET,
		limit, unlimited);

	bool soft = res->memory_softmax != CR_UNSET;
	add_num(p, CR_CG_MEMORY, v2 ? "memory.high" : "memory.soft_limit_in_bytes", soft,
		pct_of(host->ram, res->memory_softmax), unlimited);
	if (v2)
		add_num(p, CR_CG_MEMORY, "memory.low", res->memory_min != CR_UNSET,
			pct_of(host->ram, res->memory_min), "0");
}

int cg_plan(const struct cr_resources *res, bool v2, const struct cg_host *host,
	    struct cg_setting out[CG_MAX_SETTINGS], size_t *ret_n, struct cr_error *err)
{
	struct cr_resources none;
	cr_resources_init(&none);
	if (!res->active)
		res = &none;
	int r = check(res, err);
	if (r < 0)
		return r;
	struct plan p = {out, 0};
	plan_cpu(&p, res, v2, host);
	plan_memory(&p, res, v2, host);

	int64_t tasks = res->total_processes;
	if (is_set(res->total_threads) && (!is_set(tasks) || res->total_threads < tasks))
		tasks = res->total_threads;
	add_num(&p, CR_CG_PIDS, "pids.max", is_set(tasks), tasks, "max");

	struct cg_setting *s = add(&p, CR_CG_CPUSET, "cpuset.cpus", res->rset != NULL);
	s->value = res->rset ? res->rset : v2 ? "" : host->all_cpus;
	if (!s->value)
		p.n--; /* v1 without the parent's list: leave the CPUs alone */
	*ret_n = p.n;
	return 0;
}

static int host_info(struct cg_host *host)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (ncpu < 1 || pages < 1 || psize < 1)
		return -EIO;
	host->ncpu = ncpu;
	host->ram = (int64_t)pages * psize;
	return 0;
}

/* The CPUs of the parent of a v1 cpuset group, to undo an rset. */
static char *v1_parent_cpus(const struct cg_hier *h)
{
	cleanup_free char *parent = strdup(h->dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	if (!slash)
		return NULL;
	*slash = '\0';
	char *cpus = NULL;
	if (cg_read(parent, "cpuset.cpus", &cpus, NULL) < 0)
		return NULL;
	return cpus;
}

static int write_setting(struct cr_cgroup *cg, const struct cg_setting *s, struct cr_error *err)
{
	struct cg_hier *h = cg_find(cg, s->ctrl);
	if (!h || (!s->required && !cg_has(h->dir, s->file))) {
		if (s->required)
			return cr_error_set(err, ENOTSUP,
					    "%s needs the %s controller, which partition %s lacks",
					    s->file, cg_ctrl_name(s->ctrl, false), cg->name);
		return 0;
	}
	return cg_write(h->dir, s->file, s->value, err);
}

/* Write the settings of PLAN whose controller lives on a V2 (or v1) group. */
static int apply_plan(struct cr_cgroup *cg, const struct cg_setting *plan, size_t n, bool v2,
		      struct cr_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct cg_hier *h = cg_find(cg, plan[i].ctrl);
		if ((h ? h->v2 : cg->layout.mode == CR_CGROUP_V2) != v2)
			continue;
		int r = write_setting(cg, &plan[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cr_cgroup_apply(struct cr_cgroup *cg, const struct cr_resources *res, struct cr_error *err)
{
	struct cg_host host = {0, 0, NULL};
	if (host_info(&host) < 0)
		return cr_error_set(err, EIO, "cannot find the host's CPUs and memory");
	cleanup_free char *all_cpus = NULL;
	struct cg_hier *cs = cg_find(cg, CR_CG_CPUSET);
	if (cs && !cs->v2)
		host.all_cpus = all_cpus = v1_parent_cpus(cs);

	/* each controller is on a v1 or a cgroup2 group: plan both, write each
	 * setting where its controller is */
	struct cg_setting plan_v1[CG_MAX_SETTINGS], plan_v2[CG_MAX_SETTINGS];
	size_t n1 = 0, n2 = 0;
	int r = cg_plan(res, false, &host, plan_v1, &n1, err);
	if (r == 0)
		r = cg_plan(res, true, &host, plan_v2, &n2, err);
	if (r == 0)
		r = apply_plan(cg, plan_v1, n1, false, err);
	if (r == 0)
		r = apply_plan(cg, plan_v2, n2, true, err);
	if (r < 0)
		return cr_error_wrap(err, "applying resource controls to %s", cg->name);
	return 0;
}
