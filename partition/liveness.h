/* Is a recorded process still the one we started? */
#ifndef CORRAL_PARTITION_LIVENESS_H
#define CORRAL_PARTITION_LIVENESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The monitor's process name: "cor_" + partition name, as AIX's subsystem. */
void cr_monitor_comm(const char *name, char *buf, size_t size);

/* True when PID is alive and is NAME's monitor (checked by its comm). */
bool cr_monitor_alive(const char *name, pid_t pid);

/* True when PID exists (not a zombie). */
bool cr_pid_alive(pid_t pid);

/* The monitor lock ($ROOT/run/corral/NAME.monitor): held by a partition's
 * monitor from before it is started (startwpar takes it and hands it down)
 * until it ends, so "is a monitor at work" is answered without a pid that
 * may have been reused. Take it, waiting at most TIMEOUT_MS (-EBUSY when a
 * monitor holds it); the descriptor is close-on-exec. */
int cr_monitor_lock_take(const char *name, int timeout_ms, int *ret_fd, struct cr_error *err);

/* True when a monitor of NAME holds its lock. */
bool cr_monitor_lock_held(const char *name);

/* True when FD is NAME's monitor lock (a monitor checks what it inherited). */
bool cr_monitor_lock_is(const char *name, int fd);

#endif
