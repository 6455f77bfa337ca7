/* A host's runner (fleet/runner.c) against a real etcd (run by
 * tests/integration/test_fleet_store.sh), with no manager at all: the
 * moves an evacuation let go ahead (NEXT, cap 2) start as the earlier ones
 * end, in the order they were let go, never more than the cap at once;
 * each outcome is recorded with its history entry and where the partition
 * came from, an origin already there kept (the first home, over a chain
 * of moves). The moves are a stand-in for corral (a script that notes its
 * start, how many run with it, and sleeps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "fleet/runner.h"
#include "fleet/task.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "live_store.h"

static const char *endpoints;
static char fleet[32];
static char dir[64];

/* The stand-in for corral: "corral movewpar -v P TO" notes "start P N PID"
 * (N: the moves running, itself included; PID: the order the runner
 * forked them in, as two started at once may write in either order) and
 * runs 0.3 s. */
static const char fake_corral[] = "#!/bin/sh\n"
				  "d=$(dirname \"$0\")\n"
				  "mkdir \"$d/run.$3\"\n"
				  "echo \"start $3 $(ls -d \"$d\"/run.* | wc -l) $$\" >>\"$d/events\"\n"
				  "sleep 0.3\n"
				  "rmdir \"$d/run.$3\"\n"
				  "echo 'downtime 5 ms'\n";

static void put_next(struct cr_etcd *e, const char *partition)
{
	struct cr_task t = {
		.partition = (char *)partition, .from = "h1", .to = "h2", .mode = CR_PLAN_LIVE, .kind = "evacuate",
		.evac = "h1", .by = "test", .state = CR_TASK_NEXT, .cap = 2, .downtime_ms = -1,
	};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_task_write(e, fleet, &t, NULL, 0, &err), 1);
}

static size_t count_under(struct cr_etcd *e, const char *what)
{
	cleanup_free char *prefix = NULL;
	cleanup_etcd_kvs struct cr_etcd_kvs kvs = {0};
	struct cr_error err = CR_ERROR_INIT;
	assert_true(asprintf(&prefix, "/corral/fleets/%s/%s", fleet, what) > 0);
	assert_int_equal(cr_etcd_list(e, prefix, &kvs, &err), 0);
	return kvs.n;
}

static void queued_moves_start_in_order_under_the_cap_without_a_manager(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = live_store(endpoints);
	struct cr_error err = CR_ERROR_INIT;
	/* p1 came to h1 from h0 earlier: its origin stays h0 */
	cleanup_free char *okey = NULL;
	assert_true(asprintf(&okey, "/corral/fleets/%s/origins/p1", fleet) > 0);
	assert_int_equal(cr_etcd_put(e, okey, "{\"home\":\"h0\"}", 0, &err), 0);
	/* let go in this order (their revisions), not the keys' */
	const char *order[] = {"p3", "p1", "p5", "p2", "p4"};
	for (size_t i = 0; i < 5; i++)
		put_next(e, order[i]);
	cleanup_free char *exe = NULL;
	assert_true(asprintf(&exe, "%s/corral", dir) > 0);
	struct cr_runner rn = {.corral_exe = exe};
	struct cr_fleet_conf c = {.fleet = fleet, .name = "h1"};
	size_t done = 0;
	for (int round = 0; round < 500 && done < 5; round++) {
		assert_int_equal(cr_runner_step(&rn, e, &c, &err), 0);
		struct cr_task *t = NULL;
		size_t n = 0;
		assert_int_equal(cr_task_list(e, fleet, "tasks/h1/", &t, &n, &err), 0);
		done = 0;
		for (size_t i = 0; i < n; i++)
			done += t[i].state == CR_TASK_DONE;
		cr_task_list_free(t, n);
		usleep(20 * 1000);
	}
	cr_runner_stop(&rn);
	assert_int_equal(done, 5);
	/* started in the order let go, two at a time, never three */
	cleanup_free char *events = NULL;
	assert_true(asprintf(&events, "%s/events", dir) > 0);
	FILE *f = fopen(events, "re");
	assert_non_null(f);
	struct {
		char name[16];
		int pid;
	} ev[6];
	int with = 0, most = 0;
	size_t k = 0;
	while (k < 6 && fscanf(f, "start %15s %d %d\n", ev[k].name, &with, &ev[k].pid) == 3) {
		most = with > most ? with : most;
		k++;
	}
	fclose(f);
	assert_int_equal(k, 5);
	assert_int_equal(most, 2);
	for (size_t i = 0; i < 5; i++) {
		size_t first = i; /* the i-th forked */
		for (size_t m = i + 1; m < 5; m++)
			if (ev[m].pid < ev[first].pid)
				first = m;
		ev[5] = ev[i];
		ev[i] = ev[first];
		ev[first] = ev[5];
		assert_string_equal(ev[i].name, order[i]);
	}
	/* recorded: a history entry each, origins put where absent, p1's kept */
	assert_int_equal(count_under(e, "history/"), 5);
	assert_int_equal(count_under(e, "origins/"), 5);
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	assert_int_equal(cr_etcd_get(e, okey, &kv, &err), 1);
	assert_string_equal(kv.value, "{\"home\":\"h0\"}");
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/corral-runner-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("CORRAL_ROOT", dir, 1);
	char path[128];
	snprintf(path, sizeof path, "%s/corral", dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fputs(fake_corral, f);
	fclose(f);
	return chmod(path, 0755);
}

static int teardown(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	int r = cr_rm_rf(dir, &err);
	cr_error_clear(&err);
	return r < 0 ? -1 : 0;
}

int main(void)
{
	endpoints = getenv("ETCD_ENDPOINTS");
	if (!endpoints) {
		fprintf(stderr, "ETCD_ENDPOINTS is not set: run through test_fleet_store.sh\n");
		return 77;
	}
	snprintf(fleet, sizeof fleet, "runner%d", getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queued_moves_start_in_order_under_the_cap_without_a_manager),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
