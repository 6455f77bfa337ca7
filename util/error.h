/* The one error idiom of Corral (docs/error-handling.md).
 *
 * Every fallible function returns 0 (or a non-negative result) on success and
 * a negative errno-style code on failure, after filling the caller's
 * struct cr_error with a message naming what failed and with which object.
 * Callers add context on the way up with cr_error_wrap(). The library never
 * prints errors: the front end reports them once. */
#ifndef CORRAL_UTIL_ERROR_H
#define CORRAL_UTIL_ERROR_H

#include <errno.h>
#include <stddef.h>

struct cr_error {
	int code;  /* positive errno value, EIO when the cause has none */
	char *msg; /* heap string, NULL when no error */
};

#define CR_ERROR_INIT {0, NULL}

/* Fill ERR with a formatted message; returns -CODE (-EIO when CODE is 0).
 * A previous message in ERR is replaced. ERR may be NULL. */
int cr_error_set(struct cr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like cr_error_set with CODE = errno, and ": strerror(errno)" appended. */
int cr_error_errno(struct cr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the message already in ERR with context ("starting web: ...").
 * Returns -ERR->code so it can end a function: return cr_error_wrap(...). */
int cr_error_wrap(struct cr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Release the message and reset ERR; accepts NULL. */
void cr_error_clear(struct cr_error *err);

/* The message, or "unknown error" when none was set. */
const char *cr_error_msg(const struct cr_error *err);

#define cleanup_error __attribute__((cleanup(cr_error_clear)))

#endif
