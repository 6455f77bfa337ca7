/* Quoting user input inside one-line error messages: a name or value the
 * user typed (or a spec file holds) is shown cut to CR_SHOWN_MAX bytes with
 * "..." after, and every control or non-ASCII byte escaped (\n, \t, \xNN),
 * so an error stays on one line and stays short whatever it quotes. */
#ifndef CORRAL_UTIL_ESCAPE_H
#define CORRAL_UTIL_ESCAPE_H

#include <stddef.h>

#define CR_SHOWN_MAX 64
/* Room for CR_SHOWN_MAX bytes each escaped to four, "..." and the NUL. */
#define CR_SHOWN_SIZE (CR_SHOWN_MAX * 4 + 4)

/* Write the shown form of the LEN bytes at S into BUF (CR_SHOWN_SIZE bytes)
 * and return BUF. S may hold NUL bytes; NULL shows as "". */
const char *cr_shown_n(const char *s, size_t len, char buf[CR_SHOWN_SIZE]);

/* The same for a NUL-terminated string. */
const char *cr_shown(const char *s, char buf[CR_SHOWN_SIZE]);

#endif
