/* The monotonic clock, for deadlines and durations (never the wall clock,
 * which steps). */
#ifndef CORRAL_UTIL_CLOCK_H
#define CORRAL_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock. */
int64_t cr_now_ms(void);

/* Nanoseconds on the monotonic clock. */
int64_t cr_now_ns(void);

/* Milliseconds since boot (CLOCK_BOOTTIME: the clock of a process's start
 * time in /proc/PID/stat). */
int64_t cr_boottime_ms(void);

#endif
