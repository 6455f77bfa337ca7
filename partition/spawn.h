/* Starting a partition's init in its new namespaces. */
#ifndef CORRAL_PARTITION_SPAWN_H
#define CORRAL_PARTITION_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "partition/cgroup.h"
#include "partition/config.h"
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

#endif
