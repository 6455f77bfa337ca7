/* Starting a partition's init in its new namespaces. */
#ifndef CORRAL_PARTITION_SPAWN_H
#define CORRAL_PARTITION_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "spec/config.h"
#include "util/error.h"

struct cr_spawn_request {
	const struct cr_wpar_config *config;
	struct cr_cgroup *cgroup;  /* the child joins it before it runs anything */
	bool new_network;          /* a network namespace of its own */
	bool keep_stdio;           /* wparexec: the command keeps the caller's stdio */
	char *const *argv;         /* the init to exec, path as seen inside */
};

/* Clone the init with new pid, mount, uts, ipc (and net) namespaces, attach it
 * to the cgroup, enter a cgroup namespace, set the hostname, mount, pivot,
 * drop capabilities and exec ARGV. Returns once the exec succeeded (the host
 * pid in *RET_PID) or with the child's own error message. */
int cr_spawn_init(const struct cr_spawn_request *req, pid_t *ret_pid, struct cr_error *err);

/* The last steps before the exec, in the forked child of cr_spawn_init or
 * cr_app_job_spawn, its namespaces, mounts and network made: stdin from
 * /dev/null, stdout and stderr to OUTPUT (appended to, made if missing) or,
 * when OUTPUT is NULL, to /dev/null as well (all three left as they are when
 * KEEP_STDIO); then procVirtMem of CFG as the RLIMIT_AS and the capabilities
 * CFG does not grant dropped, in that order. */
int cr_spawn_child_finish(const struct cr_wpar_config *cfg, bool keep_stdio, const char *output,
			  struct cr_error *err);

#endif
