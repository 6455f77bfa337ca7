/* Parsing and printing of attribute values (the right side of key = value):
 * booleans, shares, "min%-softmax%,hardmax%" triples, sizes with units and
 * counts. Shared by the spec file and the command line through attrs.c.
 * Errors name the rule broken; the caller adds the attribute and value. */
#ifndef CORRAL_SPEC_ATTR_VALUES_H
#define CORRAL_SPEC_ATTR_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* yes|no|true|false, any case. */
int cr_value_parse_bool(const char *s, bool *ret, struct cr_error *err);

/* A decimal integer in MIN..MAX, digits only (no sign, no blanks). */
int cr_value_parse_int(const char *s, int64_t min, int64_t max, int64_t *ret,
		       struct cr_error *err);

/* "min%-softmax%,hardmax%": each part optional ("10%", "-50%", ",80%",
 * "0%-50%,80%"), '%' optional, integers only; parts not given are CR_UNSET.
 * Ranges and order are checked with cr_resources_check_percent. */
int cr_value_parse_percent3(const char *what, const char *s, int ret[3], struct cr_error *err);

/* Print a triple in the same syntax into BUF (at least 32 bytes). */
void cr_value_format_percent3(const int v[3], char *buf, size_t size);

/* A size: digits, then an optional unit B, K/KB, M/MB, G/GB, T/TB (any case,
 * powers of 1024). A bare number counts in DEFAULT_UNIT bytes. Result is
 * bytes, 1..INT64_MAX. */
int cr_value_parse_size(const char *s, int64_t default_unit, int64_t *ret, struct cr_error *err);

/* Print BYTES with the largest unit that divides it exactly; with AIX_UNITS
 * the units are spelt "KB", "MB"... and plain bytes get "B", else "K", "M"...
 * and plain bytes have no unit. BUF holds at least 32 bytes. */
void cr_value_format_size(int64_t bytes, bool aix_units, char *buf, size_t size);

#endif
