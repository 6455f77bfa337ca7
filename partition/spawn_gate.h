/* The hand-shake between a new partition's first process and its parent,
 * shared by a partition's init (spawn.c) and an application job's
 * (app_job_spawn.c). The child waits for "go" (its parent has put it in its
 * cgroup, and given it its links), then execs, or reports why it could not
 * on a pipe that closes at its exec. */
#ifndef CORRAL_PARTITION_SPAWN_GATE_H
#define CORRAL_PARTITION_SPAWN_GATE_H

#include <sys/types.h>

#include "util/error.h"

struct cr_spawn_gate {
	int go[2];
	int report[2];
};

/* Both pipes, before the clone. */
int cr_spawn_gate_open(struct cr_spawn_gate *g, struct cr_error *err);

/* After a failed clone: close everything. */
void cr_spawn_gate_close(struct cr_spawn_gate *g);

/* In the child, first: every descriptor but its two ends closes at exec
 * (nothing of the caller's leaks into the partition); waits for go, and
 * ends (127) when the parent gave up. Returns the report descriptor. */
int cr_spawn_gate_child(struct cr_spawn_gate *g);

/* In the child: report ERR's message and end (127). */
void cr_spawn_gate_fail(int report_fd, const struct cr_error *err) __attribute__((noreturn));

/* In the parent after the clone, with READY the result of its own
 * preparations: when 0, release child PID and hear within TIMEOUT_MS whether
 * it exec'd. On any failure (READY's included, returned as is) the child is
 * killed and reaped; WHAT names it in errors. */
int cr_spawn_gate_release(struct cr_spawn_gate *g, pid_t pid, int ready, int timeout_ms, const char *what,
			  struct cr_error *err);

#endif
