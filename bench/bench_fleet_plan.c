/* bench_fleet_plan ENDPOINTS [ROUNDS]: placement decisions for 1,000
 * partitions over 100 hosts, recorded in etcd: the plan (fleet/plan.c) and
 * one put of it as the evacuation's plan record, timed together, ROUNDS
 * times (default 7); prints the median and the slowest in ms beside the
 * issue's goal (under 100 ms) and a bare put of the same bytes (the store's
 * own part of it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/etcd.h"
#include "fleet/plan.h"

#define HOSTS 100
#define PARTS 1000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *plan_json(const struct cr_plan_partition *p, const struct cr_plan_choice *ch, size_t n)
{
	size_t cap = n * 320 + 16, len = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	len += (size_t)snprintf(out + len, cap - len, "[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s{\"p\":\"%s\",\"mode\":\"%s\",\"to\":\"%s\",\"why\":\"%s\"}",
					i ? "," : "", p[i].name, cr_plan_mode_name(ch[i].mode), ch[i].to ? ch[i].to : "",
					ch[i].reason);
	snprintf(out + len, cap - len, "]");
	return out;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_fleet_plan ENDPOINTS [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (rounds < 1 || rounds > 100)
		rounds = 7;
	static const char *const feats[] = {"sse4_2", "avx2", "aes"};
	static const char *const groups[10] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"};
	static struct cr_plan_host h[HOSTS + 1];
	static struct cr_plan_partition p[PARTS];
	static struct cr_plan_choice ch[PARTS];
	static char names[HOSTS + 1 + PARTS][16];
	for (int i = 0; i <= HOSTS; i++) {
		snprintf(names[i], 16, "host%d", i);
		h[i] = (struct cr_plan_host){.name = names[i], .domain = "default", .available = true, .arch = "x86_64",
					     .criu = "4.1.1", .cgroup = "v2", .cpu_features = feats, .n_cpu_features = 3,
					     .cpu = (i % 10) / 20.0, .cpus = 16, .mem_used = (uint64_t)(i % 9) << 30,
					     .mem_total = 64ull << 30};
	}
	for (int i = 0; i < PARTS; i++) {
		snprintf(names[HOSTS + 1 + i], 16, "part%d", i);
		p[i] = (struct cr_plan_partition){.name = names[HOSTS + 1 + i], .checkpointable = i % 4 != 0,
						  .running = true, .mem = (uint64_t)(i % 17 + 1) << 24,
						  .group = i % 5 ? NULL : groups[i % 10]};
	}
	struct cr_etcd_options o = {.endpoints = argv[1], .timeout_ms = 5000};
	struct cr_etcd *e = NULL;
	struct cr_error err = CR_ERROR_INIT;
	if (cr_etcd_open(&o, &e, &err) < 0) {
		fprintf(stderr, "bench_fleet_plan: %s\n", cr_error_msg(&err));
		return 1;
	}
	double both[100], put_only[100];
	size_t bytes = 0;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ms();
		if (cr_plan_evacuation(&h[0], h, HOSTS + 1, NULL, 0, p, PARTS, ch, &err) < 0)
			break;
		char *json = plan_json(p, ch, PARTS);
		if (!json || cr_etcd_put(e, "/corral-bench/fleets/b/evacuations/host0/plan", json, 0, &err) < 0) {
			free(json);
			break;
		}
		both[r] = now_ms() - t0;
		bytes = strlen(json);
		double t1 = now_ms();
		if (cr_etcd_put(e, "/corral-bench/fleets/b/evacuations/host0/plan", json, 0, &err) < 0) {
			free(json);
			break;
		}
		put_only[r] = now_ms() - t1;
		free(json);
	}
	if (err.code) {
		fprintf(stderr, "bench_fleet_plan: %s\n", cr_error_msg(&err));
		cr_etcd_close(e);
		return 1;
	}
	cr_etcd_delete(e, "/corral-bench/fleets/b/evacuations/host0/plan", &err);
	cr_etcd_close(e);
	qsort(both, (size_t)rounds, sizeof(double), cmp_double);
	qsort(put_only, (size_t)rounds, sizeof(double), cmp_double);
	int placed = 0;
	for (int i = 0; i < PARTS; i++)
		placed += ch[i].to != NULL;
	printf("placement of %d partitions over %d hosts (%d placed), recorded in etcd as one %zu-byte record:\n", PARTS,
	       HOSTS, placed, bytes);
	printf("  plan + put: median %.1f ms, slowest %.1f ms of %d rounds (goal: under 100 ms)\n", both[rounds / 2],
	       both[rounds - 1], rounds);
	printf("  the put alone (baseline): median %.1f ms; plan + put is %.2fx it\n", put_only[rounds / 2],
	       both[rounds / 2] / (put_only[rounds / 2] > 0 ? put_only[rounds / 2] : 1));
	printf("%s\n", both[rounds / 2] < 100 ? "goal met" : "goal NOT met");
	return 0;
}
