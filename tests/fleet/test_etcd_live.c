/* The etcd client against a real etcd cluster (tests/integration/
 * test_fleet_store.sh starts three members and runs this program in phases):
 *   all       every member up: keys, prefixes, transactions, leases, and a
 *             dead endpoint ahead of the live ones in the list;
 *   degraded  one member stopped: reads and writes still go through;
 *   down      every member stopped: each call fails within its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet/etcd.h"
#include "util/cleanup.h"

static const char *endpoints;

static struct cr_etcd *open_store(const char *list, int timeout_ms)
{
	struct cr_etcd_options o = {.endpoints = list, .timeout_ms = timeout_ms};
	struct cr_etcd *e = NULL;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	int r = cr_etcd_open(&o, &e, &err);
	if (r < 0)
		fail_msg("open: %s", cr_error_msg(&err));
	return e;
}

static char *unique(const char *what)
{
	char *k = NULL;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	assert_true(asprintf(&k, "/corral-test/%d-%ld-%ld/%s", getpid(), (long)ts.tv_sec, ts.tv_nsec, what) > 0);
	return k;
}

static void put_get_list_delete(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *prefix = unique("dir/"), *a = NULL, *b = NULL;
	assert_true(asprintf(&a, "%sa", prefix) > 0 && asprintf(&b, "%sb", prefix) > 0);
	const char *odd = "line one\nline \"two\"\t\xc3\xa9";
	assert_int_equal(cr_etcd_put(e, a, odd, 0, &err), 0);
	assert_int_equal(cr_etcd_put(e, b, "", 0, &err), 0);
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	assert_int_equal(cr_etcd_get(e, a, &kv, &err), 1);
	assert_string_equal(kv.value, odd);
	assert_int_equal(kv.value_len, strlen(odd));
	assert_true(kv.mod_revision > 0);
	assert_int_equal(kv.version, 1);

	cleanup_etcd_kvs struct cr_etcd_kvs all = {0};
	assert_int_equal(cr_etcd_list(e, prefix, &all, &err), 0);
	assert_int_equal(all.n, 2);
	assert_string_equal(all.kv[0].key, a);
	assert_string_equal(all.kv[1].key, b);
	assert_string_equal(all.kv[1].value, "");
	assert_true(all.revision >= kv.mod_revision);

	assert_int_equal(cr_etcd_delete(e, a, &err), 1);
	assert_int_equal(cr_etcd_delete(e, a, &err), 0);
	cleanup_etcd_kv struct cr_etcd_kv gone = {0};
	assert_int_equal(cr_etcd_get(e, a, &gone, &err), 0);
	assert_int_equal(cr_etcd_delete(e, b, &err), 1);
}

static void txn_compares_revisions(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *owner = unique("owner"), *hist = unique("history");
	struct cr_etcd_cmp absent = {owner, 0};
	struct cr_etcd_op claim[] = {{CR_ETCD_OP_PUT, owner, "hosta", 0}, {CR_ETCD_OP_PUT, hist, "1", 0}};
	/* Only the first of two creators wins. */
	assert_int_equal(cr_etcd_txn(e, &absent, 1, claim, 2, &err), 1);
	assert_int_equal(cr_etcd_txn(e, &absent, 1, claim, 1, &err), 0);

	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	assert_int_equal(cr_etcd_get(e, owner, &kv, &err), 1);
	assert_string_equal(kv.value, "hosta");
	/* A hand-over with the revision read wins once; a stale one loses. */
	struct cr_etcd_cmp seen = {owner, kv.mod_revision};
	struct cr_etcd_op to_b = {CR_ETCD_OP_PUT, owner, "hostb", 0};
	struct cr_etcd_op to_c = {CR_ETCD_OP_PUT, owner, "hostc", 0};
	assert_int_equal(cr_etcd_txn(e, &seen, 1, &to_b, 1, &err), 1);
	assert_int_equal(cr_etcd_txn(e, &seen, 1, &to_c, 1, &err), 0);
	cleanup_etcd_kv struct cr_etcd_kv now = {0};
	assert_int_equal(cr_etcd_get(e, owner, &now, &err), 1);
	assert_string_equal(now.value, "hostb");

	struct cr_etcd_cmp cur = {owner, now.mod_revision};
	struct cr_etcd_op del[] = {{CR_ETCD_OP_DELETE, owner, NULL, 0}, {CR_ETCD_OP_DELETE, hist, NULL, 0}};
	assert_int_equal(cr_etcd_txn(e, &cur, 1, del, 2, &err), 1);
	cleanup_etcd_kv struct cr_etcd_kv after = {0};
	assert_int_equal(cr_etcd_get(e, owner, &after, &err), 0);
}

