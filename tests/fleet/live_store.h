/* The tests of tests/fleet: a client of the etcd that
 * tests/integration/test_fleet_store.sh started (ETCD_ENDPOINTS). Include
 * after <cmocka.h>. */
#ifndef CORRAL_TESTS_FLEET_LIVE_STORE_H
#define CORRAL_TESTS_FLEET_LIVE_STORE_H

#include "fleet/etcd.h"

static inline struct cr_etcd *live_store(const char *endpoints)
{
	struct cr_etcd_options o = {.endpoints = endpoints, .timeout_ms = 3000};
	struct cr_etcd *e = NULL;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_etcd_open(&o, &e, &err), 0);
	return e;
}

#endif
