/* Placement: where each partition of a host being emptied goes. A pure
 * function of what the store says about the hosts (capabilities, load,
 * domain, state) and the partitions (memory, checkpointable, evacuation
 * setting, anti-affinity group); it decides, it writes nothing. */
#ifndef CORRAL_FLEET_PLAN_H
#define CORRAL_FLEET_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Memory a target keeps free beyond what it takes on. */
#define CR_PLAN_MEM_MARGIN (64ull << 20)
/* Free memory within 1/CR_PLAN_MEM_TIE of each other counts as equal: the
 * plan then spreads its partitions over such hosts (fewest sent there
 * first), and CPU headroom breaks what is left. */
#define CR_PLAN_MEM_TIE 32

struct cr_plan_host {
	const char *name, *domain;
	bool available;      /* online and taking placements (not evacuating) */
	const char *arch, *criu, *cgroup;
	const char *const *cpu_features;
	size_t n_cpu_features;
	double cpu;          /* 0..1 of its CPUs */
	int cpus;
	uint64_t mem_used, mem_total;
	const char *const *groups; /* anti-affinity groups of the partitions it runs */
	size_t n_groups;
};

enum cr_plan_mode {
	CR_PLAN_LIVE,   /* movewpar: with its processes */
	CR_PLAN_STATIC, /* movewpar --static: stopped, moved, started there */
	CR_PLAN_STOP,   /* stopped here (its setting says so) */
	CR_PLAN_STAY,   /* left running here (its setting says so) */
	CR_PLAN_NONE,   /* should move, but no host can take it: see reason */
};

struct cr_plan_partition {
	const char *name;
	bool checkpointable, running;
	uint64_t mem;         /* bytes in use (0: unknown) */
	const char *evacuate; /* live, static, stop, stay; NULL: live when checkpointable, else static */
	const char *group;    /* anti-affinity group; NULL: none */
};

struct cr_plan_choice {
	enum cr_plan_mode mode;
	const char *to;   /* a host's name from the input (LIVE, STATIC) */
	char reason[200]; /* why (every mode: "least loaded compatible host", "no host ...") */
};

const char *cr_plan_mode_name(enum cr_plan_mode m);

/* Choose for each of PARTS (on host SRC) a target among HOSTS (SRC among
 * them is skipped), restricted to ONLY_TO when N_TO > 0: the same domain,
 * available, compatible (live: same architecture and cgroup mode, CRIU,
 * every CPU feature of SRC), with room for its memory, without a partition
 * of its group; the one with the most memory left, then CPU left. Larger
 * partitions are placed first; each placement counts for the next.
 * RET holds N_PARTS choices in the order of PARTS. */
int cr_plan_evacuation(const struct cr_plan_host *src, const struct cr_plan_host *hosts, size_t n_hosts,
		       const char *const *only_to, size_t n_to, const struct cr_plan_partition *parts,
		       size_t n_parts, struct cr_plan_choice *ret, struct cr_error *err);

#endif
