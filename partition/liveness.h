/* Is a recorded process still the one we started? */
#ifndef CORRAL_PARTITION_LIVENESS_H
#define CORRAL_PARTITION_LIVENESS_H

#include <stdbool.h>
#include <sys/types.h>

/* The monitor's process name: "cor_" + partition name, as AIX's subsystem. */
void cr_monitor_comm(const char *name, char *buf, size_t size);

/* True when PID is alive and is NAME's monitor (checked by its comm). */
bool cr_monitor_alive(const char *name, pid_t pid);

/* True when PID exists (not a zombie). */
bool cr_pid_alive(pid_t pid);

#endif
