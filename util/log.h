/* Debug logging. The library prints nothing above debug level: errors travel
 * in struct cr_error to the front end, which reports them once. Debug lines go
 * to stderr when CORRAL_DEBUG is set (or cr_log_set_debug(1) was called). */
#ifndef CORRAL_UTIL_LOG_H
#define CORRAL_UTIL_LOG_H

#include <stdarg.h>

void cr_log_set_debug(int on);
int cr_log_debug_enabled(void);
void cr_log_debug_at(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A daemon's log, owned by its front end: format one line and hand it to
 * LOG (nothing when LOG is NULL). */
void cr_log_vline(void (*log)(void *log_ctx, const char *line), void *log_ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Each file may #define LOG_PREFIX "module: " before including this header. */
#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif
#define cr_debug(...) cr_log_debug_at(LOG_PREFIX, __VA_ARGS__)

#endif
