/* Usage figures of a partition: memory, tasks and CPU time, from whichever
 * of v1 and cgroup2 holds each controller. */
#include "cgroup/cgroup_internal.h"

#include "util/cleanup.h"

int cr_cgroup_stats(struct cr_cgroup *cg, struct cr_cgroup_stats *ret, struct cr_error *err)
{
	struct cr_cgroup_stats s = {-1, -1, -1};
	struct cg_hier *h = cg_find(cg, CR_CG_MEMORY);
	if (h)
		(void)cg_read_i64(h->dir, h->v2 ? "memory.current" : "memory.usage_in_bytes",
				  &s.memory_bytes, NULL);
	h = cg_find(cg, CR_CG_CPUACCT);
	if (h && !h->v2)
		(void)cg_read_i64(h->dir, "cpuacct.usage", &s.cpu_usage_ns, NULL);
	else if (h && cg_read_key(h->dir, "cpu.stat", "usage_usec", &s.cpu_usage_ns, NULL) == 0)
		s.cpu_usage_ns *= 1000;
	h = cg_find(cg, CR_CG_PIDS);
	if (!h || cg_read_i64(h->dir, "pids.current", &s.nprocs, NULL) < 0) {
		cleanup_free pid_t *pids = NULL;
		size_t n = 0;
		int r = cg_list_pids(cg_task_hier(cg)->dir, &pids, &n, err);
		if (r < 0)
			return cr_error_wrap(err, "statistics of %s", cg->name);
		s.nprocs = (int64_t)n;
	}
	*ret = s;
	return 0;
}
