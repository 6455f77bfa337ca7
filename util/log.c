#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int debug_state = -1; /* -1: not decided yet */

void cr_log_set_debug(int on)
{
	debug_state = on ? 1 : 0;
}

int cr_log_debug_enabled(void)
{
	if (debug_state < 0) {
		const char *v = getenv("CORRAL_DEBUG");
		debug_state = v && *v && *v != '0';
	}
	return debug_state;
}

void cr_log_debug_at(const char *prefix, const char *fmt, ...)
{
	if (!cr_log_debug_enabled())
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "[%ld.%06ld %d] %s", (long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(), prefix);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cr_log_vline(void (*log)(void *log_ctx, const char *line), void *log_ctx, const char *fmt, va_list ap)
{
	char *line = NULL;
	if (!log || vasprintf(&line, fmt, ap) < 0)
		return;
	log(log_ctx, line);
	free(line);
}
