/* corrald's listening loop: TCP (default port 7711) for other hosts and a
 * root-only Unix socket for this host's CLI; one forked process per
 * connection, each killed with the daemon (PR_SET_PDEATHSIG) and bounded by
 * the idle timeout. SIGTERM or SIGINT ends the loop: listeners are closed,
 * connections are asked to stop (SIGTERM, then SIGKILL after 5 s), and the
 * socket file is removed. The loop blocks those signals and SIGCHLD in the
 * calling process (it reads them from a signalfd). */
#ifndef CORRAL_TRANSPORT_DAEMON_H
#define CORRAL_TRANSPORT_DAEMON_H

#include "transport/arrival.h"
#include "util/error.h"

#define CR_DAEMON_MAX_CONNECTIONS 64

struct cr_daemon_options {
	const char *listen;      /* "ADDR[:PORT]" (IP literal); NULL: 0.0.0.0:7711; "none": no TCP */
	const char *socket_path; /* NULL: $ROOT/run/corral/corrald.sock; "none": no Unix socket */
	int timeout_ms;          /* idle time per read/write; 0: CR_WIRE_IDLE_TIMEOUT_MS */
	const char *corral_exe;  /* the corral binary, for the partitions relocated here */
	const struct cr_arrival_ops *arrival; /* relocations to this host (relocate/arrival.h); NULL: refused */
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
};

/* $ROOT/run/corral/corrald.sock (heap). */
int cr_corrald_socket_path(char **ret_path, struct cr_error *err);

/* Serve until SIGTERM/SIGINT; 0 after a clean stop. */
int cr_daemon_run(const struct cr_daemon_options *o, struct cr_error *err);

#endif
