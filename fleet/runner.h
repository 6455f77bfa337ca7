/* The tasks of this host: the agent claims those the manager let go,
 * runs each as a child process (corral movewpar, movewpar --static or
 * stopwpar) without blocking its lease, and records the outcome, the
 * downtime movewpar reported and a history entry. A task found running
 * with no child (the agent restarted) is settled by what this host holds:
 * the partition gone means it moved; still here means it did not. */
#ifndef CORRAL_FLEET_RUNNER_H
#define CORRAL_FLEET_RUNNER_H

#include <sys/types.h>

#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "fleet/task.h"
#include "util/error.h"

#define CR_RUNNER_MAX_JOBS 16
#define CR_RUNNER_JOB_TIMEOUT_S 900

struct cr_runner_job {
	pid_t pid;
	int out_fd;
	int log_fd; /* the move's log, for the runner's "ended" line; -1: none */
	char *out;  /* what it printed, at most 64 KiB kept */
	size_t out_len;
	int status; /* wait status, once reaped */
	bool reaped;
	int64_t started_ns;
	struct cr_task task;
};

struct cr_runner {
	const char *corral_exe;
	struct cr_runner_job jobs[CR_RUNNER_MAX_JOBS];
	size_t n_jobs;
	void (*say)(void *ctx, const char *line);
	void *say_ctx;
	/* Publish this host's partitions now: called after a move ended and
	 * before its outcome is recorded, so that whoever reads the task done
	 * and then the host's list sees the list without it. A failure
	 * leaves the outcome for the next step. NULL: none. */
	int (*publish)(void *ctx, struct cr_error *err);
	void *publish_ctx;
};

int cr_runner_step(struct cr_runner *rn, struct cr_etcd *e, const struct cr_fleet_conf *c, struct cr_error *err);
/* Forget every job without ending it: a move in flight goes on (its output
 * is a file, its hand-over its own) and the next agent settles its task. */
void cr_runner_stop(struct cr_runner *rn);

#endif
