/* Cron schedules (fleet/cron.h). */
#define LOG_PREFIX "cron: "
#include "fleet/cron.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int number(const char **p, int lo, int hi, int *ret)
{
	if (!isdigit((unsigned char)**p))
		return -1;
	long v = 0;
	while (isdigit((unsigned char)**p) && v <= hi)
		v = v * 10 + (*(*p)++ - '0');
	if (v < lo || v > hi)
		return -1;
	*ret = (int)v;
	return 0;
}

/* One field into BITS (bit N for value N); *STAR when it is "*". */
static int field(const char *text, size_t len, int lo, int hi, uint64_t *bits, bool *star)
{
	char buf[128];
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
		return -1; /* an empty item */
	*bits = 0;
	*star = !strcmp(buf, "*");
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *p = item;
		int a = lo, b = hi, step = 1;
		if (*p == '*') {
			p++;
		} else {
			if (number(&p, lo, hi, &a) < 0)
				return -1;
			b = a;
			if (*p == '-') {
				p++;
				if (number(&p, lo, hi, &b) < 0 || b < a)
					return -1;
			}
		}
		if (*p == '/') {
			p++;
			if (number(&p, 1, hi, &step) < 0)
				return -1;
			if (b == a && item[0] != '*')
				b = hi; /* "A/N": from A to the end */
		}
		if (*p)
			return -1;
		for (int v = a; v <= b; v += step)
			*bits |= 1ull << v;
	}
	return *bits ? 0 : -1;
}

int cr_cron_parse(const char *text, struct cr_cron *ret, struct cr_error *err)
{
	static const struct {
		const char *name;
		int lo, hi;
	} f[5] = {{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}};
	uint64_t bits[5];
	bool star[5];
	const char *p = text;
	int n = 0;
	while (n < 5) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");
		if (field(p, len, f[n].lo, f[n].hi, &bits[n], &star[n]) < 0)
			return cr_error_set(err, EINVAL, "cron schedule: bad %s field '%.*s'", f[n].name,
					    (int)(len > 20 ? 20 : len), p);
		p += len;
		n++;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (n != 5 || *p)
		return cr_error_set(err, EINVAL, "cron schedule: expected 5 fields (minute hour day month weekday)");
	struct cr_cron c = {
		.minute = bits[0], .hour = (uint32_t)bits[1], .mday = (uint32_t)bits[2], .month = (uint32_t)bits[3],
		.wday = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f), .mday_star = star[2], .wday_star = star[4],
	};
	*ret = c;
	return 0;
}

static bool day_matches(const struct cr_cron *c, const struct tm *tm)
{
	bool md = c->mday & (1u << tm->tm_mday), wd = c->wday & (1u << tm->tm_wday);
	if (c->mday_star || c->wday_star)
		return md && wd;
	return md || wd;
}

int cr_cron_next(const struct cr_cron *c, time_t after, time_t *ret, struct cr_error *err)
{
	time_t t = after - after % 60 + 60;
	time_t limit = after + (time_t)5 * 366 * 86400;
	while (t <= limit) {
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			break;
		if (!(c->month & (1u << (tm.tm_mon + 1))) || !day_matches(c, &tm)) {
			t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60); /* next day, 00:00 */
			continue;
		}
		if (!(c->hour & (1u << tm.tm_hour))) {
			t += 3600 - tm.tm_min * 60;
			continue;
		}
		if (!(c->minute & (1ull << tm.tm_min))) {
			t += 60;
			continue;
		}
		*ret = t;
		return 0;
	}
	return cr_error_set(err, ERANGE, "cron schedule never fires in the next five years");
}