static void lease_holds_and_releases_a_key(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *alive = unique("alive");
	int64_t id = 0, ttl = 0;
	assert_int_equal(cr_etcd_lease_grant(e, 5, &id, &err), 0);
	assert_int_equal(cr_etcd_put(e, alive, "up", id, &err), 0);
	assert_int_equal(cr_etcd_lease_keepalive(e, id, &ttl, &err), 0);
	assert_true(ttl > 0 && ttl <= 5);
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	assert_int_equal(cr_etcd_get(e, alive, &kv, &err), 1);
	assert_int_equal(kv.lease, id);
	assert_int_equal(cr_etcd_lease_revoke(e, id, &err), 0);
	cleanup_etcd_kv struct cr_etcd_kv gone = {0};
	assert_int_equal(cr_etcd_get(e, alive, &gone, &err), 0);
	/* A revoked lease renews to nothing. */
	assert_int_equal(cr_etcd_lease_keepalive(e, id, &ttl, &err), 0);
	assert_int_equal(ttl, 0);
}

static void a_dead_endpoint_is_passed_over(void **state)
{
	(void)state;
	cleanup_free char *list = NULL;
	/* Port 9 on loopback: nothing listens, the connect is refused at once. */
	assert_true(asprintf(&list, "http://127.0.0.1:9,%s", endpoints) > 0);
	cleanup_etcd struct cr_etcd *e = open_store(list, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *k = unique("failover");
	assert_int_equal(cr_etcd_put(e, k, "x", 0, &err), 0);
	assert_string_not_equal(cr_etcd_endpoint(e), "http://127.0.0.1:9");
	assert_int_equal(cr_etcd_delete(e, k, &err), 1);
}

static void bad_endpoints_are_refused(void **state)
{
	(void)state;
	struct cr_etcd *e = NULL;
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	struct cr_etcd_options o = {.endpoints = "127.0.0.1:2379"};
	assert_int_equal(cr_etcd_open(&o, &e, &err), -EINVAL);
	assert_non_null(strstr(cr_error_msg(&err), "127.0.0.1:2379"));
	o.endpoints = " , ";
	assert_int_equal(cr_etcd_open(&o, &e, &err), -EINVAL);
}

static void every_member_down_fails_in_bounded_time(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 1000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cleanup_etcd_kv struct cr_etcd_kv kv = {0};
	assert_true(cr_etcd_get(e, "/corral-test/x", &kv, &err) < 0);
	assert_true(cr_etcd_put(e, "/corral-test/x", "y", 0, &err) < 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Two calls, each at most one timeout per member. */
	assert_true(s < 2 * 3 * 1.5);
	assert_non_null(strstr(cr_error_msg(&err), "127.0.0.1"));
}

/* A wait ends at once for a followed change made after the revision it
 * names (even one made before the wait began), runs out its time for a
 * change of a key it does not follow, and ends when its descriptor is
 * readable. */
/* A watch on PREFIX that follows its tasks/. */
static struct cr_etcd_watch *watch_tasks(struct cr_etcd *e, const char *prefix)
{
	const char *const followed[] = {"tasks/"};
	struct cr_etcd_watch *w = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_etcd_watch_open(e, prefix, followed, 1, &w, &err), 0);
	return w;
}

static void a_watch_wakes_on_followed_changes_only(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *prefix = unique("w/"), *task = NULL, *other = NULL;
	assert_true(asprintf(&task, "%stasks/a/s1", prefix) > 0 && asprintf(&other, "%salive/a", prefix) > 0);
	struct cr_etcd_watch *w = watch_tasks(e, prefix);
	assert_int_equal(cr_etcd_put(e, other, "x", 0, &err), 0);
	int64_t seen = cr_etcd_revision(e);
	assert_true(seen > 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 300, -1, &err), 0);
	assert_int_equal(cr_etcd_put(e, other, "y", 0, &err), 0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 300, -1, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s >= 0.55 && s < 2.0);

	assert_int_equal(cr_etcd_put(e, task, "{}", 0, &err), 0); /* before the wait */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 3000, -1, &err), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s < 1.0);
	seen = cr_etcd_revision(e);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 200, -1, &err), 0);
	assert_int_equal(cr_etcd_delete(e, task, &err), 1);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 3000, -1, &err), 1);

	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	seen = cr_etcd_revision(e);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 3000, p[0], &err), 2);
	close(p[0]);
	close(p[1]);
	cr_etcd_watch_close(w);
	assert_int_equal(cr_etcd_delete(e, other, &err), 1);
}

