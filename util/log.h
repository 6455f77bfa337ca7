/* Debug logging. The library prints nothing above debug level: errors travel
 * in struct cr_error to the front end, which reports them once. Debug lines go
 * to stderr when CORRAL_DEBUG is set (or cr_log_set_debug(1) was called). */
#ifndef CORRAL_UTIL_LOG_H
#define CORRAL_UTIL_LOG_H

void cr_log_set_debug(int on);
int cr_log_debug_enabled(void);
void cr_log_debug_at(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Each file may #define LOG_PREFIX "module: " before including this header. */
#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif
#define cr_debug(...) cr_log_debug_at(LOG_PREFIX, __VA_ARGS__)

#endif
