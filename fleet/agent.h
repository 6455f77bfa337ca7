/* The fleet agent corrald runs: while this host is in a fleet it holds a
 * lease in the store (alive/NAME: the host is online while it lives),
 * publishes its load and partitions there every few seconds, trusts the
 * members the store lists, runs the moves the fleet asks of this host
 * (fleet/runner.h) and takes its turn as the fleet manager (fleet/manager.h). A host in no fleet: it only looks, every
 * interval, whether the host has joined one since. */
#ifndef CORRAL_FLEET_AGENT_H
#define CORRAL_FLEET_AGENT_H

#include <signal.h>
#include <sys/types.h>

#include "util/error.h"

#define CR_FLEET_AGENT_INTERVAL_MS 2000 /* publish load and partitions, renew the lease */
#define CR_FLEET_AGENT_TICK_MS 500      /* run tasks, manage */

struct cr_fleet_agent_options {
	int interval_ms;             /* 0: CR_FLEET_AGENT_INTERVAL_MS */
	volatile sig_atomic_t *stop; /* set (by a signal handler) to end the loop */
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
	const char *corral_exe;      /* runs the moves the fleet asks of this host */
};

/* Run until *O->stop; on the way out the lease is revoked so the host shows
 * offline at once. Store failures are logged and retried, never fatal. */
int cr_fleet_agent_run(const struct cr_fleet_agent_options *o, struct cr_error *err);

/* Run the agent in a child process of the caller (corrald) that ends with
 * it (SIGTERM when the caller dies, or when the caller sends it). */
int cr_fleet_agent_start(void (*log)(void *log_ctx, const char *line), void *log_ctx, const char *corral_exe,
			 pid_t *ret_pid, struct cr_error *err);

#endif
