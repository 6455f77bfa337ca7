/* Attribute values: booleans, integers, percentage triples and sizes. */
#include "spec/attr_values.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spec/config.h"
#include "util/escape.h"

int cr_value_parse_bool(const char *s, bool *ret, struct cr_error *err)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0) {
		*ret = true;
		return 0;
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0) {
		*ret = false;
		return 0;
	}
	return cr_error_set(err, EINVAL, "expected yes or no");
}

/* Digits at S (at least one) into *RET, saturating above INT64_MAX; returns
 * the number of digits read. */
static size_t read_digits(const char *s, int64_t *ret, bool *overflow)
{
	size_t n = 0;
	int64_t v = 0;
	*overflow = false;
	while (s[n] >= '0' && s[n] <= '9') {
		int d = s[n] - '0';
		if (v > (INT64_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
		n++;
	}
	*ret = v;
	return n;
}

int cr_value_parse_int(const char *s, int64_t min, int64_t max, int64_t *ret,
		       struct cr_error *err)
{
	int64_t v;
	bool overflow;
	size_t n = read_digits(s, &v, &overflow);
	if (n == 0 || s[n] != '\0')
		return cr_error_set(err, EINVAL, "expected a whole number");
	if (overflow || v < min || v > max)
		return cr_error_set(err, EINVAL, "must be between %" PRId64 " and %" PRId64, min,
				    max);
	*ret = v;
	return 0;
}

/* One percentage at *P ("50%" or "50"), advancing *P. */
static int read_percent(const char **p, int *ret, struct cr_error *err)
{
	int64_t v;
	bool overflow;
	size_t n = read_digits(*p, &v, &overflow);
	char shown[CR_SHOWN_SIZE];
	if (n == 0)
		return cr_error_set(err, EINVAL, "expected a percentage at '%s'", cr_shown(*p, shown));
	if (overflow || v > 100)
		return cr_error_set(err, EINVAL, "percentage %s%% is outside 0..100%%",
				    cr_shown_n(*p, n, shown));
	*p += n;
	if (**p == '.')
		return cr_error_set(err, EINVAL, "only whole percentages are supported");
	if (**p == '%')
		(*p)++;
	*ret = (int)v;
	return 0;
}

int cr_value_parse_percent3(const char *what, const char *s, int ret[3], struct cr_error *err)
{
	int v[3] = {CR_UNSET, CR_UNSET, CR_UNSET};
	const char *p = s;
	int r;
	if (*p && *p != '-' && *p != ',' && (r = read_percent(&p, &v[0], err)) < 0)
		return r;
	if (*p == '-') {
		p++;
		if ((r = read_percent(&p, &v[1], err)) < 0)
			return r;
	}
	if (*p == ',') {
		p++;
		if ((r = read_percent(&p, &v[2], err)) < 0)
			return r;
	}
	char shown[CR_SHOWN_SIZE];
	if (*p != '\0')
		return cr_error_set(err, EINVAL, "unexpected '%s' (syntax: min%%-softmax%%,hardmax%%)",
				    cr_shown(p, shown));
	if (p == s)
		return cr_error_set(err, EINVAL, "empty (syntax: min%%-softmax%%,hardmax%%)");
	if ((r = cr_resources_check_percent(what, v[0], v[1], v[2], err)) < 0)
		return r;
	memcpy(ret, v, sizeof(v));
	return 0;
}

void cr_value_format_percent3(const int v[3], char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	if (v[0] != CR_UNSET)
		off += (size_t)snprintf(buf + off, size - off, "%d%%", v[0]);
	if (v[1] != CR_UNSET && off < size)
		off += (size_t)snprintf(buf + off, size - off, "-%d%%", v[1]);
	if (v[2] != CR_UNSET && off < size)
		snprintf(buf + off, size - off, ",%d%%", v[2]);
}

static const struct {
	const char *name;
	int shift;
} units[] = {{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}};

int cr_value_parse_size(const char *s, int64_t default_unit, int64_t *ret, struct cr_error *err)
{
	int64_t v;
	bool overflow;
	size_t n = read_digits(s, &v, &overflow);
	if (n == 0)
		return cr_error_set(err, EINVAL, "expected a size such as 512M or 1024MB");
	const char *u = s + n;
	int64_t mult = default_unit;
	if (*u) {
		mult = 0;
		if (strcasecmp(u, "B") == 0)
			mult = 1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && !mult; i++)
			if (strncasecmp(u, units[i].name, 1) == 0 &&
			    (u[1] == '\0' || ((u[1] == 'B' || u[1] == 'b') && u[2] == '\0')))
				mult = (int64_t)1 << units[i].shift;
		char shown[CR_SHOWN_SIZE];
		if (!mult)
			return cr_error_set(err, EINVAL, "unknown unit '%s' (B, K, M, G or T)",
					    cr_shown(u, shown));
	}
	if (overflow || v > INT64_MAX / mult)
		return cr_error_set(err, EINVAL, "size is too large");
	if (v == 0)
		return cr_error_set(err, EINVAL, "size must be positive");
	*ret = v * mult;
	return 0;
}

void cr_value_format_size(int64_t bytes, bool aix_units, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		int64_t m = (int64_t)1 << units[i].shift;
		if (bytes > 0 && bytes % m == 0) {
			snprintf(buf, size, "%" PRId64 "%s%s", bytes / m, units[i].name,
				 aix_units ? "B" : "");
			return;
		}
	}
	snprintf(buf, size, "%" PRId64 "%s", bytes, aix_units ? "B" : "");
}
