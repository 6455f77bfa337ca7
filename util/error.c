#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_message(struct cr_error *err, int code, char *msg)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (err) {
		free(err->msg);
		err->msg = msg;
		err->code = code;
	} else {
		free(msg);
	}
	return -code;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int cr_error_set(struct cr_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	return set_message(err, code, msg);
}

int cr_error_errno(struct cr_error *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	char *what = vformat(fmt, ap);
	va_end(ap);
	char *msg = NULL;
	if (what && asprintf(&msg, "%s: %s", what, strerror(saved)) < 0)
		msg = NULL;
	free(what);
	return set_message(err, saved, msg);
}

int cr_error_wrap(struct cr_error *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	int code = err->code ? err->code : EIO;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	char *msg = NULL;
	if (ctx && asprintf(&msg, "%s: %s", ctx, err->msg ? err->msg : "unknown error") < 0)
		msg = NULL;
	free(ctx);
	if (!msg)
		return -code; /* keep the old message rather than lose it */
	return set_message(err, code, msg);
}

void cr_error_clear(struct cr_error *err)
{
	if (!err)
		return;
	free(err->msg);
	err->msg = NULL;
	err->code = 0;
}

const char *cr_error_msg(const struct cr_error *err)
{
	return err && err->msg ? err->msg : "unknown error";
}
