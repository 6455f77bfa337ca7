/* Placement of an evacuated host's partitions (fleet/plan.c): the least
 * loaded compatible host in the domain, anti-affinity, memory room, --to,
 * live vs static, the partitions' own settings, and a reason for every
 * partition that cannot move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleet/plan.h"

#define GiB (1ull << 30)
static const char *const feats[] = {"sse4_2", "avx2"};
static const char *const fewer[] = {"sse4_2"};

static struct cr_plan_host host(const char *name, uint64_t used)
{
	return (struct cr_plan_host){.name = name, .domain = "default", .available = true, .arch = "x86_64",
				     .criu = "4.1.1", .cgroup = "v2", .cpu_features = feats, .n_cpu_features = 2,
				     .cpu = 0.2, .cpus = 2, .mem_used = used, .mem_total = 8 * GiB};
}

static struct cr_plan_partition part(const char *name, uint64_t mem)
{
	return (struct cr_plan_partition){.name = name, .checkpointable = true, .running = true, .mem = mem};
}

static void least_loaded_and_placements_count(void **state)
{
	(void)state;
	struct cr_plan_host h[] = {host("src", 1 * GiB), host("b", 4 * GiB), host("c", 2 * GiB)};
	struct cr_plan_partition p[] = {part("small", GiB / 2), part("big", 3 * GiB)};
	struct cr_plan_choice ch[2];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 3, NULL, 0, p, 2, ch, &err), 0);
	/* big goes first, to c (most room); then small: c has 6-3=3 GiB free, b 4: b */
	assert_int_equal(ch[1].mode, CR_PLAN_LIVE);
	assert_string_equal(ch[1].to, "c");
	assert_string_equal(ch[0].to, "b");
}

static void compatibility_and_domain(void **state)
{
	(void)state;
	struct cr_plan_host h[] = {host("src", 0), host("arm", 0), host("old", 0), host("far", 0), host("off", 0),
				   host("ok", 7 * GiB)};
	h[1].arch = "aarch64";
	h[2].cpu_features = fewer;
	h[2].n_cpu_features = 1;
	h[3].domain = "other";
	h[4].available = false;
	struct cr_plan_partition p[] = {part("live", GiB / 4), part("cold", GiB / 4)};
	p[1].checkpointable = false;
	struct cr_plan_choice ch[2];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 6, NULL, 0, p, 2, ch, &err), 0);
	assert_string_equal(ch[0].to, "ok"); /* only ok can take it live */
	assert_int_equal(ch[1].mode, CR_PLAN_STATIC);
	/* static: arm and old qualify (same domain, available) and have more room */
	assert_true(!strcmp(ch[1].to, "arm") || !strcmp(ch[1].to, "old"));
}

static void anti_affinity_room_and_to(void **state)
{
	(void)state;
	const char *const g[] = {"db"};
	struct cr_plan_host h[] = {host("src", 0), host("b", 0), host("c", 0)};
	h[1].groups = g;
	h[1].n_groups = 1;
	struct cr_plan_partition p[] = {part("db1", GiB), part("db2", GiB), part("huge", 20 * GiB)};
	p[0].group = p[1].group = "db";
	struct cr_plan_choice ch[3];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 3, NULL, 0, p, 3, ch, &err), 0);
	/* b runs db already: one db goes to c, the other nowhere */
	int placed = (ch[0].mode == CR_PLAN_LIVE) + (ch[1].mode == CR_PLAN_LIVE);
	assert_int_equal(placed, 1);
	const struct cr_plan_choice *none = ch[0].mode == CR_PLAN_NONE ? &ch[0] : &ch[1];
	assert_non_null(strstr(none->reason, "anti-affinity"));
	assert_int_equal(ch[2].mode, CR_PLAN_NONE);
	assert_non_null(strstr(ch[2].reason, "room"));

	const char *const only[] = {"b"};
	struct cr_plan_partition q[] = {part("x", GiB)};
	assert_int_equal(cr_plan_evacuation(&h[0], h, 3, only, 1, q, 1, ch, &err), 0);
	assert_string_equal(ch[0].to, "b");
}

static void settings_stay_stop_static(void **state)
{
	(void)state;
	struct cr_plan_host h[] = {host("src", 0), host("b", 0)};
	struct cr_plan_partition p[] = {part("s", 0), part("t", 0), part("u", 0), part("v", 0)};
	p[0].evacuate = "stay";
	p[1].evacuate = "stop";
	p[2].evacuate = "static";
	p[3].running = false;
	struct cr_plan_choice ch[4];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 2, NULL, 0, p, 4, ch, &err), 0);
	assert_int_equal(ch[0].mode, CR_PLAN_STAY);
	assert_null(ch[0].to);
	assert_int_equal(ch[1].mode, CR_PLAN_STOP);
	assert_int_equal(ch[2].mode, CR_PLAN_STATIC);
	assert_string_equal(ch[2].to, "b");
	assert_int_equal(ch[3].mode, CR_PLAN_STATIC);
}

/* Hosts with about as much room (within 1/32) share the plan: four small
 * partitions go two and two, not all to the one with a few MiB more free;
 * a host clearly emptier still takes them all. */
static void near_equal_hosts_share_the_plan(void **state)
{
	(void)state;
	struct cr_plan_host h[] = {host("src", 1 * GiB), host("b", 2 * GiB + (8ull << 20)), host("c", 2 * GiB)};
	struct cr_plan_partition p[] = {part("p1", 1 << 20), part("p2", 1 << 20), part("p3", 1 << 20),
					part("p4", 1 << 20)};
	struct cr_plan_choice ch[4];
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 3, NULL, 0, p, 4, ch, &err), 0);
	int to_b = 0;
	for (int i = 0; i < 4; i++)
		to_b += ch[i].to && !strcmp(ch[i].to, "b");
	assert_int_equal(to_b, 2);
	h[2].mem_used = 4 * GiB; /* c: 4 GiB free against b's 6: not a tie */
	assert_int_equal(cr_plan_evacuation(&h[0], h, 3, NULL, 0, p, 4, ch, &err), 0);
	for (int i = 0; i < 4; i++)
		assert_string_equal(ch[i].to, "b");
}

/* 1,000 partitions over 100 hosts: a bound that catches a quadratic
 * blow-up, not a benchmark (bench/fleet_plan measures). */
static void a_thousand_over_a_hundred(void **state)
{
	(void)state;
	static struct cr_plan_host h[101];
	static struct cr_plan_partition p[1000];
	static struct cr_plan_choice ch[1000];
	static char names[1101][16];
	static const char *groups[10] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"};
	for (int i = 0; i <= 100; i++) {
		snprintf(names[i], 16, "h%d", i);
		h[i] = host(names[i], (uint64_t)(i % 7) * GiB / 2);
		h[i].mem_total = 64 * GiB;
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(names[101 + i], 16, "p%d", i);
		p[i] = part(names[101 + i], (uint64_t)(i % 13 + 1) << 24);
		p[i].group = i % 3 ? NULL : groups[i % 10];
	}
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_plan_evacuation(&h[0], h, 101, NULL, 0, p, 1000, ch, &err), 0);
	int placed = 0;
	for (int i = 0; i < 1000; i++)
		placed += ch[i].mode == CR_PLAN_LIVE;
	assert_true(placed > 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(least_loaded_and_placements_count),
		cmocka_unit_test(compatibility_and_domain),
		cmocka_unit_test(anti_affinity_room_and_to),
		cmocka_unit_test(settings_stay_stop_static),
		cmocka_unit_test(near_equal_hosts_share_the_plan),
		cmocka_unit_test(a_thousand_over_a_hundred),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
