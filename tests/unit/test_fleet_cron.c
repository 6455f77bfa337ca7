/* Cron schedules (fleet/cron.c): what they accept, each refusal, and the
 * next firing time across hours, days, months and weekdays (UTC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fleet/cron.h"

/* 2026-12-07 01:38:20 UTC, a Monday */
#define T0 ((time_t)1796607500)

static time_t next(const char *spec, time_t after)
{
	struct cr_cron c;
	struct cr_error err = CR_ERROR_INIT;
	time_t t = 0;
	if (cr_cron_parse(spec, &c, &err) < 0 || cr_cron_next(&c, after, &t, &err) < 0)
		fail_msg("%s: %s", spec, cr_error_msg(&err));
	cr_error_clear(&err);
	return t;
}

static void fires_when_it_should(void **state)
{
	(void)state;
	struct tm tm;
	time_t t0 = T0;
	gmtime_r(&t0, &tm);
	assert_int_equal(tm.tm_wday, 1);
	assert_int_equal(next("* * * * *", T0), T0 - T0 % 60 + 60);
	assert_int_equal(next("*/5 * * * *", T0), T0 - T0 % 60 + 120);       /* 01:40 */
	assert_int_equal(next("0 3 * * *", T0), T0 - T0 % 86400 + 3 * 3600); /* 03:00 today */
	assert_int_equal(next("0 0 * * 0", T0), T0 - T0 % 86400 + 6 * 86400); /* next Sunday */
	assert_int_equal(next("0 0 * * 7", T0), T0 - T0 % 86400 + 6 * 86400); /* 7 is Sunday too */
	/* both day fields restricted: either matches (the 8th, a Tuesday, by weekday) */
	assert_int_equal(next("0 0 1 * 2", T0), T0 - T0 % 86400 + 86400);
	time_t y = next("0 0 1 1 *", T0); /* 2027-01-01 */
	gmtime_r(&y, &tm);
	assert_int_equal(tm.tm_year, 127);
	assert_int_equal(tm.tm_yday, 0);
	assert_int_equal(next("30 2 29 2 *", T0) > T0 + 365 * 86400, 1); /* 2028-02-29 */
}

static void refusals(void **state)
{
	(void)state;
	const char *bad[] = {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
			     "* * * 13 *", "* * * * 8", "5-3 * * * *", "*/0 * * * *", "a * * * *", "1,,2 * * * *",
			     "99999999999999999999 * * * *", "- * * * *", "*/ * * * *"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cr_cron c;
		struct cr_error err = CR_ERROR_INIT;
		if (cr_cron_parse(bad[i], &c, &err) == 0)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(cr_error_msg(&err), "cron schedule"));
		cr_error_clear(&err);
	}
	struct cr_cron c;
	struct cr_error err = CR_ERROR_INIT;
	time_t t;
	assert_int_equal(cr_cron_parse("0 0 31 2 *", &c, &err), 0);
	assert_int_equal(cr_cron_next(&c, T0, &t, &err), -ERANGE);
	cr_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fires_when_it_should),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
