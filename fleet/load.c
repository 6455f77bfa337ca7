/* This host's load as the fleet sees it: CPU use averaged over about a
 * minute (an exponential average of /proc/stat samples) and memory in use
 * (MemTotal - MemAvailable). */
#define LOG_PREFIX "fleet: "
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fleet/load.h"
#include "util/cleanup.h"

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
