/* This host's load for the fleet: CPU use averaged over CR_LOAD_AVERAGE_S
 * and memory in use. */
#ifndef CORRAL_FLEET_LOAD_H
#define CORRAL_FLEET_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_LOAD_AVERAGE_S 60.0

struct cr_load {
	double cpu;          /* 0..1 of all CPUs, averaged */
	double cpu_now;      /* 0..1 of all CPUs over the last interval */
	int cpus;
	uint64_t mem_used, mem_total; /* bytes */
	uint64_t last_busy, last_total; /* the previous /proc/stat sample */
	unsigned samples;
};

/* Take a sample PERIOD_S seconds after the previous one; the first sample
 * only sets the baseline (cpu stays 0). -EIO when /proc cannot be read. */
int cr_load_sample(struct cr_load *l, double period_s);

/* The partitions' share of it: CPU (0..1 of the host's CPUs, over the last
 * interval, from their cgroups' usage) and memory, by name. */
struct cr_part_sample {
	char name[64];
	int64_t cpu_ns, at_ns; /* the cgroup's usage and when it was read */
	double cpu;
	uint64_t mem;
	bool seen;
};

struct cr_part_load {
	struct cr_part_sample *s;
	size_t n;
};

/* Read the partition NAME's cgroup now; its sample (kept for the next). */
const struct cr_part_sample *cr_part_load_sample(struct cr_part_load *pl, const char *name, int cpus);
/* Forget partitions not sampled since the last call. */
void cr_part_load_sweep(struct cr_part_load *pl);
void cr_part_load_free(struct cr_part_load *pl);

#endif
