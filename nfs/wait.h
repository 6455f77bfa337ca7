/* Waiting for a FUSE server process to end (nfs/ only). */
#ifndef CORRAL_NFS_WAIT_H
#define CORRAL_NFS_WAIT_H

#include <sys/types.h>

#include "util/error.h"

/* Wait up to TIMEOUT_MS for PID to end (it need not be our child; a child is
 * reaped); then SIGTERM, and SIGKILL after a grace. Ends with PID gone. */
int cr_nfs_wait_server(pid_t pid, int timeout_ms, struct cr_error *err);

#endif
