/* Ownership fencing (fleet/owner.c) against a real etcd (run by
 * tests/integration/test_fleet_store.sh): a move commits only over the
 * revision it read; a change meanwhile (another host's view) stops it; a
 * record naming a host that does not run the partition is stale and still
 * fences; one naming a host that runs it refuses the move at once; a host
 * in no fleet fences nothing. The host's fleet.conf is written into a
 * temporary CORRAL_ROOT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/owner.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "live_store.h"

static const char *endpoints;
static char root[] = "/tmp/corral-owner-test.XXXXXX";
static char fleet[32];


static void put(const char *key, const char *value)
{
	cleanup_etcd struct cr_etcd *e = live_store(endpoints);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_etcd_put(e, key, value, 0, &err), 0);
}

static char *owner_key(const char *name)
{
	char *k = NULL;
	assert_true(asprintf(&k, "/corral/fleets/%s/owners/%s", fleet, name) > 0);
	return k;
}

static char *value_of(const char *key)
{
	cleanup_etcd struct cr_etcd *e = live_store(endpoints);
	struct cr_error err = CR_ERROR_INIT;
	struct cr_etcd_kv kv = {0};
	if (cr_etcd_get(e, key, &kv, &err) != 1)
		return NULL;
	char *v = kv.value;
	kv.value = NULL;
	cr_etcd_kv_clear(&kv);
	return v;
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
	setenv("CORRAL_ROOT", root, 1);
	snprintf(fleet, sizeof fleet, "own%d", getpid());
	cleanup_free char *dir = NULL, *conf = NULL, *text = NULL;
	assert_true(asprintf(&dir, "%s/etc/corral", root) > 0);
	assert_true(asprintf(&conf, "%s/fleet.conf", dir) > 0);
	assert_true(asprintf(&text, "fleet=%s\nname=here\nstore=%s\naddress=127.0.0.1\n", fleet, endpoints) > 0);
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_mkdir_p(dir, 0755, &err), 0);
	assert_int_equal(cr_write_file_atomic(conf, text, strlen(text), 0600, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct cr_error err = CR_ERROR_INIT;
	cr_rm_rf(root, &err);
	cr_error_clear(&err);
	return 0;
}

static void commits_over_the_revision_read(void **state)
{
	(void)state;
	struct cr_owner_fence f;
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *key = owner_key("web"), *v = NULL;
	assert_int_equal(cr_owner_fence_begin(&f, "web", &err), 0); /* no record yet */
	assert_int_equal(cr_owner_fence_commit(&f, "web", "there", &err), 0);
	cr_owner_fence_end(&f);
	v = value_of(key);
	assert_non_null(strstr(v, "\"host\":\"there\""));
}

static void a_change_meanwhile_stops_the_move(void **state)
{
	(void)state;
	struct cr_owner_fence f;
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *key = owner_key("db"), *v = NULL;
	put(key, "{\"host\":\"here\"}");
	assert_int_equal(cr_owner_fence_begin(&f, "db", &err), 0);
	put(key, "{\"host\":\"here\",\"touched\":1}"); /* another view wrote it */
	assert_int_equal(cr_owner_fence_commit(&f, "db", "there", &err), -EBUSY);
	assert_non_null(strstr(cr_error_msg(&err), "changed meanwhile"));
	cr_owner_fence_end(&f);
	v = value_of(key);
	assert_null(strstr(v, "there"));
	cr_error_clear(&err);
}

static void a_stale_record_fences_a_live_one_refuses(void **state)
{
	(void)state;
	struct cr_owner_fence f;
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *key = owner_key("app"), *alive = NULL;
	/* "gone" runs nothing: its record is stale */
	put(key, "{\"host\":\"gone\"}");
	assert_int_equal(cr_owner_fence_begin(&f, "app", &err), 0);
	assert_int_equal(cr_owner_fence_commit(&f, "app", "there", &err), 0);
	cr_owner_fence_end(&f);
	/* "busy" is online and runs app: no move from here */
	cleanup_free char *hosts = NULL;
	assert_true(asprintf(&hosts, "/corral/fleets/%s/hosts/busy", fleet) > 0);
	assert_true(asprintf(&alive, "/corral/fleets/%s/alive/busy", fleet) > 0);
	put(hosts, "{\"name\":\"busy\",\"address\":\"127.0.0.9\",\"pubkey\":\"x\"}");
	put(alive, "{\"updated\":1,\"partitions\":[{\"name\":\"app\",\"state\":\"A\"}]}");
	put(key, "{\"host\":\"busy\"}");
	assert_int_equal(cr_owner_fence_begin(&f, "app", &err), -EPERM);
	assert_non_null(strstr(cr_error_msg(&err), "owned by busy"));
	cr_error_clear(&err);
}

static void no_fleet_no_fence(void **state)
{
	(void)state;
	struct cr_owner_fence f;
	struct cr_error err = CR_ERROR_INIT;
	cleanup_free char *conf = NULL;
	assert_true(asprintf(&conf, "%s/etc/corral/fleet.conf", root) > 0);
	unlink(conf);
	assert_int_equal(cr_owner_fence_begin(&f, "web", &err), 1);
}

int main(void)
{
	endpoints = getenv("ETCD_ENDPOINTS");
	if (!endpoints) {
		fprintf(stderr, "ETCD_ENDPOINTS is not set: run through test_fleet_store.sh\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commits_over_the_revision_read),
		cmocka_unit_test(a_change_meanwhile_stops_the_move),
		cmocka_unit_test(a_stale_record_fences_a_live_one_refuses),
		cmocka_unit_test(no_fleet_no_fence),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
