/* Evacuation requests (fleet/evacuation.c) against a real etcd (run by
 * tests/integration/test_fleet_store.sh): a new evacuation of a host
 * clears EVERY final task an earlier evacuation or restore of that host
 * left, not only the first (a task left "done" would count its partition
 * as already moved, and the host would read evacuated while it still runs
 * it); tasks still running and those of other hosts' evacuations stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/evacuation.h"
#include "fleet/task.h"
#include "util/cleanup.h"
#include "live_store.h"

static const char *endpoints;
static char fleet[32];


static void put_task(struct cr_etcd *e, const char *from, const char *partition, const char *evac,
		     const char *kind, enum cr_task_state state)
{
	struct cr_task t = {
		.partition = (char *)partition, .from = (char *)from, .to = "b", .mode = CR_PLAN_LIVE,
		.kind = (char *)kind, .evac = (char *)evac, .state = state, .downtime_ms = -1,
	};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_task_write(e, fleet, &t, NULL, &err), 1);
}

/* "FROM/PARTITION" of every task, sorted by key, space-separated. */
static char *tasks_left(struct cr_etcd *e)
{
	struct cr_task *t = NULL;
	size_t n = 0;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_task_list(e, fleet, "tasks/", &t, &n, &err), 0);
	char *out = strdup("");
	for (size_t i = 0; i < n; i++) {
		char *g = NULL;
		assert_true(asprintf(&g, "%s%s%s/%s", out, *out ? " " : "", t[i].from, t[i].partition) > 0);
		free(out);
		out = g;
	}
	cr_task_list_free(t, n);
	return out;
}

static void a_new_evacuation_clears_every_final_task(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = live_store(endpoints);
	/* what an evacuation of a and the restore after it left */
	put_task(e, "a", "s1", "a", "evacuate", CR_TASK_DONE);
	put_task(e, "a", "s2", "a", "evacuate", CR_TASK_DONE);
	put_task(e, "a", "s3", "a", "evacuate", CR_TASK_FAILED);
	put_task(e, "a", "s4", "a", "evacuate", CR_TASK_SKIPPED);
	put_task(e, "b", "s1", "a", "restore", CR_TASK_DONE);
	put_task(e, "c", "s2", "a", "restore", CR_TASK_DONE);
	/* not ours to clear: a move still running, another host's evacuation */
	put_task(e, "c", "s5", "a", "restore", CR_TASK_RUNNING);
	put_task(e, "c", "s6", "c", "evacuate", CR_TASK_DONE);
	struct cr_fleet_conf c = {.fleet = fleet, .name = "b"};
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_evac_request(e, &c, "a", 2, NULL, 0, "test", &err), 0);
	cleanup_free char *left = tasks_left(e);
	assert_string_equal(left, "c/s5 c/s6");
	struct cr_evac v = {0};
	assert_int_equal(cr_evac_get(e, fleet, "a", &v, &err), 1);
	assert_string_equal(v.status, "running");
	cr_evac_free(&v);
}

int main(void)
{
	endpoints = getenv("ETCD_ENDPOINTS");
	if (!endpoints) {
		fprintf(stderr, "ETCD_ENDPOINTS is not set: run through test_fleet_store.sh\n");
		return 77;
	}
	snprintf(fleet, sizeof fleet, "evac%d", getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_new_evacuation_clears_every_final_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
