/* This host's load for the fleet: CPU use averaged over CR_LOAD_AVERAGE_S
 * and memory in use. */
#ifndef CORRAL_FLEET_LOAD_H
#define CORRAL_FLEET_LOAD_H

#include <stdint.h>

#define CR_LOAD_AVERAGE_S 60.0

struct cr_load {
	double cpu;          /* 0..1 of all CPUs, averaged */
	int cpus;
	uint64_t mem_used, mem_total; /* bytes */
	uint64_t last_busy, last_total; /* the previous /proc/stat sample */
	unsigned samples;
};

/* Take a sample PERIOD_S seconds after the previous one; the first sample
 * only sets the baseline (cpu stays 0). -EIO when /proc cannot be read. */
int cr_load_sample(struct cr_load *l, double period_s);

#endif
