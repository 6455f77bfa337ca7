/* Cron schedules: "MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK" (UTC), each
 * field "*", a number, a range A-B, a list A,B,C, with an optional step
 * (star/N, A-B/N); day-of-week 0-7 (0 and 7: Sunday); when both day fields
 * are restricted, either may match (as cron does). The text comes from
 * the store: parsed with bounds, fuzzed (fuzz/fuzz_cron.c). */
#ifndef CORRAL_FLEET_CRON_H
#define CORRAL_FLEET_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/error.h"

struct cr_cron {
	uint64_t minute; /* bit N: minute N */
	uint32_t hour, mday, month;
	uint8_t wday;    /* bit 0..6 */
	bool mday_star, wday_star;
};

int cr_cron_parse(const char *text, struct cr_cron *ret, struct cr_error *err);
/* The first minute strictly after AFTER that matches; -ERANGE when none
 * within five years (e.g. "0 0 31 2 *"). */
int cr_cron_next(const struct cr_cron *c, time_t after, time_t *ret, struct cr_error *err);

#endif
