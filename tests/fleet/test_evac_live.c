/* Evacuation requests (fleet/evacuation.c) against a real etcd (run by
 * tests/integration/test_fleet_store.sh): a new evacuation of a host
 * clears EVERY final task an earlier evacuation or restore of that host
 * left, not only the first (a task left "done" would count its partition
 * as already moved, and the host would read evacuated while it still runs
 * it); tasks still running and those of other hosts' evacuations stay.
 * Cancelling an evacuation (fleet/evac_cancel.c): the record and every
 * task let go but not claimed (go, or next: let go ahead) turn cancelled
 * in one write; a running move
 * and the queued ones (the manager's) are left; a repeat is no error; one
 * that ended, one of the other kind, or none is refused and changes
 * nothing; a restore is cancelled as a restore. */
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
	assert_int_equal(cr_task_write(e, fleet, &t, NULL, 0, &err), 1);
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

static enum cr_task_state state_of(struct cr_etcd *e, const char *from, const char *partition)
{
	struct cr_task *t = NULL;
	size_t n = 0;
	struct cr_error err = CR_ERROR_INIT;
	enum cr_task_state st = CR_TASK_QUEUED;
	bool found = false;
	assert_int_equal(cr_task_list(e, fleet, "tasks/", &t, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].from, from) && !strcmp(t[i].partition, partition)) {
			st = t[i].state;
			found = true;
		}
	cr_task_list_free(t, n);
	assert_true(found);
	return st;
}

static void a_cancel_stops_what_was_let_go(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = live_store(endpoints);
	struct cr_fleet_conf c = {.fleet = fleet, .name = "b"};
	struct cr_error err = CR_ERROR_INIT;
	size_t running = 99;
	assert_int_equal(cr_evac_cancel(e, &c, "d", "evacuate", "test", &running, &err), -ENOENT);
	cr_error_clear(&err);
	assert_int_equal(cr_evac_request(e, &c, "d", 2, NULL, 0, "test", &err), 0);
	put_task(e, "d", "p1", "d", "evacuate", CR_TASK_DONE);
	put_task(e, "d", "p2", "d", "evacuate", CR_TASK_RUNNING);
	put_task(e, "d", "p3", "d", "evacuate", CR_TASK_GO);
	put_task(e, "d", "p4", "d", "evacuate", CR_TASK_QUEUED);
	put_task(e, "d", "p6", "d", "evacuate", CR_TASK_NEXT); /* let go ahead */
	put_task(e, "e", "p5", "e", "evacuate", CR_TASK_GO); /* another host's */
	assert_int_equal(cr_evac_cancel(e, &c, "d", "evacuate", "op", &running, &err), 0);
	assert_int_equal(running, 1);
	assert_int_equal(state_of(e, "d", "p1"), CR_TASK_DONE);
	assert_int_equal(state_of(e, "d", "p2"), CR_TASK_RUNNING);
	assert_int_equal(state_of(e, "d", "p3"), CR_TASK_CANCELLED);
	assert_int_equal(state_of(e, "d", "p4"), CR_TASK_QUEUED);
	assert_int_equal(state_of(e, "d", "p6"), CR_TASK_CANCELLED);
	assert_int_equal(state_of(e, "e", "p5"), CR_TASK_GO);
	struct cr_evac v = {0};
	assert_int_equal(cr_evac_get(e, fleet, "d", &v, &err), 1);
	assert_string_equal(v.status, "running"); /* until the running move ends */
	assert_non_null(v.cancel_by);
	assert_string_equal(v.cancel_by, "op");
	assert_true(v.cancelled > 0);
	int64_t rev = v.mod_revision;
	cr_evac_free(&v);
	/* a repeat: no error, nothing rewritten */
	assert_int_equal(cr_evac_cancel(e, &c, "d", "evacuate", "again", &running, &err), 0);
	assert_int_equal(cr_evac_get(e, fleet, "d", &v, &err), 1);
	assert_int_equal(v.mod_revision, rev);
	assert_string_equal(v.cancel_by, "op");
	cr_evac_free(&v);
	/* a restore is not cancelled, nor an evacuation that ended */
	cleanup_free char *key = NULL;
	assert_int_equal(cr_evac_key(fleet, "d", &key, &err), 0);
	struct cr_etcd_op ended = {CR_ETCD_OP_PUT, key,
				   "{\"host\":\"d\",\"kind\":\"evacuate\",\"status\":\"done\",\"parallel\":1}", 0};
	assert_int_equal(cr_etcd_txn(e, NULL, 0, &ended, 1, &err), 1);
	assert_int_equal(cr_evac_cancel(e, &c, "d", "evacuate", "op", &running, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "has ended (done)"));
	cr_error_clear(&err);
	struct cr_etcd_op restoring = {CR_ETCD_OP_PUT, key,
				       "{\"host\":\"d\",\"kind\":\"restore\",\"status\":\"running\",\"parallel\":1}", 0};
	assert_int_equal(cr_etcd_txn(e, NULL, 0, &restoring, 1, &err), 1);
	assert_int_equal(cr_evac_cancel(e, &c, "d", "evacuate", "op", &running, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "being restored, not evacuated"));
	cr_error_clear(&err);
	assert_int_equal(cr_evac_get(e, fleet, "d", &v, &err), 1);
	assert_null(v.cancel_by);
	cr_evac_free(&v);
	/* the restore is cancelled as a restore */
	assert_int_equal(cr_evac_cancel(e, &c, "d", "restore", "op", &running, &err), 0);
	assert_int_equal(cr_evac_get(e, fleet, "d", &v, &err), 1);
	assert_string_equal(v.kind, "restore");
	assert_non_null(v.cancel_by);
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
		cmocka_unit_test(a_cancel_stops_what_was_let_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
