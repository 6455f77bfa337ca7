/* This host's load as the fleet sees it: CPU use averaged over about a
 * minute (an exponential average of /proc/stat samples) and memory in use
 * (MemTotal - MemAvailable). */
#define LOG_PREFIX "fleet: "
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

#include "fleet/load.h"
#include "util/cleanup.h"
#include "util/clock.h"

static int read_cpu(uint64_t *ret_busy, uint64_t *ret_total)
{
	cleanup_fclose FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[10] = {0};
	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			 &v[4], &v[5], &v[6], &v[7]) != 8)
		return -EIO;
	uint64_t total = 0;
	for (int i = 0; i < 8; i++)
		total += v[i];
	*ret_total = total;
	*ret_busy = total - v[3] - v[4]; /* less idle and iowait */
	return 0;
}

static int read_mem(uint64_t *ret_used, uint64_t *ret_total)
{
	cleanup_fclose FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long total = 0, avail = 0, v;
	if (!f)
		return -EIO;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
			total = v;
		else if (sscanf(line, "MemAvailable: %llu kB", &v) == 1)
			avail = v;
	}
	if (!total)
		return -EIO;
	*ret_total = (uint64_t)total * 1024;
	*ret_used = (uint64_t)(total - (avail < total ? avail : total)) * 1024;
	return 0;
}

int cr_load_sample(struct cr_load *l, double period_s)
{
	uint64_t busy, total;
	int r = read_cpu(&busy, &total);
	if (r == 0)
		r = read_mem(&l->mem_used, &l->mem_total);
	if (r < 0)
		return r;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	l->cpus = n > 0 ? (int)n : 1;
	if (l->samples > 0 && total > l->last_total) {
		double now = (double)(busy - l->last_busy) / (double)(total - l->last_total);
		l->cpu_now = now;
		/* The weight of a sample taken PERIOD_S after the last one in a
		 * one-minute average. */
		double w = l->samples == 1 ? 1.0 : 1.0 - exp(-period_s / CR_LOAD_AVERAGE_S);
		l->cpu = l->cpu + w * (now - l->cpu);
	}
	l->last_busy = busy;
	l->last_total = total;
	l->samples++;
	return 0;
}

const struct cr_part_sample *cr_part_load_sample(struct cr_part_load *pl, const char *name, int cpus)
{
	struct cr_part_sample *p = NULL;
	for (size_t i = 0; i < pl->n && !p; i++)
		if (!strcmp(pl->s[i].name, name))
			p = &pl->s[i];
	if (!p) {
		struct cr_part_sample *g = realloc(pl->s, (pl->n + 1) * sizeof(*g));
		if (!g)
			return NULL;
		pl->s = g;
		p = &g[pl->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof p->name, "%s", name);
		p->cpu_ns = -1;
	}
	struct cr_cgroup *cg = NULL;
	struct cr_cgroup_stats st = {-1, 0, -1};
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	int64_t now = cr_now_ns();
	if (cr_cgroup_open(name, &cg, &err) == 0) {
		if (cr_cgroup_stats(cg, &st, &err) < 0)
			st = (struct cr_cgroup_stats){-1, 0, -1};
		cr_cgroup_free(cg);
	}
	p->mem = st.memory_bytes > 0 ? (uint64_t)st.memory_bytes : 0;
	if (st.cpu_usage_ns >= 0 && p->cpu_ns >= 0 && now > p->at_ns && st.cpu_usage_ns >= p->cpu_ns)
		p->cpu = (double)(st.cpu_usage_ns - p->cpu_ns) / ((double)(now - p->at_ns) * (cpus > 0 ? cpus : 1));
	else
		p->cpu = 0;
	p->cpu_ns = st.cpu_usage_ns;
	p->at_ns = now;
	p->seen = true;
	return p;
}

void cr_part_load_sweep(struct cr_part_load *pl)
{
	size_t k = 0;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->s[i].seen) {
			pl->s[i].seen = false;
			pl->s[k++] = pl->s[i];
		}
	pl->n = k;
}

void cr_part_load_free(struct cr_part_load *pl)
{
	free(pl->s);
	pl->s = NULL;
	pl->n = 0;
}