/* A watch that skips its client's own writes: a put, a transaction and a
 * delete through it do not end a wait; the same change through another
 * client does; following other keys takes effect without a new stream. */
static void a_watch_passes_over_its_own_writes(void **state)
{
	(void)state;
	cleanup_etcd struct cr_etcd *e = open_store(endpoints, 3000);
	cleanup_etcd struct cr_etcd *other = open_store(endpoints, 3000);
	cleanup_error struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *prefix = unique("o/"), *task = NULL, *mine = NULL;
	assert_true(asprintf(&task, "%stasks/a/s1", prefix) > 0 && asprintf(&mine, "%stasks/b/s2", prefix) > 0);
	struct cr_etcd_watch *w = watch_tasks(e, prefix);
	cr_etcd_watch_skip_own(w);
	assert_int_equal(cr_etcd_put(e, task, "1", 0, &err), 0);
	int64_t seen = cr_etcd_revision(e);
	assert_int_equal(cr_etcd_put(e, task, "2", 0, &err), 0);
	struct cr_etcd_cmp absent = {mine, 0};
	struct cr_etcd_op put = {CR_ETCD_OP_PUT, mine, "3", 0};
	assert_int_equal(cr_etcd_txn(e, &absent, 1, &put, 1, &err), 1);
	assert_int_equal(cr_etcd_delete(e, mine, &err), 1);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 400, -1, &err), 0);
	assert_int_equal(cr_etcd_put(other, task, "4", 0, &err), 0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 3000, -1, &err), 1);
	/* now only tasks/b/: a's changes by others pass by too */
	const char *const only_b[] = {"tasks/b/"};
	assert_int_equal(cr_etcd_watch_follow(w, only_b, 1, &err), 0);
	seen = cr_etcd_revision(other);
	assert_int_equal(cr_etcd_put(other, task, "5", 0, &err), 0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 400, -1, &err), 0);
	assert_int_equal(cr_etcd_put(other, mine, "6", 0, &err), 0);
	assert_int_equal(cr_etcd_watch_wait(w, seen, 3000, -1, &err), 1);
	cr_etcd_watch_close(w);
	assert_int_equal(cr_etcd_delete(other, task, &err), 1);
	assert_int_equal(cr_etcd_delete(other, mine, &err), 1);
}

int main(int argc, char **argv)
{
	endpoints = getenv("ETCD_ENDPOINTS");
	const char *phase = argc > 1 ? argv[1] : "all";
	if (!endpoints) {
		fprintf(stderr, "ETCD_ENDPOINTS is not set: run through test_fleet_store.sh\n");
		return 77;
	}
	const struct CMUnitTest up[] = {
		cmocka_unit_test(put_get_list_delete),
		cmocka_unit_test(txn_compares_revisions),
		cmocka_unit_test(lease_holds_and_releases_a_key),
		cmocka_unit_test(a_dead_endpoint_is_passed_over),
		cmocka_unit_test(bad_endpoints_are_refused),
		cmocka_unit_test(a_watch_wakes_on_followed_changes_only),
		cmocka_unit_test(a_watch_passes_over_its_own_writes),
	};
	const struct CMUnitTest down[] = {
		cmocka_unit_test(every_member_down_fails_in_bounded_time),
	};
	if (!strcmp(phase, "down"))
		return cmocka_run_group_tests_name("etcd down", down, NULL, NULL);
	return cmocka_run_group_tests_name(phase, up, NULL, NULL);
}
