/* A PageData message sent as a page relay's peer would (header only, for
 * the page relay's unit tests). */
#ifndef CORRAL_TESTS_TEST_PAGE_DATA_H
#define CORRAL_TESTS_TEST_PAGE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "transport/conn.h"
#include "transport_wire.pb-c.h"

/* LEN bytes of page data (none: a keepalive) over C. */
static inline void t_page_data_send(struct cr_conn *c, const uint8_t *data, size_t len)
{
	Crwire__PageData pd = CRWIRE__PAGE_DATA__INIT;
	pd.has_data = len > 0;
	pd.data.data = (uint8_t *)data;
	pd.data.len = len;
	Crwire__Envelope m = CRWIRE__ENVELOPE__INIT;
	m.body_case = CRWIRE__ENVELOPE__BODY_PAGE_DATA;
	m.page_data = &pd;
	struct cr_error err = CR_ERROR_INIT;
	assert_int_equal(cr_conn_send(c, &m, &err), 0);
}

#endif
